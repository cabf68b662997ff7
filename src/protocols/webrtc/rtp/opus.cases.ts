/** Opus RTP payloads (RFC 7587 §4.2: one Opus packet each), by hand: TOC bytes of 20 ms CELT frames. */
import { frame, pkt, type DepacketizeCase } from "./rtp-case.ts";

export const OPUS_CASES: DepacketizeCase[] = [
  {
    name: "one packet, one frame; no marker needed",
    packets: [pkt("f8 fffe", false, 0), pkt("f8 0102 03", false, 960), pkt("fc 00", true, 1920)],
    frames: [frame("f8fffe", 0, true), frame("f8010203", 960, true), frame("fc00", 1920, true)],
    packetized: false,
  },
  {
    name: "a lost packet is just missing: no waiting for anything",
    packets: [pkt("f8 01", false, 0, 100), pkt("f8 02", false, 1920, 102)],
    frames: [frame("f801", 0, true), frame("f802", 1920, true)],
    stats: { lost: 1, frames: 2, framesDropped: 0 },
  },
  {
    name: "an empty payload is malformed (§4.2: at least the TOC byte)",
    packets: [pkt("", false, 0), pkt("f8 01", false, 960)],
    frames: [frame("f801", 960, true)],
    stats: { malformed: 1 },
  },
];
