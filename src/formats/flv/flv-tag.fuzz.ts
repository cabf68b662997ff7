import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { AUDIO_CASES, BAD_CASES, VIDEO_CASES } from "./tag.cases.ts";
import { decodeAudioTag, decodeVideoTag, FlvTag, tagPayload } from "./tag.ts";

const tag = new FlvTag();

/**
 * Video and audio tag bodies; the first input byte picks the decoder (even = video, odd = audio) and
 * the rest is the body. The payload view is taken so a wrong offset/length would show up.
 */
export const target: FuzzTarget = {
  name: "flv/tag",
  seeds: [...VIDEO_CASES, ...AUDIO_CASES, ...BAD_CASES].map((c) => Uint8Array.from([c.audio ? 1 : 0, ...c.body.subarray(0, 256)])),
  maxInputBytes: 1024,
  run(input) {
    if (input.length === 0) return null;
    const body = input.subarray(1);
    const t = input[0]! & 1 ? decodeAudioTag(body, tag) : decodeVideoTag(body, tag);
    const p = tagPayload(body, t);
    if (t.payloadOffset + t.payloadLength > body.length || p.length !== t.payloadLength) {
      throw new Error(`payload [${t.payloadOffset}, +${t.payloadLength}) outside a body of ${body.length}`);
    }
    return t.kind;
  },
};
