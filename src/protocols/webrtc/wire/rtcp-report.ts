/**
 * RTCP reports (RFC 3550 §6.4-6.6): sender and receiver reports with their report blocks, SDES
 * (CNAME only: the one item WebRTC uses, RFC 7022), and BYE. Each decoder reads one packet at
 * buf[start, end) as RtcpReader found it.
 */
import { assert } from "../../../core/errors.ts";
import { PT_BYE, PT_RR, PT_SDES, PT_SR, readU32, rtcpError, writeRtcpHeader, writeU32 } from "./rtcp.ts";

/** §6.4.1: RC is 5 bits. */
export const MAX_REPORT_BLOCKS = 31;
export const REPORT_BLOCK_SIZE = 24;
/** §6.5, §6.6: SC is 5 bits. */
export const MAX_SOURCES = 31;
/** §6.5.1: an SDES item holds at most 255 bytes; RFC 7022 CNAMEs are 16 bytes of base64. */
export const MAX_CNAME_BYTES = 255;
/** Seconds from the NTP epoch (1900) to the Unix epoch. */
export const NTP_UNIX_OFFSET_S = 2208988800;

const SDES_CNAME = 1;

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function writeAscii(b: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
}

/** §6.4.1: one report block. */
export class ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256. */
  fractionLost: number;
  /** Signed 24-bit cumulative count (duplicates can make it negative). */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  /** Middle 32 bits of the last SR's NTP time (compactNtp), 0 when none. */
  lastSr: number;
  /** Delay since that SR in 1/65536 s. */
  delaySinceLastSr: number;

  constructor() {
    this.ssrc = 0;
    this.fractionLost = 0;
    this.packetsLost = 0;
    this.highestSequence = 0;
    this.jitter = 0;
    this.lastSr = 0;
    this.delaySinceLastSr = 0;
  }
}

function decodeBlock(b: Uint8Array, at: number, r: ReportBlock): void {
  r.ssrc = readU32(b, at);
  r.fractionLost = b[at + 4]!;
  r.packetsLost = ((b[at + 5]! << 24) | (b[at + 6]! << 16) | (b[at + 7]! << 8)) >> 8;
  r.highestSequence = readU32(b, at + 8);
  r.jitter = readU32(b, at + 12);
  r.lastSr = readU32(b, at + 16);
  r.delaySinceLastSr = readU32(b, at + 20);
}

function encodeBlock(b: Uint8Array, at: number, r: ReportBlock): void {
  writeU32(b, at, r.ssrc);
  writeU32(b, at + 4, ((r.fractionLost & 0xff) << 24) | (r.packetsLost & 0xffffff));
  writeU32(b, at + 8, r.highestSequence);
  writeU32(b, at + 12, r.jitter);
  writeU32(b, at + 16, r.lastSr);
  writeU32(b, at + 20, r.delaySinceLastSr);
}

function newBlocks(): ReportBlock[] {
  return Array.from({ length: MAX_REPORT_BLOCKS }, () => new ReportBlock());
}

function decodeBlocks(b: Uint8Array, at: number, end: number, count: number, blocks: ReportBlock[], what: string): void {
  if (at + count * REPORT_BLOCK_SIZE > end) throw rtcpError("report-count", `${what} with ${count} report blocks needs ${at + count * REPORT_BLOCK_SIZE - at} bytes, has ${end - at}`);
  for (let i = 0; i < count; i++) decodeBlock(b, at + i * REPORT_BLOCK_SIZE, blocks[i]!);
}

