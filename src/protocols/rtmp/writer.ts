import { concatBytes } from "../../core/bytes.ts";
import { RingWriter, type RingReader } from "../../core/ring-writer.ts";
import type { Frame } from "../../core/frame.ts";
import type { Stream } from "../../core/stream.ts";
import type { Codec, Track } from "../../core/track.ts";
import { writeAudioTagHeader, writeVideoTagHeader } from "../../formats/flv/tag.ts";
import { encodeData } from "./wire/amf0.ts";
import { chunkedSize, encodeMessageTo } from "./wire/chunk-encoder.ts";
import { AUDIO, DATA_AMF0, VIDEO } from "./wire/message-types.ts";

/** Chunk streams of media messages (conventional values; any 3..65599 would do). */
export const CSID_AUDIO = 4;
export const CSID_VIDEO = 6;
export const CSID_DATA = 5;
/** The message stream id createStream hands out: every viewer gets 1, so the bytes are shared. */
export const MEDIA_STREAM_ID = 1;

/**
 * The RTMP writer of one stream: every frame becomes RTMP chunks once, into a ring every viewer reads
 * with its own cursor. Created by the first RTMP viewer, closed with the last. Video keyframes are the
 * ring's join points; sequence headers go into the ring when a configuration changes, and to each
 * joining (or skipping) viewer from `headers()`.
 */
export class RtmpWriter extends RingWriter<RingReader> {
  readonly format: string;
  /** Frames encoded (for the bench: once per stream, not per viewer). */
  framesEncoded: number;
  /** RTMP timestamp of the newest join point: headers sent on join carry it. */
  keyMs: number;
  private readonly header: Uint8Array;
  private configVersions: number[];

  constructor(
    stream: Stream,
    readonly chunkSize: number,
    /** Codecs this writer leaves out (its players announced no Enhanced RTMP support for them). */
    private readonly withheld: ReadonlySet<Codec> = new Set(),
  ) {
    super(stream, 4); // chunk headers add under 1 %
    this.format = withheld.size ? `rtmp/${chunkSize}/without:${[...withheld].sort().join(",")}` : `rtmp/${chunkSize}`;
    this.framesEncoded = 0;
    this.keyMs = 0;
    this.header = new Uint8Array(16);
    this.configVersions = stream.tracks.map((t) => t.configVersion);
    this.catchUp();
  }

  onFrame(f: Frame): void {
    const track = this.stream.tracks[f.track];
    if (!track?.config && track?.codec !== "mp3") return; // no decoder configuration yet: undecodable
    if (this.withheld.has(track.codec)) return;
    const ms = msOf(f.dts, track.clockRate);
    if (track.configVersion !== this.configVersions[f.track]) this.appendHeaders(ms, f.ingestMs);
    let hl: number;
    if (track.kind === "video") {
      // From the tick difference, not from two wrapped millisecond values; FLV's CTS is SI24.
      const cts = Math.max(-0x800000, Math.min(0x7fffff, Math.round(((f.pts - f.dts) * 1000) / track.clockRate)));
      hl = writeVideoTagHeader(this.header, 0, track.codec, "frame", f.keyframe, cts);
    } else {
      hl = writeAudioTagHeader(this.header, 0, track.codec, "frame", track.info.sampleRate, track.info.channels);
    }
    const head = this.header.subarray(0, hl);
    const csid = track.kind === "video" ? CSID_VIDEO : CSID_AUDIO;
    const size = chunkedSize(hl + f.payload.length, this.chunkSize, ms, csid);
    const out = this.ring.reserve(size);
    encodeMessageTo(out, 0, csid, ms, track.kind === "video" ? VIDEO : AUDIO, MEDIA_STREAM_ID, this.chunkSize, head, f.payload);
    const join = this.isJoin(f);
    this.ring.commit(0, size, join, f.ingestMs);
    if (join) this.keyMs = ms;
    this.framesEncoded++;
  }

  /**
   * Metadata and sequence headers of the current tracks, at timestamp `ms`: what a viewer needs
   * before its first frame. Built per join, not per frame.
   */
  headers(ms: number): Uint8Array {
    const parts: Uint8Array[] = [this.metadataMessage(ms)];
    for (const t of this.stream.tracks) if (t && !this.withheld.has(t.codec)) parts.push(this.configMessage(t, ms));
    return concatBytes(parts);
  }

  /** A configuration changed mid-stream: live viewers get the new headers in order. */
  private appendHeaders(ms: number, timeMs: number): void {
    this.configVersions = this.stream.tracks.map((t) => t.configVersion);
    this.ring.append(this.headers(ms), false, timeMs);
  }

  private configMessage(t: Track, ms: number): Uint8Array {
    if (!t.config) return new Uint8Array(0);
    const head = new Uint8Array(16);
    const hl =
      t.kind === "video"
        ? writeVideoTagHeader(head, 0, t.codec, "config", true, 0)
        : writeAudioTagHeader(head, 0, t.codec, "config", t.info.sampleRate, t.info.channels);
    const csid = t.kind === "video" ? CSID_VIDEO : CSID_AUDIO;
    const out = new Uint8Array(chunkedSize(hl + t.config.length, this.chunkSize, ms, csid));
    encodeMessageTo(out, 0, csid, ms, t.kind === "video" ? VIDEO : AUDIO, MEDIA_STREAM_ID, this.chunkSize, head.subarray(0, hl), t.config);
    return out;
  }

  private metadataMessage(ms: number): Uint8Array {
    const meta: Record<string, unknown> = { server: "spate" };
    for (const t of this.stream.tracks) {
      if (!t || this.withheld.has(t.codec)) continue;
      if (t.kind === "video") {
        Object.assign(meta, {
          width: t.info.width ?? 0,
          height: t.info.height ?? 0,
          framerate: t.info.frameRate ?? 0,
          videocodecid: VIDEO_CODEC_ID[t.codec] ?? 0,
        });
      } else {
        Object.assign(meta, {
          audiosamplerate: t.info.sampleRate ?? 0,
          audiochannels: t.info.channels ?? 0,
          stereo: (t.info.channels ?? 0) > 1,
          audiocodecid: AUDIO_CODEC_ID[t.codec] ?? 0,
        });
      }
    }
    const body = encodeData("onMetaData", meta);
    const out = new Uint8Array(chunkedSize(body.length, this.chunkSize, ms, CSID_DATA));
    encodeMessageTo(out, 0, CSID_DATA, ms, DATA_AMF0, MEDIA_STREAM_ID, this.chunkSize, null, body);
    return out;
  }
}

/** onMetaData codec ids: FLV ids for the legacy codecs, FourCC values (Enhanced RTMP) for the rest. */
const VIDEO_CODEC_ID: Record<string, number> = { h264: 7, h265: fourCC("hvc1"), av1: fourCC("av01"), vp9: fourCC("vp09") };
const AUDIO_CODEC_ID: Record<string, number> = { aac: 10, mp3: 2, opus: fourCC("Opus") };

function fourCC(s: string): number {
  return ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;
}

/** RTMP timestamps are milliseconds, 32 bits, wrapping. */
export function msOf(ticks: number, clockRate: number): number {
  return Math.round((ticks * 1000) / clockRate) >>> 0;
}

