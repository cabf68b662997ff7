/**
 * Fuzz target: mutated offers through parseSdp, then answered as WHIP and as WHEP (H.264 + Opus
 * stream, and VP8 + AAC). Only SdpError may escape; an answer must always parse back with every
 * offered section in place, or it is a crash.
 */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { answerWhep, answerWhip, type Negotiation } from "./answer.ts";
import { ERROR_CASES, LOCAL, OFFER_FIXTURES, offerText, SOURCES } from "./offer-cases.ts";
import { parseSdp } from "./parse.ts";
import type { SessionDescription } from "./model.ts";
import { SdpError } from "./sdp-error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // not fatal: an HTTP body with bad UTF-8 reaches us with U+FFFD
const whep = (offer: SessionDescription, sources: typeof SOURCES[keyof typeof SOURCES][]) =>
  answerWhep(offer, { ...LOCAL, sources, cname: "spate", streamId: "live/cam1" });

function check(offer: SessionDescription, n: Negotiation): void {
  const back = parseSdp(n.sdp);
  if (back.media.length !== offer.media.length || back.media.some((m, i) => m.mid !== offer.media[i]!.mid)) {
    throw new Error(`answer lost or reordered sections: ${offer.media.map((m) => m.mid)} → ${back.media.map((m) => m.mid)}`);
  }
}

export const target: FuzzTarget = {
  name: "webrtc/sdp",
  seeds: [...OFFER_FIXTURES.map((f) => offerText(f.file)), ...ERROR_CASES.filter((c) => c.code !== "too-large").map((c) => c.sdp)].map((s) => encoder.encode(s)),
  maxInputBytes: 16 * 1024,
  run(input: Uint8Array): unknown {
    const offer = parseSdp(decoder.decode(input));
    const results: Negotiation[] = [];
    for (const answer of [() => answerWhip(offer, LOCAL), () => whep(offer, [SOURCES.h264Cb31, SOURCES.opus]), () => whep(offer, [SOURCES.vp8, SOURCES.aac])]) {
      try {
        const n = answer();
        check(offer, n);
        results.push(n);
      } catch (e) {
        if (!(e instanceof SdpError)) throw e;
      }
    }
    return results.length;
  },
};
