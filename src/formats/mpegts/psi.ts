/**
 * Program Specific Information: the program association section (PAT, ISO/IEC 13818-1 §2.4.4.3) and
 * the TS program map section (PMT, §2.4.4.8), decoded with their CRC_32 checked, and encoded. Both
 * are rare (a few a second), so decoding allocates its result.
 */
import { ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";
import { crc32Mpeg } from "./crc32.ts";
import { TS_PACKET_SIZE, writeTsHeader, AFC_PAYLOAD } from "./packet.ts";

export const TABLE_PAT = 0x00;
export const TABLE_PMT = 0x02;

/** stream_type values (§2.4.4.9 Table 2-34; 0x24 from Amd. 3). */
export const STREAM_TYPE_AAC_ADTS = 0x0f;
export const STREAM_TYPE_H264 = 0x1b;
export const STREAM_TYPE_H265 = 0x24;
export const STREAM_TYPE_PRIVATE_PES = 0x06;

/** Descriptor tags: registration (§2.6.8) and the DVB extension descriptor (ETSI EN 300 468 §6.2.16). */
export const DESC_REGISTRATION = 0x05;
export const DESC_EXTENSION = 0x7f;
/**
 * extension_descriptor_tag of the opus_audio_descriptor: the ETSI draft "Opus Interactive Audio Codec,
 * Transport Multiplexing" (TS 1xx xxx V0.1.1, 2013; wiki.xiph.org/OpusTS), as ffmpeg and VLC do it.
 */
export const EXT_OPUS = 0x80;
/** format_identifier "Opus" (registration descriptor). */
export const FOURCC_OPUS = 0x4f707573;

export interface PmtStream {
  streamType: number;
  pid: number;
  /** format_identifier of a registration descriptor in the ES info, 0 when there is none. */
  registration: number;
  /** channel_config_code of an Opus extension descriptor, -1 when there is none. */
  opusChannelCode: number;
}

export interface Pmt {
  programNumber: number;
  version: number;
  pcrPid: number;
  streams: PmtStream[];
}

/** The codec of a PMT entry spate reads, null for the rest. */
export function codecOfStream(s: PmtStream): Codec | null {
  switch (s.streamType) {
    case STREAM_TYPE_H264:
      return "h264";
    case STREAM_TYPE_H265:
      return "h265";
    case STREAM_TYPE_AAC_ADTS:
      return "aac";
    case STREAM_TYPE_PRIVATE_PES:
      return s.registration === FOURCC_OPUS ? "opus" : null;
    default:
      return null;
  }
}

/** The common section header (§2.4.4.3): checks table_id, the syntax bit, the length and CRC_32. */
function checkSection(buf: Uint8Array, len: number, tableId: number, what: string): void {
  if (len < 12) throw new ProtocolError("mpegts", "invalid", `${what} section of ${len} bytes < 12`);
  if (buf[0] !== tableId) throw new ProtocolError("mpegts", "invalid", `${what} table_id ${buf[0]} != ${tableId}`);
  if (!(buf[1]! & 0x80)) throw new ProtocolError("mpegts", "invalid", `${what} without section_syntax_indicator`);
  if (crc32Mpeg(buf, 0, len) !== 0) throw new ProtocolError("mpegts", "crc", `${what} CRC_32 mismatch`);
}

/** True when current_next_indicator says the table applies now (§2.4.4.5). */
export function isCurrent(buf: Uint8Array): boolean {
  return (buf[5]! & 1) === 1;
}

/** The program_map_PID of the first program (program_number 0 names the network PID), -1 when none. */
export function decodePat(buf: Uint8Array, len: number): number {
  checkSection(buf, len, TABLE_PAT, "PAT");
  for (let o = 8; o + 4 <= len - 4; o += 4) {
    const program = (buf[o]! << 8) | buf[o + 1]!;
    if (program !== 0) return ((buf[o + 2]! & 0x1f) << 8) | buf[o + 3]!;
  }
  return -1;
}

export function decodePmt(buf: Uint8Array, len: number): Pmt {
  checkSection(buf, len, TABLE_PMT, "PMT");
  const end = len - 4; // before CRC_32
  const pmt: Pmt = {
    programNumber: (buf[3]! << 8) | buf[4]!,
    version: (buf[5]! >>> 1) & 0x1f,
    pcrPid: ((buf[8]! & 0x1f) << 8) | buf[9]!,
    streams: [],
  };
  const infoLength = ((buf[10]! & 0x0f) << 8) | buf[11]!;
  let o = 12 + infoLength;
  if (o > end) throw new ProtocolError("mpegts", "invalid", `PMT program_info_length ${infoLength} runs past the section`);
  while (o + 5 <= end) {
    const esInfoLength = ((buf[o + 3]! & 0x0f) << 8) | buf[o + 4]!;
    const descEnd = o + 5 + esInfoLength;
    if (descEnd > end) throw new ProtocolError("mpegts", "invalid", `PMT ES_info_length ${esInfoLength} runs past the section`);
    const s: PmtStream = { streamType: buf[o]!, pid: ((buf[o + 1]! & 0x1f) << 8) | buf[o + 2]!, registration: 0, opusChannelCode: -1 };
    readDescriptors(buf, o + 5, descEnd, s);
    pmt.streams.push(s);
    o = descEnd;
  }
  return pmt;
}

function readDescriptors(buf: Uint8Array, o: number, end: number, s: PmtStream): void {
  while (o + 2 <= end) {
    const tag = buf[o]!;
    const len = buf[o + 1]!;
    const body = o + 2;
    if (body + len > end) return; // a cut descriptor loop: keep what was read
    if (tag === DESC_REGISTRATION && len >= 4) {
      s.registration = ((buf[body]! << 24) | (buf[body + 1]! << 16) | (buf[body + 2]! << 8) | buf[body + 3]!) >>> 0;
    } else if (tag === DESC_EXTENSION && len >= 2 && buf[body] === EXT_OPUS) {
      s.opusChannelCode = buf[body + 1]!;
    }
    o = body + len;
  }
}

/** Writes the PAT section for one program; returns its length. */
export function encodePat(buf: Uint8Array, off: number, transportStreamId: number, programNumber: number, pmtPid: number, version: number): number {
  const len = 16;
  writeSectionHeader(buf, off, TABLE_PAT, len, transportStreamId, version);
  buf[off + 8] = programNumber >>> 8;
  buf[off + 9] = programNumber & 0xff;
  buf[off + 10] = 0xe0 | (pmtPid >>> 8);
  buf[off + 11] = pmtPid & 0xff;
  writeCrc(buf, off, len);
  return len;
}

export function pmtSize(pmt: Pmt): number {
  let size = 12 + 4;
  for (const s of pmt.streams) size += 5 + esInfoLength(s);
  return size;
}

function esInfoLength(s: PmtStream): number {
  return (s.registration ? 6 : 0) + (s.opusChannelCode >= 0 ? 4 : 0);
}

/** Writes the PMT section (no program descriptors); returns its length, pmtSize(pmt). */
export function encodePmt(buf: Uint8Array, off: number, pmt: Pmt): number {
  const len = pmtSize(pmt);
  writeSectionHeader(buf, off, TABLE_PMT, len, pmt.programNumber, pmt.version);
  buf[off + 8] = 0xe0 | (pmt.pcrPid >>> 8);
  buf[off + 9] = pmt.pcrPid & 0xff;
  buf[off + 10] = 0xf0; // program_info_length 0
  buf[off + 11] = 0;
  let o = off + 12;
  for (const s of pmt.streams) {
    const info = esInfoLength(s);
    buf[o] = s.streamType;
    buf[o + 1] = 0xe0 | (s.pid >>> 8);
    buf[o + 2] = s.pid & 0xff;
    buf[o + 3] = 0xf0 | (info >>> 8);
    buf[o + 4] = info & 0xff;
    o += 5;
    if (s.registration) {
      buf[o] = DESC_REGISTRATION;
      buf[o + 1] = 4;
      new DataView(buf.buffer, buf.byteOffset).setUint32(o + 2, s.registration);
      o += 6;
    }
    if (s.opusChannelCode >= 0) {
      buf[o] = DESC_EXTENSION;
      buf[o + 1] = 2;
      buf[o + 2] = EXT_OPUS;
      buf[o + 3] = s.opusChannelCode;
      o += 4;
    }
  }
  writeCrc(buf, off, len);
  return len;
}

/** table_id, section_length, the 16-bit id (transport_stream_id / program_number), version, current. */
function writeSectionHeader(buf: Uint8Array, off: number, tableId: number, len: number, id: number, version: number): void {
  const sectionLength = len - 3;
  buf[off] = tableId;
  buf[off + 1] = 0xb0 | (sectionLength >>> 8); // section_syntax_indicator, '0', reserved
  buf[off + 2] = sectionLength & 0xff;
  buf[off + 3] = id >>> 8;
  buf[off + 4] = id & 0xff;
  buf[off + 5] = 0xc1 | ((version & 0x1f) << 1); // reserved, version, current_next_indicator 1
  buf[off + 6] = 0; // section_number
  buf[off + 7] = 0; // last_section_number
}

function writeCrc(buf: Uint8Array, off: number, len: number): void {
  const crc = crc32Mpeg(buf, off, off + len - 4);
  new DataView(buf.buffer, buf.byteOffset).setUint32(off + len - 4, crc);
}

/** A whole packet carrying one section (pointer_field 0, 0xFF stuffing after it). */
export function writeSectionPacket(buf: Uint8Array, off: number, pid: number, cc: number, section: Uint8Array): void {
  if (section.length > TS_PACKET_SIZE - 5) throw new ProtocolError("mpegts", "too-large", `section of ${section.length} bytes > 183`);
  writeTsHeader(buf, off, pid, true, AFC_PAYLOAD, cc);
  buf[off + 4] = 0;
  buf.set(section, off + 5);
  buf.fill(0xff, off + 5 + section.length, off + TS_PACKET_SIZE);
}
