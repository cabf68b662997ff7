/** Every codec fuzz target, 2,000 mutants each through the shared harness: nothing but ProtocolError may escape. */
import { expect, test } from "bun:test";
import { fuzz } from "../core/fuzz.ts";
import type { FuzzTarget } from "../core/fuzz-target.ts";
import { target as aac } from "./aac.fuzz.ts";
import { target as av1Config } from "./av1-config.fuzz.ts";
import { target as avcConfig } from "./avc-config.fuzz.ts";
import { target as h264Sps } from "./h264-sps.fuzz.ts";
import { target as hevcConfig } from "./hevc-config.fuzz.ts";
import { target as opus } from "./opus.fuzz.ts";
import { target as vp9 } from "./vp9.fuzz.ts";

const TARGETS: FuzzTarget[] = [h264Sps, avcConfig, hevcConfig, av1Config, aac, opus, vp9];

for (const t of TARGETS) {
  test(`fuzz ${t.name}`, () => {
    const r = fuzz(t, { iterations: 2000, seed: 0x5eed });
    expect(r.crashes.map((c) => String(c.error))).toEqual([]);
    expect(r.hangs).toEqual([]);
    expect(r.iterations).toBe(2000);
  });
}
