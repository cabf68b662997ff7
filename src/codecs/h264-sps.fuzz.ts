import type { FuzzTarget } from "../core/fuzz-target.ts";
import { AVC_CASES, SPS_CASES } from "./h264.cases.ts";
import { parseAvcConfig } from "./h264.ts";
import { parseSps } from "./h264-sps.ts";

export const target: FuzzTarget = {
  name: "codecs/h264-sps",
  seeds: [...AVC_CASES.map((c) => parseAvcConfig(c.record).sps[0]!), ...SPS_CASES.map((c) => c.nal)],
  maxInputBytes: 512,
  run: (input) => parseSps(input),
};
