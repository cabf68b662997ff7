/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
 * §3.1, RTPFB FMT 15): for a range of transport-wide sequence numbers, which arrived and when. spate
 * sends it to publishers so browsers' bandwidth estimators ramp up, and decodes it enough to count.
 *
 * FCI: base sequence (16), packet status count (16), reference time (24, signed, 64 ms units),
 * feedback packet count (8), packet chunks (16 each), receive deltas (8 or 16 bits, 250 us units).
 */
import { assert } from "../../../core/errors.ts";
import { FMT_TWCC, PT_RTPFB, readU16, readU32, rtcpError, writeU16, writeU32 } from "./rtcp.ts";

/** §3.1.1 symbols. */
export const STATUS_NOT_RECEIVED = 0;
export const STATUS_SMALL_DELTA = 1;
export const STATUS_LARGE_DELTA = 2;

export const TWCC_HEADER_SIZE = 20;
/** Statuses we decode from one packet (run-length chunks can claim 8191 each). */
export const MAX_TWCC_STATUS_COUNT = 8192;
/** Statuses and received packets we put in one feedback packet: it stays under 1200 bytes. */
export const MAX_TWCC_FEEDBACK_STATUSES = 2048;
export const MAX_TWCC_FEEDBACK_RECEIVED = 256;
/** §3.1.5: receive deltas count 250 us; the reference time 64 ms = 256 deltas. */
export const DELTA_US = 250;
export const REFERENCE_US = 64000;

export class TwccFeedback {
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  statusCount: number;
  /** Signed, in 64 ms units. */
  referenceTime: number;
  fbPktCount: number;
  receivedCount: number;
  lostCount: number;
  /** Per packet from baseSequence: STATUS_*. */
  readonly statuses: Uint8Array;
  /** Per packet: receive delta in 250 us units from the previous received packet (0 when lost). */
  readonly deltas: Int32Array;

  constructor() {
    this.senderSsrc = 0;
    this.mediaSsrc = 0;
    this.baseSequence = 0;
    this.statusCount = 0;
    this.referenceTime = 0;
    this.fbPktCount = 0;
    this.receivedCount = 0;
    this.lostCount = 0;
    this.statuses = new Uint8Array(MAX_TWCC_STATUS_COUNT);
    this.deltas = new Int32Array(MAX_TWCC_STATUS_COUNT);
  }
}

/** Decodes one TWCC feedback packet at buf[start, end) as RtcpReader found it. */
export function decodeTwcc(buf: Uint8Array, start: number, end: number, f: TwccFeedback): number {
  if (end - start < TWCC_HEADER_SIZE) throw rtcpError("twcc-length", `TWCC feedback of ${end - start} bytes < ${TWCC_HEADER_SIZE}`);
  const count = readU16(buf, start + 14);
  if (count > MAX_TWCC_STATUS_COUNT) throw rtcpError("twcc-status-count", `TWCC status count ${count} > max ${MAX_TWCC_STATUS_COUNT}`);
  f.senderSsrc = readU32(buf, start + 4);
  f.mediaSsrc = readU32(buf, start + 8);
  f.baseSequence = readU16(buf, start + 12);
  f.statusCount = count;
  f.referenceTime = ((buf[start + 16]! << 24) | (buf[start + 17]! << 16) | (buf[start + 18]! << 8)) >> 8;
  f.fbPktCount = buf[start + 19]!;
  const st = f.statuses;
  let at = start + TWCC_HEADER_SIZE;
  let i = 0;
  while (i < count) {
    if (at + 2 > end) throw rtcpError("twcc-chunks", `TWCC chunks cover ${i} of ${count} statuses at packet end ${end - start}`);
    const c = readU16(buf, at);
    at += 2;
    if ((c & 0x8000) === 0) {
      // §3.1.3: run length chunk, symbol (2 bits) and run (13 bits).
      const sym = (c >>> 13) & 3;
      const stop = Math.min(count, i + (c & 0x1fff));
      while (i < stop) st[i++] = sym;
    } else if ((c & 0x4000) === 0) {
      // §3.1.4: 14 one-bit symbols.
      for (let k = 13; k >= 0 && i < count; k--) st[i++] = (c >>> k) & 1;
    } else {
      // §3.1.4: 7 two-bit symbols.
      for (let k = 12; k >= 0 && i < count; k -= 2) st[i++] = (c >>> k) & 3;
    }
  }
  let received = 0;
  for (i = 0; i < count; i++) {
    const s = st[i]!;
    if (s === STATUS_NOT_RECEIVED) {
      f.deltas[i] = 0;
      continue;
    }
    if (s === STATUS_SMALL_DELTA) {
      if (at + 1 > end) throw rtcpError("twcc-deltas", `TWCC delta ${i} runs past packet end ${end - start}`);
      f.deltas[i] = buf[at++]!;
    } else if (s === STATUS_LARGE_DELTA) {
      if (at + 2 > end) throw rtcpError("twcc-deltas", `TWCC delta ${i} runs past packet end ${end - start}`);
      f.deltas[i] = (readU16(buf, at) << 16) >> 16;
      at += 2;
    } else {
      throw rtcpError("twcc-status", `TWCC status ${s} for packet ${i} is reserved`);
    }
    received++;
  }
  f.receivedCount = received;
  f.lostCount = count - received;
  return end - start;
}

