import type { FuzzTarget } from "../core/fuzz-target.ts";
import { OPUS_HEAD_BAD_CASES, OPUS_HEAD_CASES, OPUS_PACKET_BAD, OPUS_PACKET_CASES } from "./opus.cases.ts";
import { buildOpusHead, describeOpus, isOpusHead, opusPacketSamples, parseOpusHead } from "./opus.ts";

/** OpusHead packets (re-built after parsing), and anything else as an Opus packet. */
export const target: FuzzTarget = {
  name: "codecs/opus",
  seeds: [
    ...OPUS_HEAD_CASES.map((c) => c.head),
    ...OPUS_HEAD_BAD_CASES.map((c) => c.head),
    ...OPUS_PACKET_CASES.map((c) => c[1]),
    ...OPUS_PACKET_BAD.map((c) => c[1]),
  ],
  maxInputBytes: 512,
  run(input) {
    if (!isOpusHead(input)) return opusPacketSamples(input);
    const head = parseOpusHead(input);
    return [describeOpus(input), buildOpusHead({ ...head })];
  },
};
