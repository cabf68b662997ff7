/**
 * H.264 decoder configuration (AVCDecoderConfigurationRecord, ISO 14496-15 §5.3.3.1) and NAL unit
 * helpers. The record is the track config for "h264" (FLV and MP4 carry it as-is).
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";
import { hex } from "./bits.ts";
import { parseSps, type H264Sps } from "./h264-sps.ts";
import { NalReader } from "./nal.ts";

export { parseSps, type H264Sps } from "./h264-sps.ts";
export { NalReader, AnnexBReader, forEachNal, forEachAnnexBNal, annexBToAvcc, annexBToAvccSize, avccToAnnexB, avccToAnnexBSize, toFourByteLengths } from "./nal.ts";

/** nal_unit_type values (H.264 Table 7-1). */
export const NAL_SLICE = 1;
export const NAL_IDR = 5;
export const NAL_SEI = 6;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_AUD = 9;
export const NAL_END_OF_SEQUENCE = 10;
export const NAL_END_OF_STREAM = 11;
export const NAL_FILLER = 12;

export function h264NalType(header: number): number {
  return header & 0x1f;
}

export interface AvcConfig {
  profile: number;
  compat: number;
  level: number;
  /** 1, 2 or 4: bytes of each NAL unit length in frame payloads (lengthSizeMinusOne + 1). */
  nalLengthSize: number;
  /** Views into the record. */
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** From the High-profile extension (§5.3.3.1.2) when present and well formed. */
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
}

/** Profiles whose record carries the chroma/bit-depth extension (ISO 14496-15 §5.3.3.1.2). */
const EXTENDED_PROFILES = new Set([100, 110, 122, 144]);

export function parseAvcConfig(record: Uint8Array): AvcConfig {
  if (record.length < 7) throw new ProtocolError("codec", "truncated", `avcC of ${record.length} bytes < 7`);
  if (record[0] !== 1) throw new ProtocolError("codec", "invalid", `avcC configurationVersion ${record[0]}`);
  const lengthSize = (record[4]! & 3) + 1;
  if (lengthSize === 3) throw new ProtocolError("codec", "invalid", "avcC lengthSizeMinusOne 2 is reserved");
  const cfg: AvcConfig = {
    profile: record[1]!,
    compat: record[2]!,
    level: record[3]!,
    nalLengthSize: lengthSize,
    sps: [],
    pps: [],
  };
  let off = readSets(record, 6, record[5]! & 0x1f, cfg.sps, "SPS");
  if (off >= record.length) throw new ProtocolError("codec", "truncated", "avcC ends before numOfPictureParameterSets");
  off = readSets(record, off + 1, record[off]!, cfg.pps, "PPS");
  // §5.3.3.1.2: optional for these profiles; many muxers omit or truncate it, so it is read only when whole.
  if (EXTENDED_PROFILES.has(cfg.profile) && record.length - off >= 4) {
    const ext: Uint8Array[] = [];
    try {
      readSets(record, off + 4, record[off + 3]!, ext, "SPS extension");
      cfg.chromaFormat = record[off]! & 3;
      cfg.bitDepthLuma = (record[off + 1]! & 7) + 8;
      cfg.bitDepthChroma = (record[off + 2]! & 7) + 8;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }
  if (cfg.sps.length === 0) throw new ProtocolError("codec", "invalid", "avcC has no SPS");
  return cfg;
}

function readSets(record: Uint8Array, off: number, count: number, out: Uint8Array[], what: string): number {
  for (let i = 0; i < count; i++) {
    if (off + 2 > record.length) throw new ProtocolError("codec", "truncated", `avcC ends inside ${what} ${i} length`);
    const len = (record[off]! << 8) | record[off + 1]!;
    off += 2;
    if (len > record.length - off) {
      throw new ProtocolError("codec", "truncated", `avcC ${what} ${i} of ${len} bytes > ${record.length - off} left`);
    }
    if (len === 0) throw new ProtocolError("codec", "invalid", `avcC ${what} ${i} is empty`);
    out.push(record.subarray(off, off + len));
    off += len;
  }
  return off;
}

/**
 * Builds an avcC (4-byte NAL lengths) from parameter sets, e.g. gathered from an Annex B stream.
 * Profile, compatibility and level come from the first SPS; the High-profile extension is written
 * for the profiles that require it.
 */
export function buildAvcConfig(sps: Uint8Array[], pps: Uint8Array[]): Uint8Array {
  if (sps.length === 0 || sps.length > 31) throw new ProtocolError("codec", "invalid", `${sps.length} SPS (1..31 allowed)`);
  if (pps.length > 255) throw new ProtocolError("codec", "invalid", `${pps.length} PPS > 255`);
  const first = parseSps(sps[0]!);
  const extended = EXTENDED_PROFILES.has(first.profileIdc);
  let size = 7 + (extended ? 4 : 0);
  for (const s of [...sps, ...pps]) {
    if (s.length === 0 || s.length > 0xffff) throw new ProtocolError("codec", "invalid", `parameter set of ${s.length} bytes`);
    size += 2 + s.length;
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = first.profileIdc;
  out[2] = first.constraintFlags;
  out[3] = first.levelIdc;
  out[4] = 0xff; // reserved 6 bits, lengthSizeMinusOne = 3
  out[5] = 0xe0 | sps.length;
  let off = writeSets(out, 6, sps);
  out[off++] = pps.length;
  off = writeSets(out, off, pps);
  if (extended) {
    out[off++] = 0xfc | first.chromaFormatIdc;
    out[off++] = 0xf8 | (first.bitDepthLuma - 8);
    out[off++] = 0xf8 | (first.bitDepthChroma - 8);
    out[off++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

function writeSets(out: Uint8Array, off: number, sets: Uint8Array[]): number {
  for (const s of sets) {
    out[off] = s.length >>> 8;
    out[off + 1] = s.length & 0xff;
    out.set(s, off + 2);
    off += 2 + s.length;
  }
  return off;
}

/**
 * RFC 6381 §3.3 codec string and picture facts of an avcC. Throws ProtocolError for a malformed
 * record; an SPS this parser cannot read (decoders may still) only leaves the picture facts out.
 */
export function describeAvcConfig(record: Uint8Array): TrackInfo {
  const cfg = parseAvcConfig(record);
  const info: TrackInfo = { codecString: "avc1." + hex(record.subarray(1, 4)), profile: cfg.profile, level: cfg.level };
  let sps: H264Sps;
  try {
    sps = parseSps(cfg.sps[0]!);
  } catch (e) {
    if (e instanceof ProtocolError) return info;
    throw e;
  }
  info.width = sps.width;
  info.height = sps.height;
  if (sps.frameRate !== undefined) info.frameRate = sps.frameRate;
  return info;
}

const hotReader = new NalReader();
const EMPTY = new Uint8Array(0);

/** True when a length-prefixed access unit holds an IDR slice (a random access point). */
export function avccHasIdr(payload: Uint8Array, lengthSize: number): boolean {
  const r = hotReader.reset(payload, lengthSize);
  let idr = false;
  while (r.next()) {
    if ((r.header & 0x1f) === NAL_IDR) {
      idr = true;
      break;
    }
  }
  r.reset(EMPTY, 4); // keep no reference to the frame
  return idr;
}
