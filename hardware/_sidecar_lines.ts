/**
 * Splits the sidecar's output streams (stdout: protocol lines, stderr: log lines) into lines,
 * dropping overlong ones.
 *
 * @module
 */
import type { Logger } from "../server/log.ts";

/** Longest line accepted from the sidecar (longer ones are dropped and logged). */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Reads `stream` to its end and calls `onLine` with each line (without its `\n` or `\r\n`). A
 * line longer than {@linkcode MAX_LINE_CHARS} is skipped and reported to `onTooLong`; a read
 * error ends the stream and is logged at debug level.
 *
 * @example
 * ```ts
 * import { readLines } from "./_sidecar_lines.ts";
 * import { silentLogger } from "../server/log.ts";
 * const lines: string[] = [];
 * const stream = ReadableStream.from([new TextEncoder().encode("a\r\nb\n")]);
 * await readLines(stream, (line) => lines.push(line), () => {}, silentLogger);
 * console.assert(lines.join() === "a,b");
 * ```
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  onTooLong: () => void,
  logger: Logger,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let skipping = false;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (skipping) {
          skipping = false;
        } else if (line.length > MAX_LINE_CHARS) {
          onTooLong();
        } else {
          onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
        }
      }
      if (buf.length > MAX_LINE_CHARS && !skipping) {
        onTooLong();
        skipping = true;
      }
      if (skipping) buf = "";
    }
    if (buf.trim() !== "" && !skipping) onLine(buf);
  } catch (err) {
    logger.debug(
      `sidecar: reading its output failed: ${(err as Error).message}`,
    );
  } finally {
    reader.releaseLock();
  }
}
