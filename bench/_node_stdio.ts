/**
 * The bare stdio JSON peer of the sidecar baseline: `node _node_echo.mjs`, one JSON object per
 * line each way, requests matched to replies by `id` (what the sidecar bridge does, minus the
 * hardware).
 *
 * @module
 */

/** Whether `node` can be run here. */
export async function hasNode(): Promise<boolean> {
  try {
    const out = await new Deno.Command("node", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * A running `node _node_echo.mjs`.
 *
 * @example
 * ```ts ignore
 * import { NodeStdioEcho } from "./_node_stdio.ts";
 * await using node = await NodeStdioEcho.start();
 * await node.roundTrip("write", { handle: "x", endpoint: "tx", data: [1, 2] });
 * ```
 */
export class NodeStdioEcho implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pending = new Map<number, () => void>();
  readonly #reading: Promise<void>;
  readonly #encoder = new TextEncoder();
  #nextId = 1;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /** Spawns Node and waits until it answered one request. */
  static async start(): Promise<NodeStdioEcho> {
    const child = new Deno.Command("node", {
      args: [new URL("./_node_echo.mjs", import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const echo = new NodeStdioEcho(child);
    await echo.roundTrip("hello", {});
    return echo;
  }

  /** Sends one request line and resolves when its reply line arrived. */
  roundTrip(method: string, params: Record<string, unknown>): Promise<void> {
    const id = this.#nextId++;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#pending.set(id, resolve);
    const line = `${JSON.stringify({ id, method, params })}\n`;
    return this.#writer.write(this.#encoder.encode(line)).then(() => promise);
  }

  async #read(): Promise<void> {
    let buf = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const reply = JSON.parse(buf.slice(0, nl)) as { id: number };
        buf = buf.slice(nl + 1);
        const resolve = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        resolve?.();
      }
    }
  }

  /** Closes stdin (Node exits) and waits for the process. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#reading;
    await this.#child.status;
  }
}
