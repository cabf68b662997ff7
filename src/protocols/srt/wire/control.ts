/**
 * Control information fields (draft-sharabayko-srt-01 §3.2.4-§3.2.9): ACK (full, small, light),
 * NAK loss lists (§3.2.5 and the sequence list coding of Appendix A), drop requests. Keepalive,
 * shutdown and ACKACK carry no CIF; libsrt still sends one zero word, and so do we (EMPTY_BODY_SIZE).
 */
import { MAX_LOSS_LIST_WORDS, SEQ_MASK, srtError } from "./constants.ts";
import { readU32, writeU32 } from "./packet.ts";

/** libsrt pads keepalive, shutdown and ACKACK with one zero word. */
export const EMPTY_BODY_SIZE = 4;

export const ACK_WORDS_LIGHT = 1;
export const ACK_WORDS_SMALL = 4;
export const ACK_WORDS_FULL = 7;

/** §3.2.4. The ACK number travels in the header's type-specific field. */
export class Ack {
  /** The sequence number of the first packet not yet received (last acknowledged + 1). */
  lastAckSeq: number;
  rttUs: number;
  rttVarUs: number;
  /** Free space in the receiver's buffer, in packets. */
  availableBuffer: number;
  /** Packets per second. */
  packetRate: number;
  /** Packets per second. */
  linkCapacity: number;
  /** Bytes per second. */
  receiveRate: number;
  /** 1 (light), 4 (small) or 7 (full): how many of the fields above are on the wire. */
  words: number;

  constructor() {
    this.lastAckSeq = 0;
    this.rttUs = 0;
    this.rttVarUs = 0;
    this.availableBuffer = 0;
    this.packetRate = 0;
    this.linkCapacity = 0;
    this.receiveRate = 0;
    this.words = ACK_WORDS_FULL;
  }

  encodedSize(): number {
    return this.words * 4;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    writeU32(buf, off, this.lastAckSeq & SEQ_MASK);
    if (this.words >= ACK_WORDS_SMALL) {
      writeU32(buf, off + 4, this.rttUs);
      writeU32(buf, off + 8, this.rttVarUs);
      writeU32(buf, off + 12, this.availableBuffer);
    }
    if (this.words >= ACK_WORDS_FULL) {
      writeU32(buf, off + 16, this.packetRate);
      writeU32(buf, off + 20, this.linkCapacity);
      writeU32(buf, off + 24, this.receiveRate);
    }
    return this.words * 4;
  }
}

/** Reads whichever ACK form the length says; fields not on the wire are left at 0. */
export function decodeAck(buf: Uint8Array, off: number, end: number, a: Ack): number {
  const words = (end - off) >> 2;
  if (words < 1) throw srtError("ack-size", `ACK body ${end - off} bytes < 4`);
  a.lastAckSeq = readU32(buf, off) & SEQ_MASK;
  a.words = words >= ACK_WORDS_FULL ? ACK_WORDS_FULL : words >= ACK_WORDS_SMALL ? ACK_WORDS_SMALL : ACK_WORDS_LIGHT;
  const small = a.words >= ACK_WORDS_SMALL;
  const full = a.words >= ACK_WORDS_FULL;
  a.rttUs = small ? readU32(buf, off + 4) : 0;
  a.rttVarUs = small ? readU32(buf, off + 8) : 0;
  a.availableBuffer = small ? readU32(buf, off + 12) : 0;
  a.packetRate = full ? readU32(buf, off + 16) : 0;
  a.linkCapacity = full ? readU32(buf, off + 20) : 0;
  a.receiveRate = full ? readU32(buf, off + 24) : 0;
  return end - off;
}

/**
 * §3.2.5 + Appendix A: a NAK's loss list. A single lost packet is one word; a range is its first
 * sequence number with the top bit set, then its last. Ranges are kept as wire (31-bit) numbers,
 * in preallocated arrays.
 */
export class LossReport {
  readonly first: Int32Array;
  readonly last: Int32Array;
  count: number;

  constructor() {
    this.first = new Int32Array(MAX_LOSS_LIST_WORDS);
    this.last = new Int32Array(MAX_LOSS_LIST_WORDS);
    this.count = 0;
  }

  clear(): void {
    this.count = 0;
  }

  /** Adds a range unless the encoded list would no longer fit in one datagram. */
  add(first: number, last: number): boolean {
    const words = first === last ? 1 : 2;
    if ((this.encodedSize() >> 2) + words > MAX_LOSS_LIST_WORDS) return false;
    this.first[this.count] = first & SEQ_MASK;
    this.last[this.count] = last & SEQ_MASK;
    this.count++;
    return true;
  }

  encodedSize(): number {
    let words = 0;
    for (let i = 0; i < this.count; i++) words += this.first[i] === this.last[i] ? 1 : 2;
    return words * 4;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    let at = off;
    for (let i = 0; i < this.count; i++) {
      const first = this.first[i]!;
      const last = this.last[i]!;
      if (first === last) {
        writeU32(buf, at, first);
        at += 4;
      } else {
        writeU32(buf, at, (first | 0x80000000) >>> 0);
        writeU32(buf, at + 4, last);
        at += 8;
      }
    }
    return at - off;
  }
}

export function decodeLossReport(buf: Uint8Array, off: number, end: number, r: LossReport): number {
  const words = (end - off) >> 2;
  if (words > MAX_LOSS_LIST_WORDS) throw srtError("nak-size", `loss list of ${words} words > max ${MAX_LOSS_LIST_WORDS}`);
  r.count = 0;
  for (let i = 0; i < words; i++) {
    const w = readU32(buf, off + i * 4);
    if (w & 0x80000000) {
      if (i + 1 >= words) throw srtError("nak-range", "loss range start without an end");
      const last = readU32(buf, off + (i + 1) * 4);
      if (last & 0x80000000) throw srtError("nak-range", `loss range end 0x${last.toString(16)} has the range bit`);
      r.first[r.count] = w & SEQ_MASK;
      r.last[r.count] = last;
      i++;
    } else {
      r.first[r.count] = w;
      r.last[r.count] = w;
    }
    r.count++;
  }
  return words * 4;
}

/** §3.2.8: the message number travels in the header's type-specific field. */
export class DropRequest {
  firstSeq: number;
  lastSeq: number;

  constructor() {
    this.firstSeq = 0;
    this.lastSeq = 0;
  }

  encodedSize(): number {
    return 8;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    writeU32(buf, off, this.firstSeq & SEQ_MASK);
    writeU32(buf, off + 4, this.lastSeq & SEQ_MASK);
    return 8;
  }
}

export function decodeDropRequest(buf: Uint8Array, off: number, end: number, d: DropRequest): number {
  if (end - off < 8) throw srtError("dropreq-size", `drop request body ${end - off} bytes < 8`);
  d.firstSeq = readU32(buf, off) & SEQ_MASK;
  d.lastSeq = readU32(buf, off + 4) & SEQ_MASK;
  return 8;
}
