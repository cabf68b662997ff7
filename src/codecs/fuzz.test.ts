/** Every codec fuzz target, 2,000 mutants each: nothing but ProtocolError may escape. */
import { expect, test } from "bun:test";
import type { FuzzTarget } from "../core/fuzz-target.ts";
import { fuzzSmoke } from "./fuzz-smoke.ts";
import { target as avcConfig } from "./avc-config.fuzz.ts";
import { target as h264Sps } from "./h264-sps.fuzz.ts";
import { target as hevcConfig } from "./hevc-config.fuzz.ts";

const TARGETS: FuzzTarget[] = [h264Sps, avcConfig, hevcConfig];

for (const t of TARGETS) {
  test(`fuzz ${t.name}`, () => {
    const r = fuzzSmoke(t, 2000);
    expect(r.crashes).toEqual([]);
    expect(r.runs).toBe(t.seeds.length + 2000);
  });
}
