/**
 * One case table for RTCP datagrams: the decode test, the round-trip test and the fuzz seeds read
 * it. The TWCC feedback packets are the wire examples of pion/rtcp's transport_layer_cc_test.go
 * (examples 1 and 4-6: padding with P set; their example 3 sets P without padding, which
 * libwebrtc rejects and so do we, see rtcp.test.ts); the rest we built by hand from RFC 3550 §6.4-6.6,
 * RFC 4585 §6, RFC 5104 §4.3.1 and draft-alvestrand-rmcat-remb-03, shaped like what a browser sends
 * (compound RR + SDES with a 16-character CNAME, then feedback).
 */
import { hex } from "./stun.cases.ts";

export interface RtcpPacketExpect {
  packetType: number;
  count: number;
  /** Fields of the decoded object (SenderReport, Nack, TwccFeedback...). */
  fields?: Record<string, unknown>;
  /** The first report block's fields. */
  report?: Record<string, unknown>;
  cnames?: string[];
  lost?: number[];
  /** TWCC statuses and deltas (250 us units) for the packets it covers. */
  statuses?: number[];
  deltas?: number[];
}

export interface RtcpCase {
  name: string;
  bytes: Uint8Array;
  packets: RtcpPacketExpect[];
  /** False when our encoders lay the same content out differently (so only the decode is checked). */
  roundTrip: boolean;
}

const RR = "81c90007 00000001 12345678 05000003 0001a2b3 00000020 c0ffee00 00010000";
const SDES = "81ca0006 00000001 0110 6162636465666768696a6b6c6d6e6f70 0000";
const PLI = "81ce0002 00000001 12345678";
const REMB = "8fce0005 00000001 00000000 52454d42 01 12625a 12345678";

export const RTCP_CASES: RtcpCase[] = [
  {
    name: "viewer compound: RR, SDES CNAME, PLI, REMB 2.5 Mbit/s",
    bytes: hex(RR + SDES + PLI + REMB),
    roundTrip: true,
    packets: [
      {
        packetType: 201,
        count: 1,
        fields: { ssrc: 1, reportCount: 1 },
        report: { ssrc: 0x12345678, fractionLost: 5, packetsLost: 3, highestSequence: 0x1a2b3, jitter: 32, lastSr: 0xc0ffee00, delaySinceLastSr: 0x10000 },
      },
      { packetType: 202, count: 1, cnames: ["abcdefghijklmnop"] },
      { packetType: 206, count: 1, fields: { senderSsrc: 1, mediaSsrc: 0x12345678 } },
      { packetType: 206, count: 15, fields: { senderSsrc: 1, bitrateBps: 2_500_000, count: 1 } },
    ],
  },
  {
    name: "publisher SR with one report block, then SDES",
    bytes: hex(
      "81c8000c 12345678 e8e0a1b2 80000000 00015f90 00000064 0000c350" +
        "00000001 00ffffff 00010000 00000000 00000000 00000000" +
        "81ca0006 12345678 0110 6162636465666768696a6b6c6d6e6f70 0000",
    ),
    roundTrip: true,
    packets: [
      {
        packetType: 200,
        count: 1,
        fields: { ssrc: 0x12345678, ntpSeconds: 0xe8e0a1b2, ntpFraction: 0x80000000, rtpTimestamp: 90000, packetCount: 100, octetCount: 50000, reportCount: 1 },
        report: { ssrc: 1, fractionLost: 0, packetsLost: -1, highestSequence: 0x10000 },
      },
      { packetType: 202, count: 1, cnames: ["abcdefghijklmnop"] },
    ],
  },
  {
    name: "generic NACK: 100, 101, 103; a pair across the wrap",
    bytes: hex("81cd0004 00000001 12345678 00640005 fffe8001"),
    roundTrip: true,
    packets: [{ packetType: 205, count: 1, fields: { senderSsrc: 1, mediaSsrc: 0x12345678, pairCount: 2 }, lost: [100, 101, 103, 0xfffe, 0xffff, 0x000e] }],
  },
  {
    name: "FIR with command sequence number 7",
    bytes: hex("84ce0004 00000001 00000000 12345678 07000000"),
    roundTrip: true,
    packets: [{ packetType: 206, count: 4, fields: { senderSsrc: 1, count: 1 } }],
  },
  {
    name: "BYE with reason, then BYE of two sources",
    bytes: hex("81cb0003 12345678 0663616d65726100 82cb0002 00000001 00000002"),
    roundTrip: true,
    packets: [
      { packetType: 203, count: 1, fields: { count: 1, reason: "camera" } },
      { packetType: 203, count: 2, fields: { count: 2, reason: "" } },
    ],
  },
  {
    name: "empty RR (RFC 3550 §6.4.2: no sources yet) and a two-chunk SDES",
    bytes: hex("80c90001 00000009 82ca0005 00000001 01026162 00000000 00000002 01016300"),
    roundTrip: true,
    packets: [
      { packetType: 201, count: 0, fields: { ssrc: 9, reportCount: 0 } },
      { packetType: 202, count: 2, cnames: ["ab", "c"] },
    ],
  },
  {
    name: "TWCC: one packet, small delta, padded (pion example1)",
    bytes: hex("afcd0005 fa17fa17 43032fa0 0099 0001 3de802 17 2001 94 01"),
    roundTrip: true,
    packets: [{ packetType: 205, count: 15, fields: { senderSsrc: 0xfa17fa17, mediaSsrc: 0x43032fa0, baseSequence: 153, statusCount: 1, referenceTime: 4057090, fbPktCount: 23, receivedCount: 1 }, statuses: [1], deltas: [148] }],
  },
  {
    name: "TWCC: run of seven small deltas (pion example4)",
    bytes: hex("afcd0007 fa17fa17 193dd8bb 0004 0007 10636e 01 2007 4c 24 24 10 0c 0c 10 000003"),
    roundTrip: true,
    packets: [{ packetType: 205, count: 15, fields: { baseSequence: 4, statusCount: 7, referenceTime: 1074030, receivedCount: 7 }, statuses: [1, 1, 1, 1, 1, 1, 1], deltas: [76, 36, 36, 16, 12, 12, 16] }],
  },
  {
    name: "TWCC: one-bit vector with losses (pion example5, as its Marshal test writes it: 2 bytes of padding)",
    bytes: hex("afcd0006 fa17fa17 193dd8bb 0001 000e 10636d 00 ba00 10 0c 0c 10 0002"),
    roundTrip: false,
    packets: [{ packetType: 205, count: 15, fields: { baseSequence: 1, statusCount: 14, referenceTime: 1074029, receivedCount: 4, lostCount: 10 }, statuses: [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], deltas: [16, 12, 12, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
  },
  {
    name: "TWCC: two-bit vector, then a run longer than the status count (pion example6)",
    bytes: hex("afcd0007 9b74f61f 9371dcbc 853c 0009 63f916 b3 d552 0030 9b aa 6a aa 7b 0109 01"),
    roundTrip: false,
    packets: [{ packetType: 205, count: 15, fields: { baseSequence: 34108, statusCount: 9, referenceTime: 6551830, fbPktCount: 179, receivedCount: 6, lostCount: 3 }, statuses: [1, 1, 1, 1, 1, 0, 2, 0, 0], deltas: [155, 170, 106, 170, 123, 0, 265, 0, 0] }],
  },
];
