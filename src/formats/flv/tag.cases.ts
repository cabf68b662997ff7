/** The FLV tag case table: feeds tag.test.ts (decode and round trip) and the flv-tag fuzz seeds. */
import type { Codec } from "../../core/track.ts";
import { fixture } from "../../codecs/h264.cases.ts";
import type { FlvTagKind } from "./tag-common.ts";

export function bytes(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

const AVCC = fixture("h264-high-720p.avcc");
const HVCC = fixture("h265-main-426x240.hvcc");
const AV1C = fixture("av1-64.av1c");
const VPCC = fixture("vp9-64.vpcc");
const ASC = fixture("aac-lc-44100-stereo.asc");
const OPUS_HEAD = fixture("opus-stereo.opushead");
const NALUS = bytes(0, 0, 0, 3, 0x65, 0x88, 0x84);
const HEVC_NALUS = bytes(0, 0, 0, 3, 0x26, 0x01, 0xaf);
const AV1_TU = fixture("av1-64-key.obu").subarray(2, 40); // without its temporal delimiter; a prefix is enough here
const VP9_FRAME = fixture("vp9-64-inter.bin");
const MP3_44K = bytes(0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0);
const MP3_48K = bytes(0xff, 0xfb, 0x94, 0x64, 0, 0, 0, 0);
const u24 = (n: number) => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export interface TagCase {
  name: string;
  audio: boolean;
  body: Uint8Array;
  kind: FlvTagKind;
  codec: Codec | null;
  keyframe?: boolean;
  cts?: number;
  payload?: Uint8Array;
  enhanced?: boolean;
  trackId?: number;
  sampleRate?: number;
  channels?: number;
  /** writeVideoTagHeader/writeAudioTagHeader with these arguments + payload gives `body` back. */
  encodes?: { kind: "config" | "frame" | "eos"; keyframe?: boolean; cts?: number; sampleRate?: number; channels?: number };
}

export const VIDEO_CASES: TagCase[] = [
  { name: "legacy AVC sequence header", audio: false, body: bytes(0x17, 0, u24(0), AVCC), kind: "config", codec: "h264", keyframe: true, payload: AVCC, encodes: { kind: "config", keyframe: true } },
  { name: "legacy AVC key frame, cts 80", audio: false, body: bytes(0x17, 1, u24(80), NALUS), kind: "frame", codec: "h264", keyframe: true, cts: 80, payload: NALUS, encodes: { kind: "frame", keyframe: true, cts: 80 } },
  { name: "legacy AVC inter frame, cts -40", audio: false, body: bytes(0x27, 1, u24(-40 & 0xffffff), NALUS), kind: "frame", codec: "h264", keyframe: false, cts: -40, payload: NALUS, encodes: { kind: "frame", keyframe: false, cts: -40 } },
  { name: "legacy AVC end of sequence", audio: false, body: bytes(0x17, 2, u24(0)), kind: "eos", codec: "h264", encodes: { kind: "eos" } },
  { name: "legacy HEVC (codec id 12) sequence header", audio: false, body: bytes(0x1c, 0, u24(0), HVCC), kind: "config", codec: "h265", payload: HVCC },
  { name: "enhanced HEVC SequenceStart", audio: false, body: bytes(0x90, "hvc1", HVCC), kind: "config", codec: "h265", enhanced: true, payload: HVCC, encodes: { kind: "config", keyframe: true } },
  { name: "enhanced HEVC CodedFrames, cts 33", audio: false, body: bytes(0x91, "hvc1", u24(33), HEVC_NALUS), kind: "frame", codec: "h265", keyframe: true, cts: 33, payload: HEVC_NALUS, encodes: { kind: "frame", keyframe: true, cts: 33 } },
  { name: "enhanced HEVC CodedFramesX inter", audio: false, body: bytes(0xa3, "hvc1", HEVC_NALUS), kind: "frame", codec: "h265", keyframe: false, cts: 0, payload: HEVC_NALUS, encodes: { kind: "frame", keyframe: false, cts: 0 } },
  { name: "enhanced AVC CodedFrames, cts -2", audio: false, body: bytes(0xa1, "avc1", u24(-2 & 0xffffff), NALUS), kind: "frame", codec: "h264", keyframe: false, cts: -2, payload: NALUS },
  { name: "enhanced AV1 SequenceStart", audio: false, body: bytes(0x90, "av01", AV1C), kind: "config", codec: "av1", payload: AV1C, encodes: { kind: "config", keyframe: true } },
  { name: "enhanced AV1 CodedFrames (no cts)", audio: false, body: bytes(0x91, "av01", AV1_TU), kind: "frame", codec: "av1", keyframe: true, cts: 0, payload: AV1_TU, encodes: { kind: "frame", keyframe: true, cts: 0 } },
  { name: "enhanced AV1 SequenceEnd", audio: false, body: bytes(0x92, "av01"), kind: "eos", codec: "av1", encodes: { kind: "eos" } },
  { name: "enhanced VP9 SequenceStart", audio: false, body: bytes(0x90, "vp09", VPCC), kind: "config", codec: "vp9", payload: VPCC, encodes: { kind: "config", keyframe: true } },
  { name: "enhanced VP9 inter frame", audio: false, body: bytes(0xa1, "vp09", VP9_FRAME), kind: "frame", codec: "vp9", keyframe: false, payload: VP9_FRAME, encodes: { kind: "frame", keyframe: false, cts: 0 } },
  { name: "enhanced Metadata (frame type ignored)", audio: false, body: bytes(0xd4, "hvc1", 2, 0, 9, "colorInfo"), kind: "metadata", codec: "h265", payload: bytes(2, 0, 9, "colorInfo") },
  { name: "enhanced command frame", audio: false, body: bytes(0xd1, "hvc1", 0), kind: "ignored", codec: null },
  { name: "enhanced unknown FourCC", audio: false, body: bytes(0x90, "xyz1", 1, 2, 3), kind: "ignored", codec: null },
  { name: "enhanced MPEG2TSSequenceStart", audio: false, body: bytes(0x95, "av01", 1, 2), kind: "ignored", codec: "av1" },
  { name: "multitrack OneTrack AV1 frame", audio: false, body: bytes(0x96, 0x01, "av01", 0, AV1_TU), kind: "frame", codec: "av1", keyframe: true, trackId: 0, payload: AV1_TU },
  { name: "multitrack ManyTracks HEVC config, first track", audio: false, body: bytes(0x96, 0x10, "hvc1", 1, u24(HVCC.length), HVCC, 2, u24(3), 1, 2, 3), kind: "config", codec: "h265", trackId: 1, payload: HVCC },
  { name: "multitrack ManyTracksManyCodecs AVC frame", audio: false, body: bytes(0x96, 0x21, "avc1", 0, u24(3 + NALUS.length), u24(5), NALUS, "av01", 1, u24(0)), kind: "frame", codec: "h264", cts: 5, payload: NALUS },
  { name: "legacy VP6", audio: false, body: bytes(0x14, 1, 2, 3), kind: "ignored", codec: null },
  { name: "legacy command frame", audio: false, body: bytes(0x57, 0), kind: "ignored", codec: null },
  { name: "legacy AVC empty NALU packet", audio: false, body: bytes(0x27, 1, u24(0)), kind: "ignored", codec: "h264" },
];

export const AUDIO_CASES: TagCase[] = [
  { name: "legacy AAC sequence header", audio: true, body: bytes(0xaf, 0, ASC), kind: "config", codec: "aac", payload: ASC, encodes: { kind: "config" } },
  { name: "legacy AAC raw", audio: true, body: bytes(0xaf, 1, 0x21, 0x10, 0x04), kind: "frame", codec: "aac", keyframe: true, payload: bytes(0x21, 0x10, 0x04), encodes: { kind: "frame" } },
  { name: "legacy MP3 44.1 kHz stereo", audio: true, body: bytes(0x2f, MP3_44K), kind: "frame", codec: "mp3", sampleRate: 44100, channels: 2, payload: MP3_44K, encodes: { kind: "frame", sampleRate: 44100, channels: 2 } },
  { name: "legacy MP3 flagged 22 kHz, 48 kHz in its header", audio: true, body: bytes(0x2a, MP3_48K), kind: "frame", codec: "mp3", sampleRate: 48000, channels: 2, payload: MP3_48K },
  { name: "legacy MP3 8 kHz sound format", audio: true, body: bytes(0xe2, 1, 2, 3), kind: "frame", codec: "mp3", sampleRate: 8000, channels: 1 },
  { name: "enhanced Opus SequenceStart", audio: true, body: bytes(0x90, "Opus", OPUS_HEAD), kind: "config", codec: "opus", enhanced: true, payload: OPUS_HEAD, encodes: { kind: "config" } },
  { name: "enhanced Opus CodedFrames", audio: true, body: bytes(0x91, "Opus", 0xfc, 0xff, 0xfe), kind: "frame", codec: "opus", payload: bytes(0xfc, 0xff, 0xfe), encodes: { kind: "frame" } },
  { name: "enhanced Opus SequenceEnd", audio: true, body: bytes(0x92, "Opus"), kind: "eos", codec: "opus", encodes: { kind: "eos" } },
  { name: "enhanced Opus comment header", audio: true, body: bytes(0x90, "Opus", "OpusTags", 0, 0, 0, 0), kind: "ignored", codec: "opus" },
  { name: "enhanced AAC (mp4a) SequenceStart", audio: true, body: bytes(0x90, "mp4a", ASC), kind: "config", codec: "aac", payload: ASC },
  { name: "enhanced .mp3 CodedFrames", audio: true, body: bytes(0x91, ".mp3", MP3_48K), kind: "frame", codec: "mp3", sampleRate: 48000, payload: MP3_48K },
  { name: "enhanced FLAC", audio: true, body: bytes(0x90, "fLaC", 0), kind: "ignored", codec: null },
  { name: "multitrack OneTrack Opus frame", audio: true, body: bytes(0x95, 0x01, "Opus", 3, 0xfc, 0xff), kind: "frame", codec: "opus", trackId: 3, payload: bytes(0xfc, 0xff) },
  { name: "legacy Speex", audio: true, body: bytes(0xb6, 1, 2), kind: "ignored", codec: null },
];

/** Malformed bodies: each must throw ProtocolError with this code. */
export const BAD_CASES: { name: string; audio: boolean; body: Uint8Array; code: string }[] = [
  { name: "empty video", audio: false, body: bytes(), code: "truncated" },
  { name: "legacy AVC cut short", audio: false, body: bytes(0x17, 1), code: "truncated" },
  { name: "enhanced video cut in its FourCC", audio: false, body: bytes(0x90, "hv"), code: "truncated" },
  { name: "HEVC CodedFrames cut in its cts", audio: false, body: bytes(0x91, "hvc1", 0), code: "truncated" },
  { name: "multitrack track size past the end", audio: false, body: bytes(0x96, 0x10, "hvc1", 1, u24(100), 1, 2), code: "truncated" },
  { name: "multitrack type 3", audio: false, body: bytes(0x96, 0x30, "hvc1", 0), code: "unsupported" },
  { name: "nested multitrack", audio: false, body: bytes(0x96, 0x06, "hvc1", 0), code: "invalid" },
  { name: "empty audio", audio: true, body: bytes(), code: "truncated" },
  { name: "AAC without packet type", audio: true, body: bytes(0xaf), code: "truncated" },
  { name: "enhanced audio cut in its FourCC", audio: true, body: bytes(0x91, "Op"), code: "truncated" },
];
