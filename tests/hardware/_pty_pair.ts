/**
 * A pair of connected pseudo-terminals made by `socat -d -d pty,raw,echo=0 pty,raw,echo=0`:
 * bytes written to one end come out of the other, so each end is a real serial port.
 *
 * @module
 */

/** Whether `socat` can be run here. */
export function hasSocat(): boolean {
  try {
    return new Deno.Command("socat", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Two linked ptys (`a`, `b`); dispose kills socat. */
export class PtyPair implements AsyncDisposable {
  /** First end (handed to the sidecar). */
  readonly a: string;
  /** Second end (the test's side). */
  readonly b: string;
  readonly #child: Deno.ChildProcess;
  readonly #drained: Promise<void>;
  #killed = false;

  private constructor(
    a: string,
    b: string,
    child: Deno.ChildProcess,
    drained: Promise<void>,
  ) {
    this.a = a;
    this.b = b;
    this.#child = child;
    this.#drained = drained;
  }

  /** Starts socat and waits (up to 5 s) until it printed both pty paths. */
  static async open(): Promise<PtyPair> {
    const child = new Deno.Command("socat", {
      args: ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const paths: string[] = [];
    let ready!: () => void;
    const bothSeen = new Promise<void>((resolve) => ready = resolve);
    const drained = (async () => {
      let buf = "";
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const m = /PTY is (\S+)/.exec(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (m) paths.push(m[1]);
          if (paths.length === 2) ready();
        }
      }
      ready();
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      bothSeen,
      new Promise<void>((r) => timer = setTimeout(r, 5000)),
    ]);
    clearTimeout(timer);
    const pair = new PtyPair(paths[0] ?? "", paths[1] ?? "", child, drained);
    if (paths.length !== 2) {
      await pair[Symbol.asyncDispose]();
      throw new Error("socat did not report two ptys");
    }
    return pair;
  }

  /** Kills socat: both ptys hang up (the sidecar's port sees the device vanish). */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }

  /** Kills socat and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.#child.status;
    await this.#drained;
  }
}

/** Reads exactly `n` bytes from `file`. */
export async function readExactly(
  file: Deno.FsFile,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = await file.read(out.subarray(got));
    if (k === null) throw new Error(`end of file after ${got} of ${n} bytes`);
    got += k;
  }
  return out;
}

/** Writes all of `data` to `file`. */
export async function writeAll(
  file: Deno.FsFile,
  data: Uint8Array,
): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

/** `stty -a -F path` output (the port settings the kernel holds for that tty). */
export async function sttyOf(path: string): Promise<string> {
  const out = await new Deno.Command("stty", {
    args: ["-a", "-F", path],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}
