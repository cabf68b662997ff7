/**
 * RTCP feedback (RFC 4585 §6.1 common format: header, sender SSRC, media source SSRC, FCI): generic
 * NACK (§6.2.1), PLI (§6.3.1), FIR (RFC 5104 §4.3.1) and REMB (draft-alvestrand-rmcat-remb-03 §2.2).
 * Each decoder reads one packet at buf[start, end) as RtcpReader found it.
 */
import { assert } from "../../../core/errors.ts";
import { FMT_AFB, FMT_FIR, FMT_NACK, FMT_PLI, MAX_RTCP_PACKET_SIZE, PT_PSFB, PT_RTPFB, readU16, readU32, rtcpError, writeRtcpHeader, writeU16, writeU32 } from "./rtcp.ts";

export const FEEDBACK_HEADER_SIZE = 12;
/** NACK pairs that fit one datagram. */
export const MAX_NACK_PAIRS = (MAX_RTCP_PACKET_SIZE - FEEDBACK_HEADER_SIZE) >> 2;
/** Each pair names its PID and up to 16 more. */
export const MAX_NACK_LOST = MAX_NACK_PAIRS * 17;
/** FIR entries in one packet; browsers send one. */
export const MAX_FIR_ENTRIES = 64;
/** REMB's Num SSRC is 8 bits. */
export const MAX_REMB_SSRCS = 255;

/** RFC 4585 §6.1: sender SSRC and media source SSRC after a header. */
function writeFeedbackHeader(buf: Uint8Array, off: number, fmt: number, pt: number, size: number, sender: number, media: number): void {
  writeRtcpHeader(buf, off, fmt, pt, size);
  writeU32(buf, off + 4, sender);
  writeU32(buf, off + 8, media);
}

function checkFeedback(start: number, end: number, what: string): void {
  if (end - start < FEEDBACK_HEADER_SIZE) throw rtcpError("feedback-length", `${what} of ${end - start} bytes < ${FEEDBACK_HEADER_SIZE}`);
}

/** §6.2.1: generic NACK as PID/BLP pairs, and the sequence numbers they name. */
export class Nack {
  senderSsrc: number;
  mediaSsrc: number;
  pairCount: number;
  readonly pids: Uint16Array;
  readonly blps: Uint16Array;
  /** Filled by decodeNack: every lost sequence number, in the order the pairs name them. */
  lostCount: number;
  readonly lost: Uint16Array;

  constructor() {
    this.senderSsrc = 0;
    this.mediaSsrc = 0;
    this.pairCount = 0;
    this.pids = new Uint16Array(MAX_NACK_PAIRS);
    this.blps = new Uint16Array(MAX_NACK_PAIRS);
    this.lostCount = 0;
    this.lost = new Uint16Array(MAX_NACK_LOST);
  }

  /**
   * Pairs for `count` lost sequence numbers given oldest first (wrap-aware): each PID covers
   * itself and the 16 after it. Returns how many numbers fit (all unless MAX_NACK_PAIRS is hit).
   */
  setLost(seqs: ArrayLike<number>, count: number): number {
    this.pairCount = 0;
    for (let i = 0; i < count; i++) {
      const s = seqs[i]! & 0xffff;
      const p = this.pairCount - 1;
      const d = p >= 0 ? (s - this.pids[p]!) & 0xffff : 0;
      if (p >= 0 && d <= 16) {
        if (d > 0) this.blps[p] = this.blps[p]! | (1 << (d - 1));
        continue;
      }
      if (this.pairCount === MAX_NACK_PAIRS) return i;
      this.pids[this.pairCount] = s;
      this.blps[this.pairCount] = 0;
      this.pairCount++;
    }
    return count;
  }

  encodedSize(): number {
    return FEEDBACK_HEADER_SIZE + 4 * this.pairCount;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    const size = this.encodedSize();
    writeFeedbackHeader(buf, off, FMT_NACK, PT_RTPFB, size, this.senderSsrc, this.mediaSsrc);
    for (let i = 0; i < this.pairCount; i++) {
      writeU16(buf, off + 12 + 4 * i, this.pids[i]!);
      writeU16(buf, off + 14 + 4 * i, this.blps[i]!);
    }
    return size;
  }
}

export function decodeNack(buf: Uint8Array, start: number, end: number, n: Nack): number {
  checkFeedback(start, end, "NACK");
  n.senderSsrc = readU32(buf, start + 4);
  n.mediaSsrc = readU32(buf, start + 8);
  const pairs = (end - start - FEEDBACK_HEADER_SIZE) >> 2;
  if (pairs > MAX_NACK_PAIRS) throw rtcpError("nack-pairs", `${pairs} NACK pairs > max ${MAX_NACK_PAIRS}`);
  let lost = 0;
  for (let i = 0; i < pairs; i++) {
    const pid = readU16(buf, start + 12 + 4 * i);
    const blp = readU16(buf, start + 14 + 4 * i);
    n.pids[i] = pid;
    n.blps[i] = blp;
    n.lost[lost++] = pid;
    for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) n.lost[lost++] = (pid + bit + 1) & 0xffff;
  }
  n.pairCount = pairs;
  n.lostCount = lost;
  return end - start;
}

/** RFC 4585 §6.3.1: picture loss indication, no FCI. */
export class Pli {
  senderSsrc: number;
  mediaSsrc: number;

  constructor() {
    this.senderSsrc = 0;
    this.mediaSsrc = 0;
  }

