/** The FLV fuzz targets, 2,000 mutants each through the shared harness: nothing but ProtocolError may escape. */
import { expect, test } from "bun:test";
import { fuzz } from "../../core/fuzz.ts";
import { target as file } from "./flv-file.fuzz.ts";
import { target as tag } from "./flv-tag.fuzz.ts";

for (const t of [tag, file]) {
  test(`fuzz ${t.name}`, () => {
    const r = fuzz(t, { iterations: 2000, seed: 0x5eed });
    expect(r.crashes.map((c) => String(c.error))).toEqual([]);
    expect(r.hangs).toEqual([]);
    expect(r.iterations).toBe(2000);
  });
}