/** The middle 32 bits of a 64-bit NTP timestamp (§4), as LSR carries it. */
export function compactNtp(ntpSeconds: number, ntpFraction: number): number {
  return (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
}

/** §6.4.1: a sender report. */
export class SenderReport {
  ssrc: number;
  /** NTP timestamp: seconds since 1900 (wrapping at 2^32) and fraction in 1/2^32 s. */
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reportCount: number;
  readonly reports: ReportBlock[];

  constructor() {
    this.ssrc = 0;
    this.ntpSeconds = 0;
    this.ntpFraction = 0;
    this.rtpTimestamp = 0;
    this.packetCount = 0;
    this.octetCount = 0;
    this.reportCount = 0;
    this.reports = newBlocks();
  }

  /** The NTP timestamp for a Unix time in milliseconds (e.g. wallMs()). */
  setNtpFromUnixMs(ms: number): void {
    const s = Math.floor(ms / 1000);
    this.ntpSeconds = (s + NTP_UNIX_OFFSET_S) % 0x100000000 >>> 0;
    this.ntpFraction = Math.floor(((ms - s * 1000) / 1000) * 0x100000000) >>> 0;
  }

  encodedSize(): number {
    return 28 + REPORT_BLOCK_SIZE * this.reportCount;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.reportCount <= MAX_REPORT_BLOCKS, `${this.reportCount} report blocks > ${MAX_REPORT_BLOCKS}`);
    const size = this.encodedSize();
    writeRtcpHeader(buf, off, this.reportCount, PT_SR, size);
    writeU32(buf, off + 4, this.ssrc);
    writeU32(buf, off + 8, this.ntpSeconds);
    writeU32(buf, off + 12, this.ntpFraction);
    writeU32(buf, off + 16, this.rtpTimestamp);
    writeU32(buf, off + 20, this.packetCount);
    writeU32(buf, off + 24, this.octetCount);
    for (let i = 0; i < this.reportCount; i++) encodeBlock(buf, off + 28 + i * REPORT_BLOCK_SIZE, this.reports[i]!);
    return size;
  }
}

export function decodeSenderReport(buf: Uint8Array, start: number, end: number, sr: SenderReport): number {
  if (end - start < 28) throw rtcpError("sr-length", `SR of ${end - start} bytes < 28`);
  sr.ssrc = readU32(buf, start + 4);
  sr.ntpSeconds = readU32(buf, start + 8);
  sr.ntpFraction = readU32(buf, start + 12);
  sr.rtpTimestamp = readU32(buf, start + 16);
  sr.packetCount = readU32(buf, start + 20);
  sr.octetCount = readU32(buf, start + 24);
  const count = buf[start]! & 0x1f;
  decodeBlocks(buf, start + 28, end, count, sr.reports, "SR");
  sr.reportCount = count;
  return end - start;
}

/** §6.4.2: a receiver report. */
export class ReceiverReport {
  ssrc: number;
  reportCount: number;
  readonly reports: ReportBlock[];

  constructor() {
    this.ssrc = 0;
    this.reportCount = 0;
    this.reports = newBlocks();
  }

  encodedSize(): number {
    return 8 + REPORT_BLOCK_SIZE * this.reportCount;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.reportCount <= MAX_REPORT_BLOCKS, `${this.reportCount} report blocks > ${MAX_REPORT_BLOCKS}`);
    const size = this.encodedSize();
    writeRtcpHeader(buf, off, this.reportCount, PT_RR, size);
    writeU32(buf, off + 4, this.ssrc);
    for (let i = 0; i < this.reportCount; i++) encodeBlock(buf, off + 8 + i * REPORT_BLOCK_SIZE, this.reports[i]!);
    return size;
  }
}

export function decodeReceiverReport(buf: Uint8Array, start: number, end: number, rr: ReceiverReport): number {
  if (end - start < 8) throw rtcpError("rr-length", `RR of ${end - start} bytes < 8`);
  rr.ssrc = readU32(buf, start + 4);
  const count = buf[start]! & 0x1f;
  decodeBlocks(buf, start + 8, end, count, rr.reports, "RR");
  rr.reportCount = count;
  return end - start;
}

/** §6.5: SDES chunks; only CNAME items are kept ("" for a chunk without one). */
export class Sdes {
  count: number;
  readonly ssrcs: Uint32Array;
  readonly cnames: string[];

  constructor() {
    this.count = 0;
    this.ssrcs = new Uint32Array(MAX_SOURCES);
    this.cnames = new Array<string>(MAX_SOURCES).fill("");
  }

