/**
 * `deno task device-cases [--v4|--v3] [--verbose] [--real-time] [--include-disabled] [PATH...]`:
 * runs upstream-format device test cases through the whole stack and prints one line per case and
 * a final `N passed, M failed, K skipped` line. Cases run on a virtual clock (see `runner.ts`);
 * `--real-time` runs them on the system clock instead. Without paths it runs `tests/fixtures/device-cases/`
 * (which includes the team's own cases under `ours/`). Paths may be files or folders anywhere;
 * a case's `config/` folder is looked up beside the case file.
 *
 * Exit code: 0 when nothing failed. Cases whose protocol is not implemented yet count as failed
 * (listed as `todo`), so they are never silently passing.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { createLogger } from "../../server/log.ts";
import { type CaseSpecVersion, collectCaseFiles, formatResult, runCaseFile } from "./runner.ts";

const DEFAULT_DIR = fileURLToPath(new URL("../fixtures/device-cases/", import.meta.url));

async function main(args: string[]): Promise<number> {
  const paths: string[] = [];
  let versions: CaseSpecVersion[] = [4, 3];
  let verbose = false;
  let includeDisabled = false;
  let realTime = false;
  for (const arg of args) {
    if (arg === "--v4") versions = [4];
    else if (arg === "--v3") versions = [3];
    else if (arg === "--verbose" || arg === "-v") verbose = true;
    else if (arg === "--include-disabled") includeDisabled = true;
    else if (arg === "--real-time") realTime = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: deno task device-cases [--v4|--v3] [--verbose] [--real-time] [--include-disabled] [PATH...]",
      );
      return 0;
    } else paths.push(arg);
  }
  const files = await collectCaseFiles(paths.length > 0 ? paths : [DEFAULT_DIR]);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let todo = 0;
  const logger = verbose ? createLogger("debug") : undefined;
  for (const file of files) {
    const result = await runCaseFile(file, {
      versions,
      includeDisabled,
      realTime,
      ...(logger ? { logger } : {}),
    });
    console.log(formatResult(result));
    if (result.status === "passed") passed++;
    else if (result.status === "skipped") skipped++;
    else {
      failed++;
      if (result.status === "not-implemented") todo++;
    }
  }
  if (todo > 0) console.log(`(${todo} of the failures are protocols not implemented yet)`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
