import type { FuzzTarget } from "../core/fuzz-target.ts";
import { AVC_BAD_CASES, AVC_CASES } from "./h264.cases.ts";
import { buildAvcConfig, describeAvcConfig, parseAvcConfig } from "./h264.ts";

export const target: FuzzTarget = {
  name: "codecs/avc-config",
  seeds: [...AVC_CASES.map((c) => c.record), ...AVC_BAD_CASES.map((c) => c.record)],
  maxInputBytes: 1024,
  run(input) {
    const cfg = parseAvcConfig(input);
    const info = describeAvcConfig(input);
    return [info, buildAvcConfig(cfg.sps, cfg.pps)];
  },
};
