/**
 * The decoded form of one FLV tag body (= one RTMP audio/video message payload), shared by the audio
 * and video decoders. One reusable object, filled in place, so the per-message path allocates
 * nothing; the payload stays in the caller's buffer as an offset and a length.
 */
import { ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";

/**
 * - "config": a sequence start; the payload is the codec's decoder configuration record
 *   (avcC, hvcC, av1C, vpcC, AudioSpecificConfig, OpusHead).
 * - "frame": coded data; the payload is the frame as the Frame conventions want it.
 * - "eos": end of sequence.
 * - "metadata": Enhanced RTMP video metadata (AMF, e.g. colorInfo); the payload is the AMF.
 * - "ignored": nothing spate uses (legacy codecs, commands, unknown packet types); `reason` says why.
 */
export type FlvTagKind = "config" | "frame" | "eos" | "metadata" | "ignored";

export class FlvTag {
  kind: FlvTagKind;
  /** null when the tag names no codec spate knows (then kind is "ignored"). */
  codec: Codec | null;
  /** Enhanced RTMP (ExHeader / FourCC) signalling was used. */
  enhanced: boolean;
  /** Video: frame type 1 (or 4, generated key frame). Audio: always true. */
  keyframe: boolean;
  /** Composition time offset in ms (pts - dts), signed; 0 where the format has none. */
  cts: number;
  payloadOffset: number;
  payloadLength: number;
  /** Audio: rate from the legacy header or the MP3 frame header; 0 when the tag does not say. */
  sampleRate: number;
  /** Audio: channels from the legacy header or the MP3 frame header; 0 when the tag does not say. */
  channels: number;
  /** Enhanced RTMP v2 multitrack: the track id of the decoded (first) track; 0 otherwise. */
  trackId: number;
  /** Why a tag is "ignored" ("" otherwise). */
  reason: string;

  constructor() {
    this.kind = "ignored";
    this.codec = null;
    this.enhanced = false;
    this.keyframe = false;
    this.cts = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.sampleRate = 0;
    this.channels = 0;
    this.trackId = 0;
    this.reason = "";
  }

  reset(): this {
    this.kind = "ignored";
    this.codec = null;
    this.enhanced = false;
    this.keyframe = false;
    this.cts = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.sampleRate = 0;
    this.channels = 0;
    this.trackId = 0;
    this.reason = "";
    return this;
  }

  ignore(reason: string): this {
    this.kind = "ignored";
    this.reason = reason;
    return this;
  }
}

/** The payload of a decoded tag as a view (no copy). */
export function tagPayload(body: Uint8Array, tag: FlvTag): Uint8Array {
  return body.subarray(tag.payloadOffset, tag.payloadOffset + tag.payloadLength);
}

export function fourcc(s: string): number {
  return ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;
}

export function fourccString(v: number): string {
  return String.fromCharCode(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function readU24(b: Uint8Array, off: number): number {
  return (b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!;
}

/** SI24, big-endian two's complement (FLV spec, CompositionTime). */
export function readSI24(b: Uint8Array, off: number): number {
  return (readU24(b, off) << 8) >> 8;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

export function writeSI24(b: Uint8Array, off: number, v: number): void {
  if (v < -0x800000 || v > 0x7fffff || !Number.isInteger(v)) {
    throw new ProtocolError("flv", "invalid", `composition time ${v} ms does not fit SI24`);
  }
  b[off] = (v >>> 16) & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = v & 0xff;
}

/** Enhanced RTMP AvMultitrackType. */
export const MULTITRACK_ONE_TRACK = 0;
export const MULTITRACK_MANY_TRACKS = 1;
export const MULTITRACK_MANY_CODECS = 2;

export interface MultitrackView {
  packetType: number;
  fourcc: number;
  start: number;
  end: number;
}

/**
 * Reads an Enhanced RTMP v2 multitrack prefix, from the byte holding AvMultitrackType and the packet
 * type, and narrows the tag to the first track of the message: its track id goes to `tag.trackId`,
 * its body to [out.start, out.end). Later tracks of a ManyTracks message are not decoded (spate keeps
 * one track per kind; the first is the default one by the spec's recommendation).
 */
export function readMultitrack(body: Uint8Array, pos: number, tag: FlvTag, out: MultitrackView): void {
  if (pos >= body.length) throw new ProtocolError("flv", "truncated", "multitrack tag without its type byte");
  const type = body[pos]! >>> 4;
  if (type > MULTITRACK_MANY_CODECS) throw new ProtocolError("flv", "unsupported", `AvMultitrackType ${type}`);
  out.packetType = body[pos]! & 0x0f;
  pos++;
  // The FourCC follows here for every type: once for all tracks, or (ManyTracksManyCodecs) as the
  // first field of the first track.
  if (pos + 5 > body.length) throw new ProtocolError("flv", "truncated", "multitrack tag ends inside its FourCC or track id");
  out.fourcc = readU32(body, pos);
  tag.trackId = body[pos + 4]!;
  pos += 5;
  let end = body.length;
  if (type !== MULTITRACK_ONE_TRACK) {
    if (pos + 3 > body.length) throw new ProtocolError("flv", "truncated", "multitrack tag ends inside its track size");
    const size = readU24(body, pos);
    pos += 3;
    if (size > body.length - pos) throw new ProtocolError("flv", "truncated", `multitrack track of ${size} bytes > ${body.length - pos} left`);
    end = pos + size;
  }
  out.start = pos;
  out.end = end;
}
