/**
 * A pair of linked pseudo-terminals from `socat pty,raw,echo=0 pty,raw,echo=0`: the sidecar
 * opens one end as a real serial port, the benchmark plays the toy on the other end.
 *
 * @module
 */

/** Whether `socat` can be run here. */
export function hasSocat(): boolean {
  try {
    return new Deno.Command("socat", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Two linked ptys; disposing kills socat.
 *
 * @example
 * ```ts ignore
 * import { PtyPair } from "./_pty.ts";
 * await using pair = await PtyPair.open();
 * console.log(pair.a, pair.b); // e.g. /dev/pts/3 /dev/pts/4
 * ```
 */
export class PtyPair implements AsyncDisposable {
  /** The end handed to the sidecar. */
  readonly a: string;
  /** The toy's end. */
  readonly b: string;
  readonly #child: Deno.ChildProcess;
  readonly #stderrDone: Promise<void>;

  private constructor(a: string, b: string, child: Deno.ChildProcess, stderrDone: Promise<void>) {
    this.a = a;
    this.b = b;
    this.#child = child;
    this.#stderrDone = stderrDone;
  }

  /** Starts socat and waits (up to 5 s) for both pty paths. */
  static async open(): Promise<PtyPair> {
    const child = new Deno.Command("socat", {
      args: ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const paths: string[] = [];
    const ready = Promise.withResolvers<void>();
    const stderrDone = (async () => {
      let buf = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const m = /PTY is (\S+)/.exec(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (m) paths.push(m[1]);
          if (paths.length === 2) ready.resolve();
        }
      }
      ready.resolve();
    })();
    const timer = setTimeout(ready.resolve, 5000);
    await ready.promise;
    clearTimeout(timer);
    const pair = new PtyPair(paths[0] ?? "", paths[1] ?? "", child, stderrDone);
    if (paths.length !== 2) {
      await pair[Symbol.asyncDispose]();
      throw new Error("socat did not report two ptys");
    }
    return pair;
  }

  /** Kills socat and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#stderrDone;
  }
}