/**
 * Builds one feedback packet from packets added in increasing transport-wide sequence order with
 * their arrival times; gaps are reported lost. When add() returns false the packet is full (or the
 * delta too large): encode it, reset with that sequence number and add it again.
 */
export class TwccFeedbackBuilder {
  senderSsrc: number;
  mediaSsrc: number;
  /** Incremented by the caller per packet sent (§3.1: feedback packet count, 8 bits). */
  fbPktCount: number;
  baseSequence: number;
  statusCount: number;
  receivedCount: number;
  /** 64 ms units, unwrapped; written as 24 bits. */
  referenceTime: number;
  private readonly statuses: Uint8Array;
  private readonly deltas: Int16Array;
  /** The previous received packet's arrival, in 250 us ticks. */
  private lastTicks: number;
  private readonly chunks: Uint16Array;
  private chunkCount: number;

  constructor() {
    this.senderSsrc = 0;
    this.mediaSsrc = 0;
    this.fbPktCount = 0;
    this.baseSequence = 0;
    this.statusCount = 0;
    this.receivedCount = 0;
    this.referenceTime = 0;
    this.statuses = new Uint8Array(MAX_TWCC_FEEDBACK_STATUSES);
    this.deltas = new Int16Array(MAX_TWCC_FEEDBACK_STATUSES);
    this.lastTicks = 0;
    this.chunks = new Uint16Array(MAX_TWCC_FEEDBACK_STATUSES);
    this.chunkCount = 0;
  }

  reset(baseSequence: number): void {
    this.baseSequence = baseSequence & 0xffff;
    this.statusCount = 0;
    this.receivedCount = 0;
    this.chunkCount = 0;
  }

  /** Adds a received packet; false when it does not fit this feedback packet. */
  add(sequence: number, arrivalUs: number): boolean {
    const index = (sequence - this.baseSequence) & 0xffff;
    assert(this.statusCount === 0 || index >= this.statusCount, `transport-wide sequence ${sequence} added out of order`);
    if (index >= MAX_TWCC_FEEDBACK_STATUSES || this.receivedCount === MAX_TWCC_FEEDBACK_RECEIVED) return false;
    const ticks = Math.round(arrivalUs / DELTA_US);
    if (this.receivedCount === 0) {
      this.referenceTime = Math.floor(arrivalUs / REFERENCE_US);
      this.lastTicks = this.referenceTime * (REFERENCE_US / DELTA_US);
    }
    const delta = ticks - this.lastTicks;
    if (delta < -32768 || delta > 32767) return false;
    for (let i = this.statusCount; i < index; i++) this.statuses[i] = STATUS_NOT_RECEIVED;
    this.statuses[index] = delta >= 0 && delta <= 255 ? STATUS_SMALL_DELTA : STATUS_LARGE_DELTA;
    this.deltas[index] = delta;
    this.statusCount = index + 1;
    this.receivedCount++;
    this.lastTicks = ticks;
    this.chunkCount = 0;
    return true;
  }

