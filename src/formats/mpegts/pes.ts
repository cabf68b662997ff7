/**
 * The PES packet header (ISO/IEC 13818-1 §2.4.3.6-2.4.3.7): stream_id, PES_packet_length and, for
 * the stream ids that have it, the optional header with PTS and DTS (33-bit, 90 kHz).
 */
import { ProtocolError } from "../../core/errors.ts";

/** PES_packet_length counts the bytes after its own field: the whole packet is 6 bytes more. */
export const PES_PREFIX_SIZE = 6;
export const PES_OPTIONAL_HEADER_SIZE = 3;
export const STREAM_ID_VIDEO = 0xe0;
export const STREAM_ID_AUDIO = 0xc0;
export const STREAM_ID_PRIVATE_1 = 0xbd;
/** 2^33: PTS, DTS and the PCR base wrap here (26.5 hours at 90 kHz). */
export const TIMESTAMP_WRAP = 0x200000000;

export class PesHeader {
  streamId: number;
  /** PES_packet_length: 0 = unbounded (video only, §2.4.3.7). */
  packetLength: number;
  /** PTS and DTS as read (33-bit), -1 when absent; DTS is absent when it equals PTS. */
  pts: number;
  dts: number;
  dataAlignment: boolean;

  constructor() {
    this.streamId = 0;
    this.packetLength = 0;
    this.pts = -1;
    this.dts = -1;
    this.dataAlignment = false;
  }
}

/** §2.4.3.7 Table 2-22: the stream ids whose PES packets have no optional header. */
function hasOptionalHeader(streamId: number): boolean {
  return !(streamId === 0xbc || streamId === 0xbe || streamId === 0xbf || streamId === 0xf0 || streamId === 0xf1 ||
    streamId === 0xf2 || streamId === 0xf8 || streamId === 0xff);
}

/**
 * Decodes the header of the PES packet in [off, end); returns the offset of its payload from `off`,
 * 0 when the header is not all there. Throws for a missing start code prefix, the forbidden
 * PTS_DTS_flags 01 and a header that claims to hold less than its timestamps.
 * Marker bits are not checked: muxers get them wrong and the values do not depend on them.
 */
export function decodePesHeader(buf: Uint8Array, off: number, end: number, out: PesHeader): number {
  if (end - off < PES_PREFIX_SIZE) return 0;
  if (buf[off] !== 0 || buf[off + 1] !== 0 || buf[off + 2] !== 1) {
    throw new ProtocolError("mpegts", "invalid", `PES without start code prefix (${buf[off]} ${buf[off + 1]} ${buf[off + 2]})`);
  }
  out.streamId = buf[off + 3]!;
  out.packetLength = (buf[off + 4]! << 8) | buf[off + 5]!;
  out.pts = -1;
  out.dts = -1;
  out.dataAlignment = false;
  if (!hasOptionalHeader(out.streamId)) return PES_PREFIX_SIZE;
  if (end - off < PES_PREFIX_SIZE + PES_OPTIONAL_HEADER_SIZE) return 0;
  const flags = buf[off + 7]!;
  const headerDataLength = buf[off + 8]!;
  const payload = PES_PREFIX_SIZE + PES_OPTIONAL_HEADER_SIZE + headerDataLength;
  if (end - off < payload) return 0;
  out.dataAlignment = (buf[off + 6]! & 0x04) !== 0;
  const ptsDts = flags >>> 6;
  if (ptsDts === 1) throw new ProtocolError("mpegts", "invalid", "PES PTS_DTS_flags 01 is forbidden");
  const need = ptsDts === 3 ? 10 : ptsDts === 2 ? 5 : 0;
  if (headerDataLength < need) throw new ProtocolError("mpegts", "invalid", `PES_header_data_length ${headerDataLength} < ${need} for its timestamps`);
  if (ptsDts & 2) out.pts = readTimestamp(buf, off + 9);
  if (ptsDts === 3) out.dts = readTimestamp(buf, off + 14);
  return payload;
}

/** A 33-bit timestamp in its 5-byte form (4-bit prefix, 3 + 15 + 15 bits with marker bits). */
export function readTimestamp(buf: Uint8Array, off: number): number {
  const high = (buf[off]! >>> 1) & 7;
  const mid = (buf[off + 1]! << 7) | (buf[off + 2]! >>> 1);
  const low = (buf[off + 3]! << 7) | (buf[off + 4]! >>> 1);
  return high * 0x40000000 + mid * 0x8000 + low;
}

export function writeTimestamp(buf: Uint8Array, off: number, prefix: number, ts: number): void {
  const t = ((ts % TIMESTAMP_WRAP) + TIMESTAMP_WRAP) % TIMESTAMP_WRAP; // a negative time wraps like any other
  const high = Math.floor(t / 0x40000000);
  const rest = t - high * 0x40000000; // < 2^30: bit operations are safe from here
  buf[off] = (prefix << 4) | (high << 1) | 1;
  buf[off + 1] = rest >>> 22;
  buf[off + 2] = ((rest >>> 14) & 0xfe) | 1;
  buf[off + 3] = (rest >>> 7) & 0xff;
  buf[off + 4] = ((rest << 1) & 0xfe) | 1;
}

export function pesHeaderSize(withDts: boolean): number {
  return PES_PREFIX_SIZE + PES_OPTIONAL_HEADER_SIZE + (withDts ? 10 : 5);
}

/**
 * Writes a PES header with PTS (and DTS when `dts` ≥ 0) for `payloadLength` bytes of payload; a
 * packet too long for PES_packet_length, or `unbounded`, is written with length 0 (video only).
 * data_alignment_indicator is set: every packet starts an access unit. Returns the header size.
 */
export function encodePesHeader(buf: Uint8Array, off: number, streamId: number, payloadLength: number, unbounded: boolean, pts: number, dts: number): number {
  const size = pesHeaderSize(dts >= 0);
  const length = size - PES_PREFIX_SIZE + payloadLength;
  const field = unbounded || length > 0xffff ? 0 : length;
  buf[off] = 0;
  buf[off + 1] = 0;
  buf[off + 2] = 1;
  buf[off + 3] = streamId;
  buf[off + 4] = field >>> 8;
  buf[off + 5] = field & 0xff;
  buf[off + 6] = 0x84; // '10', not scrambled, data_alignment_indicator
  buf[off + 7] = dts >= 0 ? 0xc0 : 0x80;
  buf[off + 8] = size - PES_PREFIX_SIZE - PES_OPTIONAL_HEADER_SIZE;
  writeTimestamp(buf, off + 9, dts >= 0 ? 3 : 2, pts);
  if (dts >= 0) writeTimestamp(buf, off + 14, 1, dts);
  return size;
}
