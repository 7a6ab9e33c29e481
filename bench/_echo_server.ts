/**
 * The baseline every latency and throughput figure is compared with: a bare `Deno.serve`
 * WebSocket server that parses each text frame and answers every message in it with a JSON
 * `Ok` carrying the message's `Id` (one frame per reply, as our server does). Optionally each
 * frame first waits for some extra work (the sidecar baseline does one stdio round trip to Node).
 *
 * @module
 */

/** Options of {@linkcode serveEcho}. */
export interface EchoServerOptions {
  /** Port (default 0: a free one). */
  readonly port?: number;
  /** Work to finish before answering a frame (e.g. a stdio round trip). */
  readonly beforeReply?: (frame: string) => Promise<void>;
}

/** A running echo server. */
export interface EchoServer extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Frames answered so far. */
  readonly frames: number;
  /** Closes every socket and stops listening. */
  shutdown(): Promise<void>;
}

/** Ids of the messages of a frame (`[{"Name":{"Id":n,...}}, ...]`). */
export function messageIds(frame: string): number[] {
  const parsed = JSON.parse(frame) as Record<string, { Id?: unknown }>[];
  const ids: number[] = [];
  for (const message of parsed) {
    for (const key in message) {
      const id = message[key]?.Id;
      ids.push(typeof id === "number" ? id : 0);
      break;
    }
  }
  return ids;
}

/**
 * Starts the baseline echo server on 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * import { serveEcho } from "./_echo_server.ts";
 * await using echo = serveEcho();
 * const ws = new WebSocket(echo.url);
 * // ws.send('[{"Ping":{"Id":1}}]') → '[{"Ok":{"Id":1}}]'
 * ```
 */
export function serveEcho(options: EchoServerOptions = {}): EchoServer {
  const sockets = new Set<WebSocket>();
  const closed = new Set<Promise<void>>();
  let frames = 0;
  const answer = (socket: WebSocket, frame: string): void => {
    frames++;
    for (const id of messageIds(frame)) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify([{ Ok: { Id: id } }]));
    }
  };
  const before = options.beforeReply;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    (req) => {
      const { socket, response } = Deno.upgradeWebSocket(req);
      sockets.add(socket);
      closed.add(
        new Promise<void>((resolve) =>
          socket.addEventListener("close", () => {
            sockets.delete(socket);
            resolve();
          }, { once: true })
        ),
      );
      socket.addEventListener("message", (event) => {
        const frame = event.data as string;
        if (before) before(frame).then(() => answer(socket, frame));
        else answer(socket, frame);
      });
      return response;
    },
  );
  const addr = server.addr as Deno.NetAddr;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    stopping ??= (async () => {
      for (const socket of sockets) socket.close(1001, "bench done");
      await Promise.all(closed);
      await server.shutdown();
    })();
  return {
    url: `ws://127.0.0.1:${addr.port}`,
    port: addr.port,
    get frames() {
      return frames;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
