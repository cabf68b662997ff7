/**
 * VP8/VP9 decoder configuration: VPCodecConfigurationRecord as the vpcC box carries it (VP Codec ISO
 * Media File Format Binding §2.2: version 1 FullBox header, then the record) — the track config for
 * "vp9" and "vp8" — and keyframe facts from the VP9 uncompressed header (VP9 spec §6.2).
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";
import { BitReader } from "./bits.ts";

export interface VpcConfig {
  profile: number;
  level: number;
  bitDepth: number;
  chromaSubsampling: number;
  videoFullRange: boolean;
  colourPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  /** View into the record (empty for VP8/VP9). */
  codecInitializationData: Uint8Array;
}

const VPCC_SIZE = 12;

export function parseVpcConfig(record: Uint8Array): VpcConfig {
  if (record.length < VPCC_SIZE) throw new ProtocolError("codec", "truncated", `vpcC of ${record.length} bytes < ${VPCC_SIZE}`);
  if (record[0] !== 1) throw new ProtocolError("codec", "unsupported", `vpcC version ${record[0]} (only 1)`);
  const initSize = (record[10]! << 8) | record[11]!;
  if (initSize > record.length - VPCC_SIZE) {
    throw new ProtocolError("codec", "truncated", `vpcC codecInitializationData of ${initSize} bytes > ${record.length - VPCC_SIZE} left`);
  }
  const bitDepth = record[6]! >>> 4;
  if (bitDepth !== 8 && bitDepth !== 10 && bitDepth !== 12) throw new ProtocolError("codec", "invalid", `vpcC bitDepth ${bitDepth}`);
  return {
    profile: record[4]!,
    level: record[5]!,
    bitDepth,
    chromaSubsampling: (record[6]! >>> 1) & 7,
    videoFullRange: (record[6]! & 1) !== 0,
    colourPrimaries: record[7]!,
    transferCharacteristics: record[8]!,
    matrixCoefficients: record[9]!,
    codecInitializationData: record.subarray(VPCC_SIZE, VPCC_SIZE + initSize),
  };
}

/** "vp09.PP.LL.DD" (binding §3, codecs parameter string), or "vp08..." with `sampleEntry`. */
export function describeVpcConfig(record: Uint8Array, sampleEntry: "vp09" | "vp08" = "vp09"): TrackInfo {
  const c = parseVpcConfig(record);
  const two = (n: number) => String(n).padStart(2, "0");
  return {
    codecString: `${sampleEntry}.${two(c.profile)}.${two(c.level)}.${two(c.bitDepth)}`,
    profile: c.profile,
    level: c.level,
  };
}

/** Builds a vpcC (version 1) with unspecified colour (2) and 4:2:0 colocated chroma unless told. */
export function buildVpcConfig(opts: { profile: number; level: number; bitDepth: number; chromaSubsampling?: number }): Uint8Array {
  const out = new Uint8Array(VPCC_SIZE);
  out[0] = 1;
  out[4] = opts.profile;
  out[5] = opts.level;
  out[6] = (opts.bitDepth << 4) | ((opts.chromaSubsampling ?? 1) << 1);
  out[7] = out[8] = out[9] = 2;
  return out;
}

export interface Vp9FrameInfo {
  profile: number;
  keyframe: boolean;
  showExistingFrame: boolean;
  /** Known only for key frames. */
  width: number;
  height: number;
  bitDepth: number;
}

const SYNC_CODE = 0x498342;

/**
 * Reads the start of a VP9 uncompressed header (§6.2). For a superframe (§B.3) that is the first
 * frame's header, which is the one that makes it a key frame.
 */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameInfo {
  const r = new BitReader(frame);
  if (r.readBits(2) !== 2) throw new ProtocolError("codec", "invalid", "VP9 frame_marker != 2");
  const low = r.readBit();
  const profile = (r.readBit() << 1) | low;
  if (profile === 3) r.skip(1); // reserved_zero
  const info: Vp9FrameInfo = { profile, keyframe: false, showExistingFrame: false, width: 0, height: 0, bitDepth: 8 };
  if (r.readFlag()) {
    info.showExistingFrame = true;
    return info;
  }
  info.keyframe = r.readBit() === 0; // frame_type: KEY_FRAME = 0
  if (!info.keyframe) return info;
  r.skip(2); // show_frame, error_resilient_mode
  if (r.readBits(24) !== SYNC_CODE) throw new ProtocolError("codec", "invalid", "VP9 key frame without sync code");
  // color_config() §6.2.2
  if (profile >= 2) info.bitDepth = r.readFlag() ? 12 : 10;
  const colorSpace = r.readBits(3);
  if (colorSpace !== 7) {
    r.skip(1); // color_range
    if (profile === 1 || profile === 3) r.skip(3); // subsampling_x, subsampling_y, reserved_zero
  } else if (profile === 1 || profile === 3) {
    r.skip(1);
  }
  info.width = r.readBits(16) + 1;
  info.height = r.readBits(16) + 1;
  return info;
}

/** True for a frame (or superframe) whose first frame is a VP9 key frame. Never throws on a short frame. */
export function vp9IsKeyframe(frame: Uint8Array): boolean {
  if (frame.length === 0) return false;
  const b = frame[0]!;
  if (b >>> 6 !== 2) return false;
  // frame_marker(2) profile_low(1) profile_high(1) [reserved_zero(1) if profile 3] show_existing(1) frame_type(1)
  const profile = ((b >>> 4) & 1) << 1 | ((b >>> 5) & 1);
  const shift = profile === 3 ? 2 : 3;
  if ((b >>> shift) & 1) return false; // show_existing_frame
  return ((b >>> (shift - 1)) & 1) === 0;
}
