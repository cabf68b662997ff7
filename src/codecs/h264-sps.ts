/**
 * H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1) — enough to learn the picture size after
 * cropping, the chroma format and bit depth, and the frame rate from VUI timing (Annex E.1.1).
 */
import { ProtocolError } from "../core/errors.ts";
import { BitReader, removeEmulationPrevention } from "./bits.ts";

export interface H264Sps {
  profileIdc: number;
  /** constraint_set0_flag..constraint_set5_flag and the 2 reserved bits, as the byte after profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  /** Displayed size: coded macroblocks minus the frame cropping rectangle (§7.4.2.1.1). */
  width: number;
  height: number;
  /** time_scale / (2 * num_units_in_tick) when VUI timing_info is present (E.2.1). */
  frameRate?: number;
  sarWidth?: number;
  sarHeight?: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Level 6.2 allows 139,264 macroblocks per frame; 4096 MBs (65,536 px) bounds either side. */
export const MAX_SPS_MBS_SIDE = 4096;

/** Table E-1: sample aspect ratios for aspect_ratio_idc 1..16. */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

/** Parses an SPS NAL unit (header byte included, emulation prevention bytes allowed). */
export function parseSps(nal: Uint8Array): H264Sps {
  if (nal.length < 4) throw new ProtocolError("codec", "truncated", `SPS of ${nal.length} bytes`);
  if ((nal[0]! & 0x1f) !== 7) throw new ProtocolError("codec", "invalid", `NAL type ${nal[0]! & 0x1f} is not an SPS`);
  const r = new BitReader(removeEmulationPrevention(nal), 1);
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUEMax(31, "seq_parameter_set_id");
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUEMax(3, "chroma_format_idc");
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = 8 + r.readUEMax(6, "bit_depth_luma_minus8");
    bitDepthChroma = 8 + r.readUEMax(6, "bit_depth_chroma_minus8");
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.readUEMax(12, "log2_max_frame_num_minus4");
  const pocType = r.readUEMax(2, "pic_order_cnt_type");
  if (pocType === 0) {
    r.readUEMax(12, "log2_max_pic_order_cnt_lsb_minus4");
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUEMax(255, "num_ref_frames_in_pic_order_cnt_cycle");
    for (let i = 0; i < cycle; i++) r.readSE();
  }
  r.readUE(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUEMax(MAX_SPS_MBS_SIDE - 1, "pic_width_in_mbs_minus1") + 1;
  const heightMapUnits = r.readUEMax(MAX_SPS_MBS_SIDE - 1, "pic_height_in_map_units_minus1") + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag

  // §7.4.2.1.1: crop units depend on ChromaArrayType (0 when monochrome or coded as separate planes).
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  let width = widthMbs * 16;
  let height = heightMapUnits * 16 * (frameMbsOnly ? 1 : 2);
  if (r.readFlag()) {
    const left = r.readUE(), right = r.readUE(), top = r.readUE(), bottom = r.readUE();
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new ProtocolError("codec", "invalid", `SPS cropping leaves ${width}x${height}`);
    }
  }
  const sps: H264Sps = {
    profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma,
    frameMbsOnly, width, height,
  };
  if (r.bitsLeft > 0 && r.readFlag()) {
    // VUI only adds the frame rate and aspect ratio: a truncated one (some encoders emit it) loses
    // those, not the SPS.
    try {
      readVui(r, sps);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }
  return sps;
}

/** scaling_list() (§7.3.2.1.1.1): only skipped, but every delta must still be read. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.readSE();
      if (delta < -128 || delta > 127) throw new ProtocolError("codec", "invalid", `delta_scale ${delta}`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** vui_parameters() (Annex E.1.1) up to timing_info; HRD and what follows are not needed. */
function readVui(r: BitReader, sps: H264Sps): void {
  if (r.readFlag()) {
    const idc = r.readBits(8);
    if (idc === 255) {
      sps.sarWidth = r.readBits(16);
      sps.sarHeight = r.readBits(16);
    } else if (idc > 0 && idc < SAR_TABLE.length) {
      sps.sarWidth = SAR_TABLE[idc]![0];
      sps.sarHeight = SAR_TABLE[idc]![1];
    }
  }
  if (r.readFlag()) r.skip(1); // overscan_info_present_flag → overscan_appropriate_flag
  if (r.readFlag()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.readFlag()) r.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.readFlag()) {
    r.readUE(); // chroma_sample_loc_type_top_field
    r.readUE(); // chroma_sample_loc_type_bottom_field
  }
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    // E.2.1: one frame lasts two ticks (a tick is a field period).
    if (numUnitsInTick > 0 && timeScale > 0) sps.frameRate = timeScale / (2 * numUnitsInTick);
  }
}
