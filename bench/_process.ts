/**
 * Child-process helpers of the memory and start-up benchmarks: free ports, waiting for a port to
 * accept connections, reading a process's resident memory, and a child that reports readiness
 * with a JSON line.
 *
 * @module
 */

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls `port` until a TCP connection succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`nothing accepted on port ${port}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** Resident set size of a process in bytes (Linux `/proc`), or undefined when unknown. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes → MiB with one decimal. */
export function mib(bytes: number | undefined): number {
  return bytes === undefined ? NaN : Math.round((bytes / 1048576) * 10) / 10;
}

/** A running child that printed `{"ready":true,...}` on its first stdout line. */
export interface ReadyChild extends AsyncDisposable {
  /** The child. */
  readonly child: Deno.ChildProcess;
  /** The parsed ready line. */
  readonly ready: Record<string, unknown>;
}

/**
 * Spawns `deno run -A <args>`, waits for its ready line (its stderr is passed through), and on
 * dispose closes its stdin and waits for it to exit (killing it after 10 s).
 */
export async function spawnReady(args: string[], timeoutMs = 60_000): Promise<ReadyChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const dispose = async (): Promise<void> => {
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }, 10_000);
    await reader.cancel().catch(() => {});
    await child.status;
    clearTimeout(timer);
  };
  let buf = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const line = await Promise.race([
      (async () => {
        while (!buf.includes("\n")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`child exited before it was ready: ${args.join(" ")}`);
          buf += value;
        }
        return buf.slice(0, buf.indexOf("\n"));
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`child not ready in ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    const ready = JSON.parse(line) as Record<string, unknown>;
    return { child, ready, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
