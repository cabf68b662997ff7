/**
 * One case table for SRT packets: the decode test, the round-trip test and the fuzz seeds all read
 * it. "libsrt" cases were captured on loopback between two srt-live-transmit 1.5.1 (a UDP proxy
 * logging every datagram, AES-128, passphrase "secretsecret"); the others are built by hand from
 * the draft's figures.
 */
import type { Ack, DropRequest } from "./control.ts";
import type { ControlHeader, DataHeader } from "./packet.ts";

export const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export type PacketCase =
  | { name: string; kind: "data"; bytes: Uint8Array; header: Partial<DataHeader>; payloadLength: number }
  | {
      name: string;
      kind: "control";
      bytes: Uint8Array;
      header: Partial<ControlHeader>;
      ack?: Partial<Ack>;
      /** NAK ranges [first, last] as on the wire. */
      loss?: [number, number][];
      drop?: Partial<DropRequest>;
    };

export const PACKET_CASES: PacketCase[] = [
  {
    name: "libsrt data, solo, even key (first 16 payload bytes kept)",
    kind: "data",
    bytes: hex("3a5b3021c80000010003782508e787ae79cbe9026e95ea3216849045bd24ae57"),
    header: { seq: 0x3a5b3021, position: 3, inOrder: false, keyFlag: 1, retransmitted: false, msgNo: 1, timestamp: 0x37825, destSocketId: 0x08e787ae },
    payloadLength: 16,
  },
  {
    name: "data, first of a message, in order, odd key, retransmitted, top sequence number",
    kind: "data",
    bytes: hex("7fffffff b5000123 ffffffff 00000001 47"),
    header: { seq: 0x7fffffff, position: 2, inOrder: true, keyFlag: 2, retransmitted: true, msgNo: 0x1000123, timestamp: 0xffffffff, destSocketId: 1 },
    payloadLength: 1,
  },
  {
    name: "data, middle, empty payload",
    kind: "data",
    bytes: hex("00000000 00000000 00000000 00000000"),
    header: { seq: 0, position: 0, inOrder: false, keyFlag: 0, retransmitted: false, msgNo: 0, timestamp: 0, destSocketId: 0 },
    payloadLength: 0,
  },
  {
    name: "libsrt full ACK (first of the session: RTT 100 ms, RTTVar 50 ms)",
    kind: "control",
    bytes: hex("8002000000000001000357583e5d453c3a5b3022000186a00000c35000001ffe00000002000003e800000629"),
    header: { type: 2, subtype: 0, info: 1, timestamp: 0x35758, destSocketId: 0x3e5d453c },
    ack: { lastAckSeq: 0x3a5b3022, rttUs: 100000, rttVarUs: 50000, availableBuffer: 8190, packetRate: 2, linkCapacity: 1000, receiveRate: 0x629, words: 7 },
  },
  {
    name: "light ACK",
    kind: "control",
    bytes: hex("80020000 00000000 00000010 00000022 0000abcd"),
    header: { type: 2, info: 0, timestamp: 16, destSocketId: 0x22 },
    ack: { lastAckSeq: 0xabcd, words: 1, rttUs: 0 },
  },
  {
    name: "small ACK",
    kind: "control",
    bytes: hex("80020000 00000000 00000010 00000022 0000abcd 00002710 00001388 00000100"),
    header: { type: 2, info: 0 },
    ack: { lastAckSeq: 0xabcd, words: 4, rttUs: 10000, rttVarUs: 5000, availableBuffer: 256, packetRate: 0 },
  },
  {
    name: "libsrt ACKACK",
    kind: "control",
    bytes: hex("800600000000000100037b2108e787ae00000000"),
    header: { type: 6, info: 1, timestamp: 0x37b21, destSocketId: 0x08e787ae },
  },
  {
    name: "libsrt keepalive",
    kind: "control",
    bytes: hex("80010000000000000012dfbd3e5d453c00000000"),
    header: { type: 1, info: 0, timestamp: 0x12dfbd, destSocketId: 0x3e5d453c },
  },
  {
    name: "libsrt shutdown",
    kind: "control",
    bytes: hex("8005000000000000002f247a08e787ae00000000"),
    header: { type: 5, timestamp: 0x2f247a, destSocketId: 0x08e787ae },
  },
  {
    name: "NAK: one packet, a range, one packet across the 31-bit wrap",
    kind: "control",
    bytes: hex("80030000 00000000 00000100 00000007 00000005 8000000a 00000010 7fffffff"),
    header: { type: 3, timestamp: 0x100, destSocketId: 7 },
    loss: [[5, 5], [10, 16], [0x7fffffff, 0x7fffffff]],
  },
  {
    name: "NAK: a range wrapping past 2^31",
    kind: "control",
    bytes: hex("80030000 00000000 00000100 00000007 fffffffe 00000001"),
    header: { type: 3 },
    loss: [[0x7ffffffe, 1]],
  },
  {
    name: "drop request for message 9, packets 100..102",
    kind: "control",
    bytes: hex("80070000 00000009 00000200 00000007 00000064 00000066"),
    header: { type: 7, info: 9, timestamp: 0x200 },
    drop: { firstSeq: 100, lastSeq: 102 },
  },
  {
    name: "peer error 4000",
    kind: "control",
    bytes: hex("80080000 00000fa0 00000200 00000007"),
    header: { type: 8, info: 4000 },
  },
  {
    name: "congestion warning",
    kind: "control",
    bytes: hex("80040000 00000000 00000200 00000007"),
    header: { type: 4 },
  },
  {
    name: "user-defined KMRSP (key refresh answer) carrying a KM message",
    kind: "control",
    bytes: hex(
      "ffff0004 00000000 00000300 00000007 12202901 00000000 02000200 00000404" +
        "12c397ca248665059a25de1a73427caa 9e868629bc091542add317fc63cd9ff3817af31e8b6ea8b9",
    ),
    header: { type: 0x7fff, subtype: 4 },
  },
];
