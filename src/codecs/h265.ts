/**
 * H.265 decoder configuration (HEVCDecoderConfigurationRecord, ISO 14496-15 §8.3.3.1) and its RFC 6381
 * codec string (ISO 14496-15 Annex E.3). The record is the track config for "h265".
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";
import { NalReader } from "./nal.ts";
import { HEVC_NAL_PPS, HEVC_NAL_SPS, HEVC_NAL_VPS, parseHevcSps, type HevcProfileTierLevel } from "./h265-sps.ts";

export { parseHevcSps, hevcNalType, HEVC_NAL_VPS, HEVC_NAL_SPS, HEVC_NAL_PPS, type HevcSps } from "./h265-sps.ts";

export interface HevcNalArray {
  arrayCompleteness: boolean;
  nalUnitType: number;
  /** Views into the record. */
  nalus: Uint8Array[];
}

export interface HevcConfig extends HevcProfileTierLevel {
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** In frames per 256 seconds; 0 = unspecified. */
  avgFrameRate: number;
  numTemporalLayers: number;
  nalLengthSize: number;
  arrays: HevcNalArray[];
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

const HEADER_SIZE = 23;

export function parseHevcConfig(record: Uint8Array): HevcConfig {
  if (record.length < HEADER_SIZE) throw new ProtocolError("codec", "truncated", `hvcC of ${record.length} bytes < ${HEADER_SIZE}`);
  if (record[0] !== 1) throw new ProtocolError("codec", "invalid", `hvcC configurationVersion ${record[0]}`);
  const lengthSize = (record[21]! & 3) + 1;
  if (lengthSize === 3) throw new ProtocolError("codec", "invalid", "hvcC lengthSizeMinusOne 2 is not allowed");
  const cfg: HevcConfig = {
    generalProfileSpace: record[1]! >>> 6,
    generalTierFlag: (record[1]! >>> 5) & 1,
    generalProfileIdc: record[1]! & 0x1f,
    generalProfileCompatibilityFlags: ((record[2]! << 24) | (record[3]! << 16) | (record[4]! << 8) | record[5]!) >>> 0,
    generalConstraintIndicatorFlags: record.subarray(6, 12),
    generalLevelIdc: record[12]!,
    chromaFormatIdc: record[16]! & 3,
    bitDepthLuma: (record[17]! & 7) + 8,
    bitDepthChroma: (record[18]! & 7) + 8,
    avgFrameRate: (record[19]! << 8) | record[20]!,
    numTemporalLayers: (record[21]! >>> 3) & 7,
    nalLengthSize: lengthSize,
    arrays: [],
    vps: [],
    sps: [],
    pps: [],
  };
  let off = HEADER_SIZE;
  const numArrays = record[22]!;
  for (let a = 0; a < numArrays; a++) {
    if (off + 3 > record.length) throw new ProtocolError("codec", "truncated", `hvcC ends inside array ${a} header`);
    const arr: HevcNalArray = { arrayCompleteness: (record[off]! & 0x80) !== 0, nalUnitType: record[off]! & 0x3f, nalus: [] };
    const count = (record[off + 1]! << 8) | record[off + 2]!;
    off += 3;
    for (let i = 0; i < count; i++) {
      if (off + 2 > record.length) throw new ProtocolError("codec", "truncated", `hvcC ends inside array ${a} NAL ${i} length`);
      const len = (record[off]! << 8) | record[off + 1]!;
      off += 2;
      if (len > record.length - off) {
        throw new ProtocolError("codec", "truncated", `hvcC NAL of ${len} bytes > ${record.length - off} left`);
      }
      arr.nalus.push(record.subarray(off, off + len));
      off += len;
    }
    cfg.arrays.push(arr);
    if (arr.nalUnitType === HEVC_NAL_VPS) cfg.vps.push(...arr.nalus);
    else if (arr.nalUnitType === HEVC_NAL_SPS) cfg.sps.push(...arr.nalus);
    else if (arr.nalUnitType === HEVC_NAL_PPS) cfg.pps.push(...arr.nalus);
  }
  return cfg;
}

/**
 * Annex E.3: hvc1.<space><profile>.<compat, bit-reversed hex>.<L|H><level>[.<constraint bytes>], e.g.
 * "hvc1.1.6.L93.B0"; trailing zero constraint bytes are left out.
 */
export function hevcCodecString(ptl: HevcProfileTierLevel, sampleEntry = "hvc1"): string {
  const space = ["", "A", "B", "C"][ptl.generalProfileSpace]!;
  let reversed = 0;
  for (let i = 0; i < 32; i++) if ((ptl.generalProfileCompatibilityFlags >>> i) & 1) reversed |= 1 << (31 - i);
  const c = ptl.generalConstraintIndicatorFlags;
  let last = c.length - 1;
  while (last >= 0 && c[last] === 0) last--;
  let s = `${sampleEntry}.${space}${ptl.generalProfileIdc}.${(reversed >>> 0).toString(16).toUpperCase()}.`;
  s += `${ptl.generalTierFlag ? "H" : "L"}${ptl.generalLevelIdc}`;
  for (let i = 0; i <= last; i++) s += "." + c[i]!.toString(16).toUpperCase();
  return s;
}

/**
 * Codec string from the record; picture size from its first SPS (absent when the record has none or
 * this parser cannot read it). Throws ProtocolError for a malformed record.
 */
export function describeHevcConfig(record: Uint8Array): TrackInfo {
  const cfg = parseHevcConfig(record);
  const info: TrackInfo = {
    codecString: hevcCodecString(cfg),
    profile: cfg.generalProfileIdc,
    level: cfg.generalLevelIdc,
  };
  if (cfg.sps.length > 0) {
    try {
      const sps = parseHevcSps(cfg.sps[0]!);
      info.width = sps.width;
      info.height = sps.height;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }
  if (cfg.avgFrameRate > 0) info.frameRate = cfg.avgFrameRate / 256;
  return info;
}

/** Builds an hvcC (4-byte NAL lengths, complete arrays) from parameter sets; general fields from the SPS. */
export function buildHevcConfig(vps: Uint8Array[], sps: Uint8Array[], pps: Uint8Array[]): Uint8Array {
  if (sps.length === 0) throw new ProtocolError("codec", "invalid", "H.265 config needs an SPS");
  const s = parseHevcSps(sps[0]!);
  const groups: [number, Uint8Array[]][] = [[HEVC_NAL_VPS, vps], [HEVC_NAL_SPS, sps], [HEVC_NAL_PPS, pps]];
  const present = groups.filter(([, nalus]) => nalus.length > 0);
  let size = HEADER_SIZE;
  for (const [, nalus] of present) {
    if (nalus.length > 0xffff) throw new ProtocolError("codec", "invalid", `${nalus.length} NAL units in one hvcC array`);
    size += 3;
    for (const n of nalus) {
      if (n.length > 0xffff) throw new ProtocolError("codec", "invalid", `parameter set of ${n.length} bytes`);
      size += 2 + n.length;
    }
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = (s.generalProfileSpace << 6) | (s.generalTierFlag << 5) | s.generalProfileIdc;
  new DataView(out.buffer).setUint32(2, s.generalProfileCompatibilityFlags);
  out.set(s.generalConstraintIndicatorFlags, 6);
  out[12] = s.generalLevelIdc;
  out[13] = 0xf0; // reserved, min_spatial_segmentation_idc = 0
  out[14] = 0x00;
  out[15] = 0xfc; // reserved, parallelismType = 0 (unknown)
  out[16] = 0xfc | s.chromaFormatIdc;
  out[17] = 0xf8 | (s.bitDepthLuma - 8);
  out[18] = 0xf8 | (s.bitDepthChroma - 8);
  // avgFrameRate = 0; constantFrameRate = 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne = 3
  out[21] = ((s.maxSubLayersMinus1 + 1) << 3) | ((s.temporalIdNesting ? 1 : 0) << 2) | 3;
  out[22] = present.length;
  let off = HEADER_SIZE;
  for (const [type, nalus] of present) {
    out[off] = 0x80 | type;
    out[off + 1] = nalus.length >>> 8;
    out[off + 2] = nalus.length & 0xff;
    off += 3;
    for (const n of nalus) {
      out[off] = n.length >>> 8;
      out[off + 1] = n.length & 0xff;
      out.set(n, off + 2);
      off += 2 + n.length;
    }
  }
  return out;
}

const hotReader = new NalReader();
const EMPTY = new Uint8Array(0);

/** True when a length-prefixed access unit holds an IRAP picture (BLA, IDR or CRA: types 16..23, §7.4.2.2). */
export function hevcHasIrap(payload: Uint8Array, lengthSize: number): boolean {
  const r = hotReader.reset(payload, lengthSize);
  let irap = false;
  while (r.next()) {
    const type = (r.header >>> 1) & 0x3f;
    if (type >= 16 && type <= 23) {
      irap = true;
      break;
    }
  }
  r.reset(EMPTY, 4);
  return irap;
}
