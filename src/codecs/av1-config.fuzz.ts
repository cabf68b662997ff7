import type { FuzzTarget } from "../core/fuzz-target.ts";
import { AV1_BAD_CASES, AV1_CASES, AV1_INTER_TU, AV1_KEY_TU } from "./av1.cases.ts";
import { av1IsKeyframe, buildAv1ConfigFromSequenceHeader, describeAv1Config, parseAv1Config } from "./av1.ts";

/** av1C records and temporal units: the first byte picks which (0x81 is the av1C marker). */
export const target: FuzzTarget = {
  name: "codecs/av1-config",
  seeds: [...AV1_CASES.map((c) => c.record), ...AV1_BAD_CASES.map((c) => c.record), AV1_KEY_TU.subarray(0, 400), AV1_INTER_TU],
  maxInputBytes: 2048,
  run(input) {
    if (input[0] !== 0x81) return av1IsKeyframe(input);
    const cfg = parseAv1Config(input);
    const info = describeAv1Config(input);
    return cfg.configObus.length > 0 ? [info, buildAv1ConfigFromSequenceHeader(cfg.configObus)] : info;
  },
};
