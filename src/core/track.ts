import { equalBytes } from "./bytes.ts";

/**
 * A track of a stream: its codec, its clock and its decoder configuration. The configuration is the
 * codec's own record, exactly as MP4 and FLV carry it (avcC, hvcC, av1C, vpcC, AudioSpecificConfig,
 * OpusHead), so every muxer writes it unchanged. A change of configuration bumps `configVersion`;
 * writers re-send headers when they see a new version.
 */
export type VideoCodec = "h264" | "h265" | "av1" | "vp9" | "vp8";
export type AudioCodec = "aac" | "opus" | "mp3";
export type Codec = VideoCodec | AudioCodec;
export type TrackKind = "video" | "audio";

export const VIDEO_CLOCK = 90_000;

export function kindOf(codec: Codec): TrackKind {
  return codec === "aac" || codec === "opus" || codec === "mp3" ? "audio" : "video";
}

/** What the codec helpers read out of a decoder configuration (all optional: not every record says). */
export interface TrackInfo {
  /** RFC 6381 codec string, e.g. "avc1.64001f", "mp4a.40.2", "opus". */
  codecString?: string;
  width?: number;
  height?: number;
  frameRate?: number;
  profile?: number;
  level?: number;
  sampleRate?: number;
  channels?: number;
}

export class Track {
  /** Index of the track in its stream (also the `track` field of its frames). */
  readonly id: number;
  readonly kind: TrackKind;
  readonly codec: Codec;
  /** Ticks per second of dts/pts: 90 kHz for video, the sample rate for audio. */
  readonly clockRate: number;
  config: Uint8Array | null;
  configVersion: number;
  info: TrackInfo;
  /** Bytes of payload seen, for the measured bitrate (read by a timer, never per frame by the API). */
  bytes: number;
  frames: number;
  /** Measured once a second by the server's sampler (bits/s, frames/s). */
  bitrate: number;
  measuredFps: number;
  sampledBytes: number;
  sampledFrames: number;

  constructor(id: number, codec: Codec, clockRate: number, config: Uint8Array | null = null, info: TrackInfo = {}) {
    this.id = id;
    this.kind = kindOf(codec);
    this.codec = codec;
    this.clockRate = clockRate;
    this.config = config;
    this.configVersion = config ? 1 : 0;
    this.info = info;
    this.bytes = 0;
    this.frames = 0;
    this.bitrate = 0;
    this.measuredFps = 0;
    this.sampledBytes = 0;
    this.sampledFrames = 0;
  }

  /** Replace the decoder configuration; returns true when it actually changed. */
  setConfig(config: Uint8Array, info: TrackInfo): boolean {
    if (this.config && equalBytes(this.config, config)) return false;
    this.config = config.slice(); // configs are rare and outlive the input buffer: own a copy
    this.info = info;
    this.configVersion++;
    return true;
  }
}
