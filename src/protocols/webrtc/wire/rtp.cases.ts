/**
 * One case table for RTP: the decode test, the round-trip test and the fuzz seeds read it. Built
 * by hand from RFC 3550 §5.1 and RFC 8285 §4, shaped like what Chromium sends with its default
 * extmap (1 ssrc-audio-level, 2 abs-send-time, 3 transport-cc, 4 mid).
 */
import type { RtpPacket } from "./rtp.ts";
import { hex } from "./stun.cases.ts";

export { hex };

export interface RtpCase {
  name: string;
  bytes: Uint8Array;
  header: Partial<RtpPacket>;
  csrc?: number[];
  /** [id, hex value] for each indexed extension element, in order. */
  extensions?: [number, string][];
  payload: string;
}

export const RTP_CASES: RtpCase[] = [
  {
    name: "Chromium-like Opus: audio level, abs-send-time, transport-cc, mid",
    bytes: hex("906f1a2b 00c0ffee 12345678 bede0003 10ff 22123456 310007 4030 00 fcfffe"),
    header: { marker: false, payloadType: 111, sequenceNumber: 0x1a2b, timestamp: 0xc0ffee, ssrc: 0x12345678, extension: true, extensionProfile: 0xbede, csrcCount: 0, paddingSize: 0 },
    extensions: [
      [1, "ff"],
      [2, "123456"],
      [3, "0007"],
      [4, "30"],
    ],
    payload: "fcfffe",
  },
  {
    name: "H.264 FU-A end with the marker, no extension",
    bytes: hex("80e00001 00000000 deadbeef 7c45aabbcc"),
    header: { marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 0xdeadbeef, extension: false, csrcCount: 0 },
    payload: "7c45aabbcc",
  },
  {
    name: "two CSRCs and 3 bytes of padding, counters at their top",
    bytes: hex("a208ffff ffffffff 00000001 00000002 00000003 0102 000003"),
    header: { payloadType: 8, sequenceNumber: 0xffff, timestamp: 0xffffffff, ssrc: 1, csrcCount: 2, paddingSize: 3 },
    csrc: [2, 3],
    payload: "0102",
  },
  {
    name: "two-byte extensions (RFC 8285 §4.3): an empty element, a padding byte, a 17-byte element",
    bytes: hex("90600002 00000003 00000004 10000006 0500 00 0711 4142434445464748494a4b4c4d4e4f5051 0000 99"),
    header: { payloadType: 96, sequenceNumber: 2, extensionProfile: 0x1000 },
    extensions: [
      [5, ""],
      [7, "4142434445464748494a4b4c4d4e4f5051"],
    ],
    payload: "99",
  },
  {
    name: "unknown extension profile kept raw, not indexed",
    bytes: hex("90600003 00000003 00000004 abac0001 01020304 55"),
    header: { extensionProfile: 0xabac, extensionCount: 0 },
    extensions: [],
    payload: "55",
  },
  {
    name: "one-byte block stops at the reserved id 15 (RFC 8285 §4.2)",
    bytes: hex("90600004 00000003 00000004 bede0002 1041 f0ffffff 0000 56"),
    header: { extensionProfile: 0xbede },
    extensions: [[1, "41"]],
    payload: "56",
  },
  {
    name: "padding-only probe: empty payload, 4 bytes of padding",
    bytes: hex("a0600005 00000003 00000004 00000004"),
    header: { sequenceNumber: 5, paddingSize: 4 },
    payload: "",
  },
];
