/**
 * A minimal leveled logger: one line per event, `LEVEL message`, to stderr by default.
 *
 * @module
 */

/** Log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
/** One log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Where servers and device code write their log lines. */
export interface Logger {
  /** Something failed. */
  error(message: string): void;
  /** Something unexpected that the server survived. */
  warn(message: string): void;
  /** Normal life-cycle events (client connected/left, device added/removed). */
  info(message: string): void;
  /** Detail useful when debugging. */
  debug(message: string): void;
  /** Every message and byte. */
  trace(message: string): void;
}

/** A logger that drops everything (the default for embedded use and tests). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
};

/**
 * A logger printing lines at or above `level` through `write` (default: stderr).
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger("info", (line) => lines.push(line));
 * log.info("client connected");
 * log.debug("hidden");
 * console.assert(lines.length === 1);
 * ```
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lvl: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(lvl) <= threshold) {
      write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${message}`);
    }
  };
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
  };
}
