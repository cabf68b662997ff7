/**
 * The shape of a depacketizer case (hand-made RTP payloads and the frames they must give), and the
 * byte form a packet sequence takes as a fuzz input: records of [u16 payload length, u8 flags,
 * payload], flags bit 0 = marker, bit 1 = next timestamp (+3000), bit 2 = one sequence number lost
 * (or more) before this packet, bit 3 = sequence number repeated (a duplicate); timestamps and gaps
 * are approximate (a seed, not a replay). The decode tests, the
 * round-trip tests and the fuzz seeds all read the case tables.
 */
import type { DepacketizerStats } from "./depacketizer.ts";

export const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export interface PacketCase {
  payload: Uint8Array;
  marker: boolean;
  timestamp: number;
  /** Default: one more than the packet before (0 for the first). */
  seq?: number;
}

export interface FrameCase {
  payload: Uint8Array;
  timestamp: number;
  keyframe: boolean;
}

export interface DepacketizeCase {
  name: string;
  packets: PacketCase[];
  frames: FrameCase[];
  stats?: Partial<DepacketizerStats>;
  /** H.264: [sps, pps] per onParameterSets call. AV1: [sequence header] per onSequenceHeader call. */
  configs?: Uint8Array[][];
  /** Our packetizer, fed `frames` (as keyframes where they are), writes exactly `packets`. */
  packetized?: boolean;
}

export const pkt = (h: string, marker: boolean, timestamp: number, seq?: number): PacketCase =>
  seq === undefined ? { payload: hex(h), marker, timestamp } : { payload: hex(h), marker, timestamp, seq };

export const frame = (h: string, timestamp: number, keyframe: boolean): FrameCase => ({ payload: hex(h), timestamp, keyframe });

const FLAG_MARKER = 1;
const FLAG_NEXT_TS = 2;
const FLAG_LOST = 4;
const FLAG_REPEAT = 8;
export const STREAM_TS_STEP = 3000;

/** A case's packets as one fuzz input. */
export function encodePacketStream(packets: readonly PacketCase[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += 3 + p.payload.length;
  const out = new Uint8Array(size);
  let o = 0;
  let ts = packets.length ? packets[0]!.timestamp : 0;
  let seq = 0;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i]!;
    const want = p.seq ?? seq;
    let flags = p.marker ? FLAG_MARKER : 0;
    if (p.timestamp !== ts) flags |= FLAG_NEXT_TS;
    if (i > 0 && want === ((seq - 1) & 0xffff)) flags |= FLAG_REPEAT;
    else if (want !== seq) flags |= FLAG_LOST;
    ts = p.timestamp;
    seq = (want + 1) & 0xffff;
    out[o] = p.payload.length >>> 8;
    out[o + 1] = p.payload.length & 0xff;
    out[o + 2] = flags;
    out.set(p.payload, o + 3);
    o += 3 + p.payload.length;
  }
  return out;
}

/** Feeds a fuzz input to `push` as packets (views of the input); returns the packet count. */
export function replayPacketStream(
  input: Uint8Array,
  push: (payload: Uint8Array, marker: boolean, timestamp: number, seq: number) => void,
): number {
  let pos = 0;
  let ts = 0;
  let seq = 0;
  let count = 0;
  while (pos + 3 <= input.length) {
    const len = Math.min((input[pos]! << 8) | input[pos + 1]!, input.length - pos - 3);
    const flags = input[pos + 2]!;
    if (flags & FLAG_NEXT_TS) ts = (ts + STREAM_TS_STEP) >>> 0;
    if (flags & FLAG_REPEAT) seq = (seq - 1) & 0xffff;
    else if (flags & FLAG_LOST) seq = (seq + 1) & 0xffff;
    push(input.subarray(pos + 3, pos + 3 + len), (flags & FLAG_MARKER) !== 0, ts, seq);
    seq = (seq + 1) & 0xffff;
    pos += 3 + len;
    count++;
  }
  return count;
}
