/** Fuzz target: any datagram walked as compound RTCP, each packet through the decoder its type selects. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { decodeFir, decodeNack, decodePli, decodeRemb, Fir, isRemb, Nack, Pli, Remb } from "./rtcp-feedback.ts";
import { Bye, decodeBye, decodeReceiverReport, decodeSdes, decodeSenderReport, ReceiverReport, Sdes, SenderReport } from "./rtcp-report.ts";
import { decodeTwcc, TwccFeedback } from "./rtcp-twcc.ts";
import { FMT_FIR, FMT_NACK, FMT_PLI, FMT_TWCC, PT_BYE, PT_PSFB, PT_RR, PT_RTPFB, PT_SDES, PT_SR, RtcpReader } from "./rtcp.ts";
import { RTCP_CASES } from "./rtcp.cases.ts";

const reader = new RtcpReader();
const sr = new SenderReport();
const rr = new ReceiverReport();
const sdes = new Sdes();
const bye = new Bye();
const nack = new Nack();
const pli = new Pli();
const fir = new Fir();
const remb = new Remb();
const twcc = new TwccFeedback();

export const target: FuzzTarget = {
  name: "webrtc/rtcp",
  seeds: RTCP_CASES.map((c) => c.bytes),
  maxInputBytes: 1600,
  run(input: Uint8Array): number {
    const r = reader.reset(input);
    let n = 0;
    while (r.next()) {
      const { buf, start, end, packetType: pt, count } = r;
      if (pt === PT_SR) n += decodeSenderReport(buf, start, end, sr);
      else if (pt === PT_RR) n += decodeReceiverReport(buf, start, end, rr);
      else if (pt === PT_SDES) n += decodeSdes(buf, start, end, sdes);
      else if (pt === PT_BYE) n += decodeBye(buf, start, end, bye);
      else if (pt === PT_RTPFB && count === FMT_NACK) n += decodeNack(buf, start, end, nack);
      else if (pt === PT_RTPFB && count === FMT_TWCC) n += decodeTwcc(buf, start, end, twcc);
      else if (pt === PT_PSFB && count === FMT_PLI) n += decodePli(buf, start, end, pli);
      else if (pt === PT_PSFB && count === FMT_FIR) n += decodeFir(buf, start, end, fir);
      else if (pt === PT_PSFB && isRemb(buf, start, end)) n += decodeRemb(buf, start, end, remb);
      else n += end - start;
    }
    return n;
  },
};
