/**
 * Every fuzz target (src/**\/*.fuzz.ts) gets a short run inside `npm test`, and the crashers
 * committed beside it are replayed: no crash, no hang. `bun run fuzz` runs the long version.
 */
import { describe, expect, test } from "bun:test";
import { fuzz } from "../src/core/fuzz.ts";
import { describeError, discoverTargets, replayCrashers } from "../scripts/fuzz.ts";

const ITERATIONS = Number(process.env.SPATE_FUZZ_SMOKE_ITERATIONS ?? 3000);
const SEED = Number(process.env.SPATE_FUZZ_SEED ?? 1);

const { targets, errors } = await discoverTargets();

describe("fuzz smoke", () => {
  test("every *.fuzz.ts imports and exports a valid target", () => {
    expect(errors).toEqual([]);
  });

  for (const d of targets) {
    test(`${d.target.name}: ${ITERATIONS} mutated inputs, no crash or hang`, () => {
      const r = fuzz(d.target, { iterations: ITERATIONS, seed: SEED });
      const problems = [
        ...r.crashes.map((c) => `crash: ${describeError(c.error)} on ${Buffer.from(c.input.subarray(0, 32)).toString("hex")}`),
        ...r.hangs.map((h) => `hang: ${h.ms.toFixed(0)} ms on ${h.input.length} bytes`),
      ];
      expect(problems, "reproduce with: bun run fuzz -- --only " + d.target.name + " --save").toEqual([]);
    });

    test(`${d.target.name}: committed crashers replay clean`, () => {
      const { failures } = replayCrashers(d);
      expect(failures.map((f) => `${f.path}: ${f.error === undefined ? `${f.ms.toFixed(0)} ms` : describeError(f.error)}`)).toEqual([]);
    });
  }
});