  private chunkSize(i: number): number {
    // SSRC, CNAME item, then at least one null octet, padded to 32 bits (§6.5).
    return 4 + ((2 + this.cnames[i]!.length + 1 + 3) & ~3);
  }

  encodedSize(): number {
    let n = 4;
    for (let i = 0; i < this.count; i++) n += this.chunkSize(i);
    return n;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.count <= MAX_SOURCES, `${this.count} SDES chunks > ${MAX_SOURCES}`);
    const size = this.encodedSize();
    writeRtcpHeader(buf, off, this.count, PT_SDES, size);
    let at = off + 4;
    for (let i = 0; i < this.count; i++) {
      const cname = this.cnames[i]!;
      assert(cname.length <= MAX_CNAME_BYTES, `CNAME ${cname.length} bytes > ${MAX_CNAME_BYTES}`);
      const next = at + this.chunkSize(i);
      writeU32(buf, at, this.ssrcs[i]!);
      buf[at + 4] = SDES_CNAME;
      buf[at + 5] = cname.length;
      writeAscii(buf, at + 6, cname);
      buf.fill(0, at + 6 + cname.length, next);
      at = next;
    }
    return size;
  }
}

export function decodeSdes(buf: Uint8Array, start: number, end: number, s: Sdes): number {
  const count = buf[start]! & 0x1f;
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) throw rtcpError("sdes-chunk", `SDES chunk ${i} at ${at} runs past packet end ${end}`);
    s.ssrcs[i] = readU32(buf, at);
    s.cnames[i] = "";
    at += 4;
    // Items until a null type octet, which ends the chunk; then pad to 32 bits.
    for (;;) {
      if (at >= end) throw rtcpError("sdes-item", `SDES chunk ${i} has no end before ${end}`);
      const type = buf[at]!;
      if (type === 0) break;
      if (at + 2 > end || at + 2 + buf[at + 1]! > end) throw rtcpError("sdes-item", `SDES item type ${type} at ${at} runs past packet end ${end}`);
      const len = buf[at + 1]!;
      if (type === SDES_CNAME && s.cnames[i] === "") s.cnames[i] = ascii(buf, at + 2, at + 2 + len);
      at += 2 + len;
    }
    at = (at - start + 4) & ~3;
    at += start;
  }
  s.count = count;
  return end - start;
}

/** §6.6: BYE, with an optional reason. */
export class Bye {
  count: number;
  readonly ssrcs: Uint32Array;
  reason: string;

  constructor() {
    this.count = 0;
    this.ssrcs = new Uint32Array(MAX_SOURCES);
    this.reason = "";
  }

  encodedSize(): number {
    return 4 + 4 * this.count + (this.reason ? (1 + this.reason.length + 3) & ~3 : 0);
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.count <= MAX_SOURCES && this.reason.length <= 255, "BYE with too many sources or too long a reason");
    const size = this.encodedSize();
    writeRtcpHeader(buf, off, this.count, PT_BYE, size);
    for (let i = 0; i < this.count; i++) writeU32(buf, off + 4 + 4 * i, this.ssrcs[i]!);
    if (this.reason) {
      const at = off + 4 + 4 * this.count;
      buf[at] = this.reason.length;
      writeAscii(buf, at + 1, this.reason);
      buf.fill(0, at + 1 + this.reason.length, off + size);
    }
    return size;
  }
}

export function decodeBye(buf: Uint8Array, start: number, end: number, bye: Bye): number {
  const count = buf[start]! & 0x1f;
  let at = start + 4;
  if (at + 4 * count > end) throw rtcpError("bye-count", `BYE with ${count} sources needs ${4 * count} bytes, has ${end - at}`);
  for (let i = 0; i < count; i++, at += 4) bye.ssrcs[i] = readU32(buf, at);
  bye.count = count;
  bye.reason = "";
  if (at < end) {
    const len = buf[at]!;
    if (at + 1 + len > end) throw rtcpError("bye-reason", `BYE reason of ${len} bytes at ${at} runs past packet end ${end}`);
    bye.reason = ascii(buf, at + 1, at + 1 + len);
  }
  return end - start;
}
