/** Fuzz target: any payload through every codec's keyframe-start check and the H.264 SPS check. First byte: the codec. */
import type { FuzzTarget } from "../../core/fuzz-target.ts";
import type { Codec } from "../../core/track.ts";
import { KEY_START_CASES } from "./keyframe-start.cases.ts";
import { h264HasSps, isKeyframeStart } from "./keyframe-start.ts";

const CODECS: Codec[] = ["h264", "vp8", "vp9", "av1", "opus"];

export const target: FuzzTarget = {
  name: "webrtc/keyframe-start",
  seeds: KEY_START_CASES.filter((c) => CODECS.includes(c.codec)).map((c) => Uint8Array.of(CODECS.indexOf(c.codec), ...c.payload)),
  maxInputBytes: 1500,
  run(input: Uint8Array): number {
    if (input.length === 0) return 0;
    const p = input.subarray(1);
    return (isKeyframeStart(CODECS[input[0]! % CODECS.length]!, p) ? 1 : 0) + (h264HasSps(p) ? 2 : 0);
  },
};
