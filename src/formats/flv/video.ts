/**
 * Video tag bodies: legacy FLV (FLV spec v10.1 §E.4.3.1 VIDEODATA, AVC and the HEVC codec id 12
 * extension) and Enhanced RTMP (veovera enhanced-rtmp v1/v2, "Enhanced Video": ExVideoTagHeader).
 */
import { assert, ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";
import { FlvTag, fourcc, fourccString, readMultitrack, readSI24, readU32, writeSI24, writeU32, type MultitrackView } from "./tag-common.ts";

/** Legacy CodecID values. */
export const VIDEO_CODEC_AVC = 7;
/** Not in Adobe's spec: the HEVC extension common in Chinese CDNs (same layout as AVC). */
export const VIDEO_CODEC_HEVC_LEGACY = 12;

/** Enhanced RTMP VideoPacketType. */
export const VIDEO_PACKET_SEQUENCE_START = 0;
export const VIDEO_PACKET_CODED_FRAMES = 1;
export const VIDEO_PACKET_SEQUENCE_END = 2;
export const VIDEO_PACKET_CODED_FRAMES_X = 3;
export const VIDEO_PACKET_METADATA = 4;
export const VIDEO_PACKET_MPEG2TS_SEQUENCE_START = 5;
export const VIDEO_PACKET_MULTITRACK = 6;

const FRAME_KEY = 1;
const FRAME_INTER = 2;
const FRAME_GENERATED_KEY = 4;
const FRAME_COMMAND = 5;

export const FOURCC_AVC = fourcc("avc1");
export const FOURCC_HEVC = fourcc("hvc1");
export const FOURCC_AV1 = fourcc("av01");
export const FOURCC_VP9 = fourcc("vp09");
export const FOURCC_VP8 = fourcc("vp08");

export function videoCodecOfFourcc(cc: number): Codec | null {
  switch (cc) {
    case FOURCC_AVC: return "h264";
    case FOURCC_HEVC: return "h265";
    case FOURCC_AV1: return "av1";
    case FOURCC_VP9: return "vp9";
    case FOURCC_VP8: return "vp8";
    default: return null;
  }
}

const mt: MultitrackView = { packetType: 0, fourcc: 0, start: 0, end: 0 };

/** Decodes a video tag body into `out` (reset first) and returns it. Throws ProtocolError on malformed input. */
export function decodeVideoTag(body: Uint8Array, out: FlvTag = new FlvTag()): FlvTag {
  out.reset();
  if (body.length < 1) throw new ProtocolError("flv", "truncated", "empty video tag");
  const b0 = body[0]!;
  return b0 & 0x80 ? decodeEnhanced(body, b0, out) : decodeLegacy(body, b0, out);
}

function decodeLegacy(body: Uint8Array, b0: number, out: FlvTag): FlvTag {
  const frameType = b0 >>> 4;
  const codecId = b0 & 0x0f;
  if (frameType === FRAME_COMMAND) return out.ignore("video info/command frame");
  if (codecId !== VIDEO_CODEC_AVC && codecId !== VIDEO_CODEC_HEVC_LEGACY) return out.ignore(`unsupported video codec id ${codecId}`);
  if (body.length < 5) throw new ProtocolError("flv", "truncated", `AVC video tag of ${body.length} bytes < 5`);
  out.codec = codecId === VIDEO_CODEC_AVC ? "h264" : "h265";
  out.keyframe = frameType === FRAME_KEY || frameType === FRAME_GENERATED_KEY;
  // FLV spec E.4.3.1: AVCPacketType 0 = sequence header, 1 = NALU, 2 = end of sequence
  const packetType = body[1]!;
  if (packetType > 2) return out.ignore(`AVCPacketType ${packetType}`);
  out.cts = packetType === 1 ? readSI24(body, 2) : 0;
  return setPayload(out, packetType === 0 ? "config" : packetType === 1 ? "frame" : "eos", 5, body.length);
}

function decodeEnhanced(body: Uint8Array, b0: number, out: FlvTag): FlvTag {
  out.enhanced = true;
  const frameType = (b0 >>> 4) & 7;
  let packetType = b0 & 0x0f;
  let pos = 1;
  let end = body.length;
  let cc: number;
  if (packetType !== VIDEO_PACKET_METADATA && frameType === FRAME_COMMAND) return out.ignore("video command frame");
  if (packetType === VIDEO_PACKET_MULTITRACK) {
    readMultitrack(body, 1, out, mt);
    packetType = mt.packetType;
    if (packetType === VIDEO_PACKET_MULTITRACK) throw new ProtocolError("flv", "invalid", "nested video multitrack");
    cc = mt.fourcc;
    pos = mt.start;
    end = mt.end;
  } else {
    if (body.length < 5) throw new ProtocolError("flv", "truncated", `enhanced video tag of ${body.length} bytes < 5`);
    cc = readU32(body, 1);
    pos = 5;
  }
  const codec = videoCodecOfFourcc(cc);
  if (codec === null) return out.ignore(`unsupported video FourCC '${fourccString(cc)}'`);
  out.codec = codec;
  out.keyframe = frameType === FRAME_KEY || frameType === FRAME_GENERATED_KEY;
  switch (packetType) {
    case VIDEO_PACKET_SEQUENCE_START:
      return setPayload(out, "config", pos, end);
    case VIDEO_PACKET_CODED_FRAMES:
      // Only AVC and HEVC coded frames carry a composition time offset (SI24).
      if (codec === "h264" || codec === "h265") {
        if (end - pos < 3) throw new ProtocolError("flv", "truncated", "coded frames tag ends inside its composition time");
        out.cts = readSI24(body, pos);
        pos += 3;
      }
      return setPayload(out, "frame", pos, end);
    case VIDEO_PACKET_CODED_FRAMES_X:
      return setPayload(out, "frame", pos, end);
    case VIDEO_PACKET_SEQUENCE_END:
      return setPayload(out, "eos", pos, end);
    case VIDEO_PACKET_METADATA:
      return setPayload(out, "metadata", pos, end);
    case VIDEO_PACKET_MPEG2TS_SEQUENCE_START:
      return out.ignore("MPEG2TSSequenceStart is not supported");
    default:
      return out.ignore(`unknown VideoPacketType ${packetType}`);
  }
}

/** Empty configs and frames carry nothing to decode: they are ignored rather than passed on. */
function setPayload(out: FlvTag, kind: FlvTag["kind"], start: number, end: number): FlvTag {
  if (end <= start && (kind === "config" || kind === "frame")) return out.ignore(`empty ${kind}`);
  out.kind = kind;
  out.payloadOffset = start;
  out.payloadLength = end - start;
  return out;
}

export type VideoTagHeaderKind = "config" | "frame" | "eos";

/**
 * Bytes of the tag header `writeVideoTagHeader` writes: legacy AVC for H.264 (5), Enhanced RTMP for
 * the rest (5, or 8 for an HEVC frame with a non-zero composition time).
 */
export function videoTagHeaderSize(codec: Codec, kind: VideoTagHeaderKind, cts: number): number {
  return codec === "h265" && kind === "frame" && cts !== 0 ? 8 : 5;
}

/**
 * Writes the header of a video tag body; the caller appends the payload (config record or frame)
 * right after, so the payload is copied once. Returns the bytes written.
 */
export function writeVideoTagHeader(buf: Uint8Array, off: number, codec: Codec, kind: VideoTagHeaderKind, keyframe: boolean, cts: number): number {
  const frameType = kind === "frame" && !keyframe ? FRAME_INTER : FRAME_KEY;
  const packet = kind === "config" ? 0 : kind === "frame" ? 1 : 2;
  if (codec === "h264") {
    buf[off] = (frameType << 4) | VIDEO_CODEC_AVC;
    buf[off + 1] = packet; // AVCPacketType has the same numbers
    writeSI24(buf, off + 2, kind === "frame" ? cts : 0);
    return 5;
  }
  const cc = codec === "h265" ? FOURCC_HEVC : codec === "av1" ? FOURCC_AV1 : codec === "vp9" ? FOURCC_VP9 : codec === "vp8" ? FOURCC_VP8 : 0;
  assert(cc !== 0, `no FLV video tag for codec ${codec}`);
  let packetType = packet === 0 ? VIDEO_PACKET_SEQUENCE_START : packet === 2 ? VIDEO_PACKET_SEQUENCE_END : VIDEO_PACKET_CODED_FRAMES;
  const withCts = codec === "h265" && kind === "frame" && cts !== 0;
  if (codec === "h265" && kind === "frame" && !withCts) packetType = VIDEO_PACKET_CODED_FRAMES_X;
  buf[off] = 0x80 | (frameType << 4) | packetType;
  writeU32(buf, off + 1, cc);
  if (!withCts) return 5;
  writeSI24(buf, off + 5, cts);
  return 8;
}