  /** §3.1.3-3.1.4: run-length chunks for long runs, one-bit vectors when no large delta, else two-bit. */
  private layout(): void {
    if (this.chunkCount > 0 || this.statusCount === 0) return;
    const st = this.statuses;
    const n = this.statusCount;
    let i = 0;
    let c = 0;
    while (i < n) {
      const s = st[i]!;
      let run = 1;
      while (i + run < n && st[i + run] === s && run < 0x1fff) run++;
      const take14 = Math.min(14, n - i);
      let small = true;
      for (let k = 0; k < take14 && small; k++) small = st[i + k]! <= STATUS_SMALL_DELTA;
      if (run >= 14 || run === n - i) {
        this.chunks[c++] = (s << 13) | run;
        i += run;
      } else if (small) {
        let v = 0x8000;
        for (let k = 0; k < take14; k++) v |= st[i + k]! << (13 - k);
        this.chunks[c++] = v;
        i += take14;
      } else if (run >= 7) {
        this.chunks[c++] = (s << 13) | run;
        i += run;
      } else {
        const take7 = Math.min(7, n - i);
        let v = 0xc000;
        for (let k = 0; k < take7; k++) v |= st[i + k]! << (12 - 2 * k);
        this.chunks[c++] = v;
        i += take7;
      }
    }
    this.chunkCount = c;
  }

  private unpaddedSize(): number {
    this.layout();
    let deltaBytes = 0;
    for (let i = 0; i < this.statusCount; i++) deltaBytes += this.statuses[i]!;
    return TWCC_HEADER_SIZE + 2 * this.chunkCount + deltaBytes;
  }

  encodedSize(): number {
    return (this.unpaddedSize() + 3) & ~3;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.receivedCount > 0, "TWCC feedback without a received packet");
    const raw = this.unpaddedSize();
    const size = (raw + 3) & ~3;
    const pad = size - raw;
    // RFC 3550 §6.4.1 padding: P set, the last octet counts the padding.
    buf[off] = (pad ? 0xa0 : 0x80) | FMT_TWCC;
    buf[off + 1] = PT_RTPFB;
    writeU16(buf, off + 2, (size >>> 2) - 1);
    writeU32(buf, off + 4, this.senderSsrc);
    writeU32(buf, off + 8, this.mediaSsrc);
    writeU16(buf, off + 12, this.baseSequence);
    writeU16(buf, off + 14, this.statusCount);
    const ref = this.referenceTime & 0xffffff;
    buf[off + 16] = ref >>> 16;
    buf[off + 17] = ref >>> 8;
    buf[off + 18] = ref;
    buf[off + 19] = this.fbPktCount;
    let at = off + TWCC_HEADER_SIZE;
    for (let i = 0; i < this.chunkCount; i++, at += 2) writeU16(buf, at, this.chunks[i]!);
    for (let i = 0; i < this.statusCount; i++) {
      const s = this.statuses[i]!;
      if (s === STATUS_SMALL_DELTA) buf[at++] = this.deltas[i]!;
      else if (s === STATUS_LARGE_DELTA) {
        writeU16(buf, at, this.deltas[i]! & 0xffff);
        at += 2;
      }
    }
    if (pad) {
      buf.fill(0, at, off + size - 1);
      buf[off + size - 1] = pad;
    }
    return size;
  }
}

