import type { FuzzTarget } from "../core/fuzz-target.ts";
import { HEVC_BAD_CASES, HEVC_CASES } from "./h265.cases.ts";
import { buildHevcConfig, describeHevcConfig, parseHevcConfig } from "./h265.ts";

export const target: FuzzTarget = {
  name: "codecs/hevc-config",
  seeds: [...HEVC_CASES.map((c) => c.record), ...HEVC_BAD_CASES.map((c) => c.record)],
  maxInputBytes: 1024,
  run(input) {
    const cfg = parseHevcConfig(input);
    const info = describeHevcConfig(input);
    return cfg.sps.length > 0 ? [info, buildHevcConfig(cfg.vps, cfg.sps, cfg.pps)] : info;
  },
};