  encodedSize(): number {
    return FEEDBACK_HEADER_SIZE;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    writeFeedbackHeader(buf, off, FMT_PLI, PT_PSFB, FEEDBACK_HEADER_SIZE, this.senderSsrc, this.mediaSsrc);
    return FEEDBACK_HEADER_SIZE;
  }
}

export function decodePli(buf: Uint8Array, start: number, end: number, p: Pli): number {
  checkFeedback(start, end, "PLI");
  p.senderSsrc = readU32(buf, start + 4);
  p.mediaSsrc = readU32(buf, start + 8);
  return end - start;
}

/** RFC 5104 §4.3.1: full intra request; the media source field is 0, the FCI names each SSRC. */
export class Fir {
  senderSsrc: number;
  count: number;
  readonly ssrcs: Uint32Array;
  /** Command sequence numbers, 8 bits, incremented per new request (§4.3.1.2). */
  readonly seqNrs: Uint8Array;

  constructor() {
    this.senderSsrc = 0;
    this.count = 0;
    this.ssrcs = new Uint32Array(MAX_FIR_ENTRIES);
    this.seqNrs = new Uint8Array(MAX_FIR_ENTRIES);
  }

  encodedSize(): number {
    return FEEDBACK_HEADER_SIZE + 8 * this.count;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.count <= MAX_FIR_ENTRIES, `${this.count} FIR entries > ${MAX_FIR_ENTRIES}`);
    const size = this.encodedSize();
    writeFeedbackHeader(buf, off, FMT_FIR, PT_PSFB, size, this.senderSsrc, 0);
    for (let i = 0; i < this.count; i++) {
      writeU32(buf, off + 12 + 8 * i, this.ssrcs[i]!);
      writeU32(buf, off + 16 + 8 * i, this.seqNrs[i]! << 24);
    }
    return size;
  }
}

export function decodeFir(buf: Uint8Array, start: number, end: number, f: Fir): number {
  checkFeedback(start, end, "FIR");
  f.senderSsrc = readU32(buf, start + 4);
  const entries = (end - start - FEEDBACK_HEADER_SIZE) >> 3;
  if (entries > MAX_FIR_ENTRIES) throw rtcpError("fir-entries", `${entries} FIR entries > max ${MAX_FIR_ENTRIES}`);
  for (let i = 0; i < entries; i++) {
    f.ssrcs[i] = readU32(buf, start + 12 + 8 * i);
    f.seqNrs[i] = buf[start + 16 + 8 * i]!;
  }
  f.count = entries;
  return end - start;
}

/** "REMB" */
const REMB_ID = 0x52454d42;

/** An application-layer feedback packet (PSFB FMT 15) whose FCI starts with "REMB". */
export function isRemb(buf: Uint8Array, start: number, end: number): boolean {
  return end - start >= FEEDBACK_HEADER_SIZE + 8 && (buf[start]! & 0x1f) === FMT_AFB && buf[start + 1] === PT_PSFB && readU32(buf, start + 12) === REMB_ID;
}

/** draft-alvestrand-rmcat-remb-03 §2.2: the receiver's estimate of the total bitrate for some SSRCs. */
export class Remb {
  senderSsrc: number;
  bitrateBps: number;
  count: number;
  readonly ssrcs: Uint32Array;

  constructor() {
    this.senderSsrc = 0;
    this.bitrateBps = 0;
    this.count = 0;
    this.ssrcs = new Uint32Array(MAX_REMB_SSRCS);
  }

  encodedSize(): number {
    return FEEDBACK_HEADER_SIZE + 8 + 4 * this.count;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.count <= MAX_REMB_SSRCS, `${this.count} REMB SSRCs > ${MAX_REMB_SSRCS}`);
    const size = this.encodedSize();
    writeFeedbackHeader(buf, off, FMT_AFB, PT_PSFB, size, this.senderSsrc, 0);
    writeU32(buf, off + 12, REMB_ID);
    // BR Exp (6 bits) and an 18-bit mantissa: the smallest exponent that fits, rounding down.
    let mantissa = Math.max(0, Math.floor(this.bitrateBps));
    let exp = 0;
    while (mantissa >= 1 << 18 && exp < 63) {
      mantissa = Math.floor(mantissa / 2);
      exp++;
    }
    buf[off + 16] = this.count;
    buf[off + 17] = (exp << 2) | (mantissa >>> 16);
    writeU16(buf, off + 18, mantissa & 0xffff);
    for (let i = 0; i < this.count; i++) writeU32(buf, off + 20 + 4 * i, this.ssrcs[i]!);
    return size;
  }
}

export function decodeRemb(buf: Uint8Array, start: number, end: number, r: Remb): number {
  if (!isRemb(buf, start, end)) throw rtcpError("not-remb", `PSFB packet of ${end - start} bytes is not a REMB`);
  r.senderSsrc = readU32(buf, start + 4);
  const count = buf[start + 16]!;
  if (start + 20 + 4 * count > end) throw rtcpError("remb-ssrcs", `REMB with ${count} SSRCs needs ${20 + 4 * count} bytes, has ${end - start}`);
  const exp = buf[start + 17]! >>> 2;
  const mantissa = ((buf[start + 17]! & 3) << 16) | readU16(buf, start + 18);
  r.bitrateBps = mantissa * 2 ** exp;
  for (let i = 0; i < count; i++) r.ssrcs[i] = readU32(buf, start + 20 + 4 * i);
  r.count = count;
  return end - start;
}
