/**
 * Registers one Deno test per device test case file under `tests/fixtures/device-cases/`
 * (upstream's corpus plus the team's own cases in `ours/`). Each case runs under spec v4 and
 * v3 through the whole stack (see `runner.ts`). Cases upstream never runs and cases whose
 * protocol has no implementation yet are registered as ignored, with the reason in the name.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { parseCase } from "./case.ts";
import { collectCaseFiles, planCase, runCase } from "./runner.ts";

const dir = fileURLToPath(new URL("../fixtures/device-cases/", import.meta.url));

for (const path of await collectCaseFiles([dir])) {
  const file = path.slice(dir.length);
  let deviceCase;
  try {
    deviceCase = parseCase(await Deno.readTextFile(path), path);
  } catch (err) {
    const message = (err as Error).message;
    Deno.test(`device case ${file}`, () => assert.fail(`cannot load case: ${message}`));
    continue;
  }
  const plan = await planCase(deviceCase);
  const why = plan.skip
    ? ` (skipped: ${plan.skip})`
    : plan.unimplemented.length > 0
    ? ` (not implemented: ${plan.unimplemented.join(", ")})`
    : "";
  const c = deviceCase;
  Deno.test({
    name: `device case ${file}${why}`,
    ignore: why !== "",
    async fn() {
      const result = await runCase(c);
      assert.equal(result.status, "passed", result.reason);
    },
  });
}
