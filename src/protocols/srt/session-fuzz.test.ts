/** The session fuzz targets through the shared harness: a session lets nothing escape, whatever it is fed. */
import { expect, test } from "bun:test";
import { fuzz } from "../../core/fuzz.ts";
import { targets } from "./session.fuzz.ts";

for (const t of targets) {
  test(`fuzz ${t.name}`, () => {
    expect(t.seeds.every((s) => s.length > 100)).toBe(true);
    const r = fuzz(t, { iterations: 1500, seed: 0x5eed });
    expect(r.crashes.map((c) => String(c.error))).toEqual([]);
    expect(r.hangs).toEqual([]);
  }, 30_000);
}
