// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript run by Node
// Shared helpers of the interop scripts: argument parsing, a hard timeout and the result line.
// Each script prints exactly one line starting with "RESULT " holding a JSON object, then exits
// (0 when the scenario ran to the end, 1 otherwise). Libraries may log other lines to stdout.

/** The server URL given on the command line. */
export function serverUrl() {
  const url = process.argv[2];
  if (!url || !url.startsWith("ws://")) {
    finish({ ok: false, error: "usage: node <script> ws://127.0.0.1:PORT" }, 1);
  }
  return url;
}

/** Prints the result line and exits. */
export function finish(result, code = result.ok ? 0 : 1) {
  process.stdout.write(
    `RESULT ${JSON.stringify(result)}\n`,
    () => process.exit(code),
  );
}

/** Runs `scenario(report)`; `report` collects fields of the result. Exits when done. */
export function run(library, spec, scenario, timeoutMs = 20000) {
  const report = { library, spec, ok: false, steps: [] };
  const timer = setTimeout(() => {
    finish(
      { ...report, ok: false, error: `timed out after ${timeoutMs} ms` },
      1,
    );
  }, timeoutMs);
  Promise.resolve()
    .then(() => scenario(report))
    .then(
      () => {
        clearTimeout(timer);
        finish({ ...report, ok: true }, 0);
      },
      (err) => {
        clearTimeout(timer);
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        finish({ ...report, ok: false, error }, 1);
      },
    );
}

/** Resolves after `ms` milliseconds. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a truthy value (or throws after `ms`). */
export async function waitFor(what, check, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = check();
    if (value) return value;
    await delay(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
