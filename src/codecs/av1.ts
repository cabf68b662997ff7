/**
 * AV1 decoder configuration: AV1CodecConfigurationRecord (av1C, AV1 ISOBMFF binding §2.3) — the track
 * config for "av1" — its codec string (§5 "Codecs Parameter String"), and keyframe detection.
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";
import { leb128Size, writeLeb128 } from "./bits.ts";
import { OBU_FRAME, OBU_FRAME_HEADER, OBU_SEQUENCE_HEADER, ObuReader, parseAv1SequenceHeader } from "./av1-obu.ts";

export * from "./av1-obu.ts";

export interface Av1Config {
  seqProfile: number;
  seqLevelIdx0: number;
  seqTier0: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: number;
  chromaSubsamplingY: number;
  chromaSamplePosition: number;
  /** initial_presentation_delay_minus_one + 1 when present. */
  initialPresentationDelay?: number;
  /** View into the record: zero or more OBUs (normally a sequence header). */
  configObus: Uint8Array;
}

export const AV1C_HEADER_SIZE = 4;

export function parseAv1Config(record: Uint8Array): Av1Config {
  if (record.length < AV1C_HEADER_SIZE) throw new ProtocolError("codec", "truncated", `av1C of ${record.length} bytes < 4`);
  if (record[0] !== 0x81) throw new ProtocolError("codec", "invalid", `av1C marker/version byte 0x${record[0]!.toString(16)} != 0x81`);
  const b1 = record[1]!, b2 = record[2]!, b3 = record[3]!;
  const cfg: Av1Config = {
    seqProfile: b1 >>> 5,
    seqLevelIdx0: b1 & 0x1f,
    seqTier0: b2 >>> 7,
    highBitdepth: (b2 & 0x40) !== 0,
    twelveBit: (b2 & 0x20) !== 0,
    monochrome: (b2 & 0x10) !== 0,
    chromaSubsamplingX: (b2 >>> 3) & 1,
    chromaSubsamplingY: (b2 >>> 2) & 1,
    chromaSamplePosition: b2 & 3,
    configObus: record.subarray(AV1C_HEADER_SIZE),
  };
  if (b3 & 0x10) cfg.initialPresentationDelay = (b3 & 0x0f) + 1;
  return cfg;
}

export function av1BitDepth(cfg: { highBitdepth: boolean; twelveBit: boolean }): number {
  return cfg.twelveBit ? 12 : cfg.highBitdepth ? 10 : 8;
}

/**
 * "av01.P.LLT.DD" (ISOBMFF binding §5); size and frame rate from a sequence header among the
 * configOBUs. Throws ProtocolError for a malformed record or OBU framing; a sequence header this
 * parser cannot read only leaves size and frame rate out.
 */
export function describeAv1Config(record: Uint8Array): TrackInfo {
  const cfg = parseAv1Config(record);
  const level = String(cfg.seqLevelIdx0).padStart(2, "0");
  const depth = String(av1BitDepth(cfg)).padStart(2, "0");
  const info: TrackInfo = {
    codecString: `av01.${cfg.seqProfile}.${level}${cfg.seqTier0 ? "H" : "M"}.${depth}`,
    profile: cfg.seqProfile,
    level: cfg.seqLevelIdx0,
  };
  const r = new ObuReader().reset(cfg.configObus);
  while (r.next()) {
    if (r.type !== OBU_SEQUENCE_HEADER) continue;
    try {
      const seq = parseAv1SequenceHeader(cfg.configObus.subarray(r.payloadStart, r.end));
      info.width = seq.maxFrameWidth;
      info.height = seq.maxFrameHeight;
      if (seq.frameRate !== undefined) info.frameRate = seq.frameRate;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
    break;
  }
  return info;
}

/**
 * Builds an av1C from a sequence header OBU (with or without obu_size; trailing OBUs ignored). The
 * configOBUs field gets the sequence header with an obu_size, as the binding requires (§2.3.4).
 */
export function buildAv1ConfigFromSequenceHeader(obu: Uint8Array): Uint8Array {
  const r = new ObuReader().reset(obu);
  if (!r.next() || r.type !== OBU_SEQUENCE_HEADER) {
    throw new ProtocolError("codec", "invalid", `expected a sequence header OBU, got type ${r.type}`);
  }
  const payload = obu.subarray(r.payloadStart, r.end);
  const seq = parseAv1SequenceHeader(payload);
  const headerLen = obu[0]! & 0x04 ? 2 : 1;
  const out = new Uint8Array(AV1C_HEADER_SIZE + headerLen + leb128Size(payload.length) + payload.length);
  out[0] = 0x81;
  out[1] = (seq.seqProfile << 5) | seq.seqLevelIdx0;
  out[2] = (seq.seqTier0 << 7) | (+seq.highBitdepth << 6) | (+seq.twelveBit << 5) | (+seq.monochrome << 4) |
    (seq.chromaSubsamplingX << 3) | (seq.chromaSubsamplingY << 2) | seq.chromaSamplePosition;
  out[3] = 0; // no initial_presentation_delay
  let off = AV1C_HEADER_SIZE;
  out[off++] = obu[0]! | 0x02; // obu_has_size_field
  if (headerLen === 2) out[off++] = obu[1]!;
  off += writeLeb128(out, off, payload.length);
  out.set(payload, off);
  return out;
}

const hotReader = new ObuReader();
const EMPTY = new Uint8Array(0);

/**
 * True when a temporal unit starts with a shown key frame: its first frame header (§5.9.1) has
 * show_existing_frame = 0 and frame_type = KEY_FRAME, or the stream uses reduced still picture headers.
 */
export function av1IsKeyframe(payload: Uint8Array): boolean {
  const r = hotReader.reset(payload);
  let key = false;
  let reduced = false;
  while (r.next()) {
    if (r.type === OBU_SEQUENCE_HEADER) {
      // seq_profile(3) still_picture(1) reduced_still_picture_header(1)
      reduced = r.payloadStart < r.end && (payload[r.payloadStart]! & 0x08) !== 0;
    } else if (r.type === OBU_FRAME || r.type === OBU_FRAME_HEADER) {
      if (reduced) key = true;
      else if (r.payloadStart < r.end) {
        const b = payload[r.payloadStart]!;
        key = (b & 0x80) === 0 && (b & 0x60) === 0;
      }
      break;
    }
  }
  r.reset(EMPTY);
  return key;
}
