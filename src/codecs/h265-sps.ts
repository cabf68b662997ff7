/**
 * H.265 sequence parameter set (ITU-T H.265 §7.3.2.2), read up to the bit depths: the profile, tier
 * and level (§7.3.3), chroma format, and the picture size after the conformance window (§7.4.3.2.1).
 * The frame rate sits in VUI behind the reference picture sets and is not read.
 */
import { ProtocolError } from "../core/errors.ts";
import { BitReader, removeEmulationPrevention } from "./bits.ts";

export interface HevcProfileTierLevel {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit. */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
}

export interface HevcSps extends HevcProfileTierLevel {
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  chromaFormatIdc: number;
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** Level 6.2 allows 35,651,584 luma samples, 8,444 per side at most; 16,888 bounds it twice over. */
export const MAX_HEVC_PICTURE_SIDE = 16888;

export const HEVC_NAL_VPS = 32;
export const HEVC_NAL_SPS = 33;
export const HEVC_NAL_PPS = 34;

export function hevcNalType(header: number): number {
  return (header >>> 1) & 0x3f;
}

/** Parses an SPS NAL unit (2-byte header included, emulation prevention allowed). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length < 3) throw new ProtocolError("codec", "truncated", `H.265 SPS of ${nal.length} bytes`);
  if (hevcNalType(nal[0]!) !== HEVC_NAL_SPS) {
    throw new ProtocolError("codec", "invalid", `NAL type ${hevcNalType(nal[0]!)} is not an H.265 SPS`);
  }
  const r = new BitReader(removeEmulationPrevention(nal), 2);
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new ProtocolError("codec", "invalid", `sps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`);
  const temporalIdNesting = r.readFlag();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  r.readUEMax(15, "sps_seq_parameter_set_id");
  const chromaFormatIdc = r.readUEMax(3, "chroma_format_idc");
  const separateColourPlane = chromaFormatIdc === 3 && r.readFlag();
  let width = r.readUEMax(MAX_HEVC_PICTURE_SIDE, "pic_width_in_luma_samples");
  let height = r.readUEMax(MAX_HEVC_PICTURE_SIDE, "pic_height_in_luma_samples");
  if (r.readFlag()) {
    // Table 6-1: offsets count chroma samples.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const left = r.readUE(), right = r.readUE(), top = r.readUE(), bottom = r.readUE();
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
  }
  if (width <= 0 || height <= 0) throw new ProtocolError("codec", "invalid", `H.265 SPS picture ${width}x${height}`);
  const bitDepthLuma = 8 + r.readUEMax(8, "bit_depth_luma_minus8");
  const bitDepthChroma = 8 + r.readUEMax(8, "bit_depth_chroma_minus8");
  return { ...ptl, maxSubLayersMinus1, temporalIdNesting, chromaFormatIdc, width, height, bitDepthLuma, bitDepthChroma };
}

/** profile_tier_level(1, maxNumSubLayersMinus1), §7.3.3: the general part is kept, sub-layers skipped. */
function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): HevcProfileTierLevel {
  const generalProfileSpace = r.readBits(2);
  const generalTierFlag = r.readBit();
  const generalProfileIdc = r.readBits(5);
  const generalProfileCompatibilityFlags = r.readBits(32);
  const generalConstraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = r.readBits(8);
  const generalLevelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8);
  }
  return {
    generalProfileSpace, generalTierFlag, generalProfileIdc, generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags, generalLevelIdc,
  };
}
