/**
 * The synthetic stream as MPEG-TS (what an SRT publisher sends): its FLV tag bodies become
 * common-format frames of two tracks (H.264 at 90 kHz, AAC at 44.1 kHz) and go through the
 * server's own TsMuxer. The stamp survives: the muxer writes the AVCC NAL unit as Annex B after an
 * AUD (and SPS/PPS before keyframes) without touching its bytes, which are already emulation-
 * prevented.
 */
import { describeConfig } from "../codecs/describe.ts";
import { EMPTY, Frame } from "../core/frame.ts";
import { Track, VIDEO_CLOCK } from "../core/track.ts";
import { TsMuxer } from "../formats/mpegts/muxer.ts";
import { AUDIO_SAMPLE_RATE, type SyntheticStream } from "./synthetic.ts";

/** FLV video tag header (frame type/codec, AVCPacketType, composition time) and audio tag header. */
const VIDEO_TAG_HEADER = 5;
const AUDIO_TAG_HEADER = 2;
const VIDEO_TRACK = 0;
const AUDIO_TRACK = 1;

export class SyntheticTs {
  readonly tracks: Track[];
  private readonly muxer: TsMuxer;
  private readonly frame: Frame;
  private out: Uint8Array;

  constructor(stream: SyntheticStream) {
    const avcC = stream.videoConfig.subarray(VIDEO_TAG_HEADER);
    const asc = stream.audioConfig.subarray(AUDIO_TAG_HEADER);
    this.tracks = [new Track(VIDEO_TRACK, "h264", VIDEO_CLOCK), new Track(AUDIO_TRACK, "aac", AUDIO_SAMPLE_RATE)];
    this.tracks[VIDEO_TRACK]!.setConfig(avcC, describeConfig("h264", avcC));
    this.tracks[AUDIO_TRACK]!.setConfig(asc, describeConfig("aac", asc));
    this.muxer = new TsMuxer(this.tracks);
    this.frame = new Frame();
    this.out = new Uint8Array(64 * 1024);
  }

  /**
   * The TS packets of a video tag body of the synthetic stream, due `dueMs` after the start. The
   * view is reused by the next call.
   */
  video(dueMs: number, body: Uint8Array, keyframe: boolean): Uint8Array {
    const t = Math.round((dueMs * VIDEO_CLOCK) / 1000);
    return this.mux(VIDEO_TRACK, t, keyframe, body.subarray(VIDEO_TAG_HEADER));
  }

  /** The TS packets of an AAC tag body (raw frame), due `dueMs` after the start. */
  audio(dueMs: number, body: Uint8Array): Uint8Array {
    const t = Math.round((dueMs * AUDIO_SAMPLE_RATE) / 1000);
    return this.mux(AUDIO_TRACK, t, true, body.subarray(AUDIO_TAG_HEADER));
  }

  private mux(track: number, t: number, keyframe: boolean, payload: Uint8Array): Uint8Array {
    const f = this.frame;
    f.track = track;
    f.dts = t;
    f.pts = t;
    f.keyframe = keyframe;
    f.payload = payload;
    const size = this.muxer.encodedSize(f);
    if (size > this.out.length) this.out = new Uint8Array(Math.max(size, 2 * this.out.length));
    const n = size === 0 ? 0 : this.muxer.encodeTo(this.out, 0);
    f.payload = EMPTY; // keep no reference to the caller's body
    return this.out.subarray(0, n);
  }
}
