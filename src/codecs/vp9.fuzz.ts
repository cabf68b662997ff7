import type { FuzzTarget } from "../core/fuzz-target.ts";
import { fixture } from "./h264.cases.ts";
import { describeVpcConfig, parseVp9FrameHeader, vp9IsKeyframe } from "./vp9.ts";

/** vpcC records (first byte 1) and VP9 frame headers. */
export const target: FuzzTarget = {
  name: "codecs/vp9",
  seeds: [fixture("vp9-240p.vpcc"), fixture("vp9-64.vpcc"), fixture("vp9-64-key.bin").subarray(0, 64), fixture("vp9-64-inter.bin").subarray(0, 64)],
  maxInputBytes: 256,
  run(input) {
    if (input[0] === 1) return describeVpcConfig(input);
    return [vp9IsKeyframe(input), parseVp9FrameHeader(input)];
  },
};
