/** Fuzz target: any datagram through the RTP decoder and the extension readers. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { readAbsSendTime, readMid, readTransportCc } from "./rtp-extensions.ts";
import { decodeRtp, RtpPacket } from "./rtp.ts";
import { RTP_CASES } from "./rtp.cases.ts";

const p = new RtpPacket();
const out = new Uint8Array(2048);

export const target: FuzzTarget = {
  name: "webrtc/rtp",
  seeds: RTP_CASES.map((c) => c.bytes),
  maxInputBytes: 1600,
  run(input: Uint8Array): number {
    if (decodeRtp(input, p) === 0) return 0;
    // Whatever decodes must encode back to the same size.
    const n = p.encodeTo(out, 0);
    if (n !== input.length) throw new Error(`re-encoded ${n} bytes != ${input.length}`);
    return readAbsSendTime(p, 2) + readTransportCc(p, 3) + readMid(p, 4).length;
  },
};
