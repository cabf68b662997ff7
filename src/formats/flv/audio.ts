/**
 * Audio tag bodies: legacy FLV (FLV spec v10.1 §E.4.2.1 AUDIODATA: AAC, MP3) and Enhanced RTMP
 * (veovera enhanced-rtmp v2, "Enhanced Audio": SoundFormat 9 = ExHeader with a FourCC).
 */
import { assert, ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";
import { isOpusHead } from "../../codecs/opus.ts";
import { newMpegAudioHeader, parseMpegAudioHeader } from "../../codecs/mp3.ts";
import { FlvTag, fourcc, fourccString, readMultitrack, readU32, writeU32, type MultitrackView } from "./tag-common.ts";

export const SOUND_FORMAT_MP3 = 2;
export const SOUND_FORMAT_EX_HEADER = 9;
export const SOUND_FORMAT_AAC = 10;
export const SOUND_FORMAT_MP3_8K = 14;

/** Enhanced RTMP AudioPacketType. */
export const AUDIO_PACKET_SEQUENCE_START = 0;
export const AUDIO_PACKET_CODED_FRAMES = 1;
export const AUDIO_PACKET_SEQUENCE_END = 2;
export const AUDIO_PACKET_MULTICHANNEL_CONFIG = 4;
export const AUDIO_PACKET_MULTITRACK = 5;

export const FOURCC_OPUS = fourcc("Opus");
export const FOURCC_AAC = fourcc("mp4a");
export const FOURCC_MP3 = fourcc(".mp3");

/** Legacy SoundRate (2 bits). */
const LEGACY_RATES = [5512, 11025, 22050, 44100];

export function audioCodecOfFourcc(cc: number): Codec | null {
  return cc === FOURCC_OPUS ? "opus" : cc === FOURCC_AAC ? "aac" : cc === FOURCC_MP3 ? "mp3" : null;
}

const mt: MultitrackView = { packetType: 0, fourcc: 0, start: 0, end: 0 };
const mpeg = newMpegAudioHeader();

/** Decodes an audio tag body into `out` (reset first) and returns it. Throws ProtocolError on malformed input. */
export function decodeAudioTag(body: Uint8Array, out: FlvTag = new FlvTag()): FlvTag {
  out.reset();
  if (body.length < 1) throw new ProtocolError("flv", "truncated", "empty audio tag");
  out.keyframe = true;
  const b0 = body[0]!;
  const format = b0 >>> 4;
  if (format === SOUND_FORMAT_EX_HEADER) return decodeEnhanced(body, b0, out);
  if (format === SOUND_FORMAT_AAC) {
    if (body.length < 2) throw new ProtocolError("flv", "truncated", "AAC audio tag without AACPacketType");
    out.codec = "aac";
    // E.4.2.1: AACPacketType 0 = AudioSpecificConfig, 1 = raw frame. The rate/size/type bits are
    // fixed for AAC and say nothing.
    const packetType = body[1]!;
    if (packetType > 1) return out.ignore(`AACPacketType ${packetType}`);
    return setPayload(out, packetType === 0 ? "config" : "frame", 2, body.length);
  }
  if (format === SOUND_FORMAT_MP3 || format === SOUND_FORMAT_MP3_8K) {
    out.codec = "mp3";
    out.sampleRate = format === SOUND_FORMAT_MP3_8K ? 8000 : LEGACY_RATES[(b0 >>> 2) & 3]!;
    out.channels = b0 & 1 ? 2 : 1;
    setPayload(out, "frame", 1, body.length);
    mp3Facts(body, out);
    return out;
  }
  return out.ignore(`unsupported sound format ${format}`);
}

function decodeEnhanced(body: Uint8Array, b0: number, out: FlvTag): FlvTag {
  out.enhanced = true;
  let packetType = b0 & 0x0f;
  let cc: number;
  let pos: number;
  let end = body.length;
  if (packetType === AUDIO_PACKET_MULTITRACK) {
    readMultitrack(body, 1, out, mt);
    packetType = mt.packetType;
    if (packetType === AUDIO_PACKET_MULTITRACK) throw new ProtocolError("flv", "invalid", "nested audio multitrack");
    cc = mt.fourcc;
    pos = mt.start;
    end = mt.end;
  } else {
    if (body.length < 5) throw new ProtocolError("flv", "truncated", `enhanced audio tag of ${body.length} bytes < 5`);
    cc = readU32(body, 1);
    pos = 5;
  }
  const codec = audioCodecOfFourcc(cc);
  if (codec === null) return out.ignore(`unsupported audio FourCC '${fourccString(cc)}'`);
  out.codec = codec;
  switch (packetType) {
    case AUDIO_PACKET_SEQUENCE_START:
      if (codec === "mp3") return out.ignore("MP3 has no sequence start");
      // The spec allows either Opus header packet here; only OpusHead configures the decoder.
      if (codec === "opus" && !isOpusHead(body.subarray(pos, end))) return out.ignore("Opus sequence start is not an OpusHead");
      return setPayload(out, "config", pos, end);
    case AUDIO_PACKET_CODED_FRAMES:
      setPayload(out, "frame", pos, end);
      if (codec === "mp3") mp3Facts(body, out);
      return out;
    case AUDIO_PACKET_SEQUENCE_END:
      return setPayload(out, "eos", pos, end);
    case AUDIO_PACKET_MULTICHANNEL_CONFIG:
      return out.ignore("MultichannelConfig is not used");
    default:
      return out.ignore(`unknown AudioPacketType ${packetType}`);
  }
}

/** An MP3 frame header knows its rate and channels better than the legacy 2-bit rate field. */
function mp3Facts(body: Uint8Array, out: FlvTag): void {
  if (out.kind !== "frame" || out.payloadLength < 4) return;
  try {
    parseMpegAudioHeader(body, out.payloadOffset, mpeg);
    out.sampleRate = mpeg.sampleRate;
    out.channels = mpeg.channels;
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e; // not a frame header (e.g. split frame): keep the tag's own
  }
}

function setPayload(out: FlvTag, kind: FlvTag["kind"], start: number, end: number): FlvTag {
  if (end <= start && (kind === "config" || kind === "frame")) return out.ignore(`empty ${kind}`);
  out.kind = kind;
  out.payloadOffset = start;
  out.payloadLength = end - start;
  return out;
}

export type AudioTagHeaderKind = "config" | "frame" | "eos";

/**
 * Bytes of the header `writeAudioTagHeader` writes: legacy AAC (2) and MP3 (1), Enhanced RTMP Opus (5).
 * Legacy AAC and MP3 have no end-of-sequence tag and MP3 no config: callers skip those (assert).
 */
export function audioTagHeaderSize(codec: Codec, kind: AudioTagHeaderKind): number {
  if (codec === "aac") return 2;
  if (codec === "mp3") return 1;
  return 5;
}

/**
 * Writes the header of an audio tag body; the caller appends the payload. `sampleRate`/`channels`
 * only shape the legacy MP3 flags (AAC's are fixed at 44 kHz/16-bit/stereo by the FLV spec).
 */
export function writeAudioTagHeader(
  buf: Uint8Array, off: number, codec: Codec, kind: AudioTagHeaderKind, sampleRate?: number, channels?: number,
): number {
  if (codec === "aac") {
    assert(kind !== "eos", "legacy AAC has no end-of-sequence tag");
    buf[off] = 0xaf; // E.4.2.1: SoundFormat 10, 44 kHz, 16-bit, stereo — always, for AAC
    buf[off + 1] = kind === "config" ? 0 : 1;
    return 2;
  }
  if (codec === "mp3") {
    assert(kind === "frame", "legacy MP3 has only frames");
    const rate = sampleRate ?? 44100;
    const format = rate === 8000 ? SOUND_FORMAT_MP3_8K : SOUND_FORMAT_MP3;
    const rateBits = rate <= 5512 ? 0 : rate <= 11025 ? 1 : rate <= 22050 ? 2 : 3;
    buf[off] = (format << 4) | (rateBits << 2) | 0x02 | ((channels ?? 2) > 1 ? 1 : 0);
    return 1;
  }
  assert(codec === "opus", `no FLV audio tag for codec ${codec}`);
  const packetType = kind === "config" ? AUDIO_PACKET_SEQUENCE_START : kind === "frame" ? AUDIO_PACKET_CODED_FRAMES : AUDIO_PACKET_SEQUENCE_END;
  buf[off] = (SOUND_FORMAT_EX_HEADER << 4) | packetType;
  writeU32(buf, off + 1, FOURCC_OPUS);
  return 5;
}
