/**
 * The 188-byte transport packet: its 4-byte header and the adaptation field (ISO/IEC 13818-1
 * §2.4.3.2, §2.4.3.4). Decoding fills a reusable TsPacketHeader; encoding writes into the caller's
 * buffer. Pure, no allocation.
 */
import { ProtocolError } from "../../core/errors.ts";

export const TS_PACKET_SIZE = 188;
export const TS_HEADER_SIZE = 4;
/** Payload bytes of a packet without an adaptation field. */
export const TS_PAYLOAD_SIZE = 184;
export const SYNC_BYTE = 0x47;
export const PID_PAT = 0x0000;
export const PID_NULL = 0x1fff;
/** 13-bit PIDs: per-PID state lives in arrays of this size. */
export const PID_COUNT = 0x2000;
/** PCR: 90 kHz base × 300 + 27 MHz extension (§2.4.3.5). */
export const PCR_CLOCK = 27_000_000;

/** adaptation_field_control bits (§2.4.3.3 Table 2-5). */
export const AFC_PAYLOAD = 0x1;
export const AFC_ADAPTATION = 0x2;

/** Adaptation field flags (§2.4.3.4). */
const AF_DISCONTINUITY = 0x80;
const AF_RANDOM_ACCESS = 0x40;
const AF_PCR = 0x10;

export class TsPacketHeader {
  transportError: boolean;
  payloadUnitStart: boolean;
  pid: number;
  scrambling: number;
  /** adaptation_field_control: bit 1 adaptation field present, bit 0 payload present. */
  afc: number;
  cc: number;
  discontinuity: boolean;
  randomAccess: boolean;
  /** PCR in 27 MHz units, -1 when this packet carries none. */
  pcr: number;
  /** Offset of the payload from the packet start (188 when there is none). */
  payloadOffset: number;

  constructor() {
    this.transportError = false;
    this.payloadUnitStart = false;
    this.pid = 0;
    this.scrambling = 0;
    this.afc = 0;
    this.cc = 0;
    this.discontinuity = false;
    this.randomAccess = false;
    this.pcr = -1;
    this.payloadOffset = TS_PACKET_SIZE;
  }

  get hasPayload(): boolean {
    return (this.afc & AFC_PAYLOAD) !== 0 && this.payloadOffset < TS_PACKET_SIZE;
  }
}

/**
 * Decodes the packet at `off` into `out`; returns 188, 0 when fewer than 188 bytes are left. Throws
 * for a missing sync byte, the reserved adaptation_field_control 00 or an adaptation field longer
 * than the packet (§2.4.3.5: at most 183 bytes, 182 when a payload follows).
 */
export function decodeTsPacket(buf: Uint8Array, off: number, out: TsPacketHeader): number {
  if (buf.length - off < TS_PACKET_SIZE) return 0;
  if (buf[off] !== SYNC_BYTE) throw new ProtocolError("mpegts", "sync", `sync byte 0x${buf[off]!.toString(16)} at ${off}`);
  const b1 = buf[off + 1]!;
  const b3 = buf[off + 3]!;
  out.transportError = (b1 & 0x80) !== 0;
  out.payloadUnitStart = (b1 & 0x40) !== 0;
  out.pid = ((b1 & 0x1f) << 8) | buf[off + 2]!;
  out.scrambling = b3 >>> 6;
  out.afc = (b3 >>> 4) & 3;
  out.cc = b3 & 0xf;
  out.discontinuity = false;
  out.randomAccess = false;
  out.pcr = -1;
  if (out.afc === 0) throw new ProtocolError("mpegts", "invalid", `pid ${out.pid}: adaptation_field_control 00 is reserved`);
  let payload = off + TS_HEADER_SIZE;
  if (out.afc & AFC_ADAPTATION) {
    const len = buf[payload]!;
    const max = out.afc & AFC_PAYLOAD ? 182 : 183;
    if (len > max) throw new ProtocolError("mpegts", "invalid", `pid ${out.pid}: adaptation field of ${len} bytes > ${max}`);
    if (len > 0) {
      const flags = buf[payload + 1]!;
      out.discontinuity = (flags & AF_DISCONTINUITY) !== 0;
      out.randomAccess = (flags & AF_RANDOM_ACCESS) !== 0;
      if (flags & AF_PCR && len >= 7) out.pcr = readPcr(buf, payload + 2);
    }
    payload += 1 + len;
  }
  out.payloadOffset = payload - off;
  return TS_PACKET_SIZE;
}

/** program_clock_reference_base (33 bits) × 300 + extension (9 bits), §2.4.3.5. */
export function readPcr(buf: Uint8Array, off: number): number {
  const base = (buf[off]! * 0x1000000 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!)) * 2 + (buf[off + 4]! >>> 7);
  const ext = ((buf[off + 4]! & 1) << 8) | buf[off + 5]!;
  return base * 300 + ext;
}

/** Writes a PCR of `base90k` (taken mod 2^33) with extension 0; 6 bytes. */
export function writePcr(buf: Uint8Array, off: number, base90k: number): void {
  const base = ((base90k % 0x200000000) + 0x200000000) % 0x200000000;
  const high = Math.floor(base / 2); // the top 32 of the 33 bits
  buf[off] = high >>> 24;
  buf[off + 1] = (high >>> 16) & 0xff;
  buf[off + 2] = (high >>> 8) & 0xff;
  buf[off + 3] = high & 0xff;
  buf[off + 4] = ((base & 1) << 7) | 0x7e; // 6 reserved bits, extension bit 8 = 0
  buf[off + 5] = 0;
}

/** Writes the 4-byte header; `afc` is AFC_PAYLOAD, AFC_ADAPTATION or both. */
export function writeTsHeader(buf: Uint8Array, off: number, pid: number, payloadUnitStart: boolean, afc: number, cc: number): void {
  buf[off] = SYNC_BYTE;
  buf[off + 1] = (payloadUnitStart ? 0x40 : 0) | (pid >>> 8);
  buf[off + 2] = pid & 0xff;
  buf[off + 3] = (afc << 4) | (cc & 0xf);
}

/**
 * Writes an adaptation field of exactly `total` bytes (its length byte included) at `off`: flags,
 * an optional PCR, then 0xFF stuffing (§2.4.3.5). `total` 1 is the one-byte field that only stuffs.
 */
export function writeAdaptationField(buf: Uint8Array, off: number, total: number, randomAccess: boolean, pcr90k: number): void {
  buf[off] = total - 1;
  if (total === 1) return;
  const withPcr = pcr90k >= 0;
  buf[off + 1] = (randomAccess ? AF_RANDOM_ACCESS : 0) | (withPcr ? AF_PCR : 0);
  let o = off + 2;
  if (withPcr) {
    writePcr(buf, o, pcr90k);
    o += 6;
  }
  buf.fill(0xff, o, off + total);
}

/** Bytes an adaptation field needs for these fields (0: none needed). */
export function adaptationFieldSize(randomAccess: boolean, pcr: boolean): number {
  return pcr ? 8 : randomAccess ? 2 : 0;
}
