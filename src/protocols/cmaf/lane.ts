/**
 * One track as the segmenter cuts it: its fragment under construction, its queue (a non-lead track
 * waits for the lead's part boundary), and the timestamps that keep its fragments continuous.
 *
 * Times here are "written" ticks: the track's dts minus the common origin, as they go into tfdt and
 * trun. A fragment's first sample is written at the previous fragment's end when the real dts is
 * within one frame of it (a part closed early used a predicted last duration; the error, usually a
 * millisecond of RTMP rounding, is absorbed here), so tfdt(n+1) = tfdt(n) + the durations of n.
 * A real gap longer than a frame is kept as a gap. A sample moved later keeps its composition offset
 * (pts moves with it); a sample moved earlier keeps its pts.
 */
import type { Track } from "../../core/track.ts";
import { FragmentMuxer } from "../../formats/fmp4/fragment.ts";
import type { CmafTrackInfo } from "./model.ts";
import { SampleQueue } from "./sample-queue.ts";

/** Bits/s assumed until the track's rate is measured. */
const FALLBACK_VIDEO_BPS = 2_500_000;
const FALLBACK_AUDIO_BPS = 128_000;
const DEFAULT_FPS = 30;

export class Lane {
  readonly track: Track;
  readonly info: CmafTrackInfo;
  /** Its position in the timeline's tracks (and in each part's trackOffset). */
  readonly index: number;
  readonly timescale: number;
  readonly muxer: FragmentMuxer;
  readonly queue: SampleQueue;
  /** Subtracted from every dts and pts (the common origin in this track's ticks). */
  origin: number;
  /** Written end of the last fragment (-1: none yet). */
  end: number;
  /** Written dts of the last sample pushed. */
  last: number;
  /** Real (rebased) dts of the last frame seen, and the interval before it: the predicted duration. */
  lastReal: number;
  interval: number;
  private lastGap: number;
  /** The current fragment's last sample duration, set when the part closes. */
  lastDuration: number;
  /** Has a sample in the current segment (its startTime is set). */
  inSegment: boolean;
  /** Bytes of this track in the current segment (measured bandwidth). */
  segmentBytes: number;

  constructor(track: Track, index: number) {
    this.track = track;
    this.index = index;
    this.timescale = track.clockRate;
    const video = track.kind === "video";
    this.info = {
      trackId: index + 1,
      kind: track.kind,
      codecString: track.info.codecString ?? defaultCodecString(track),
      timescale: track.clockRate,
      width: video ? track.info.width : undefined,
      height: video ? track.info.height : undefined,
      frameRate: video ? track.info.frameRate || (track.measuredFps > 0 ? Math.round(track.measuredFps * 1000) / 1000 : undefined) : undefined,
      sampleRate: video ? undefined : (track.info.sampleRate ?? track.clockRate),
      channels: video ? undefined : track.info.channels,
      bandwidth: track.bitrate > 0 ? track.bitrate : video ? FALLBACK_VIDEO_BPS : FALLBACK_AUDIO_BPS,
    };
    this.muxer = new FragmentMuxer(index + 1);
    this.queue = new SampleQueue();
    this.origin = 0;
    this.end = -1;
    this.last = -1;
    this.lastReal = -1;
    this.interval = nominalInterval(track);
    this.lastGap = 0;
    this.lastDuration = 0;
    this.inSegment = false;
    this.segmentBytes = 0;
  }

  /**
   * Notes a frame's real dts and updates the predicted duration: the last interval, unless it is a
   * one-off gap (over 3× the prediction; a second such interval in a row is a new frame rate).
   */
  observe(dts: number): void {
    if (this.lastReal >= 0 && dts > this.lastReal) {
      const gap = dts - this.lastReal;
      if (gap <= 3 * this.interval || gap <= 3 * this.lastGap) this.interval = gap;
      this.lastGap = gap;
    }
    this.lastReal = dts;
  }

  /** The dts to write for a sample whose real (rebased) dts is `dts` (see the header). */
  written(dts: number): number {
    if (this.muxer.count > 0) return Math.max(dts, this.last + 1);
    if (this.end >= 0 && (dts < this.end || dts - this.end <= this.interval)) return this.end;
    return dts;
  }

  /** Pushes a sample at written dts `w` (real dts `dts`, pts `pts`). */
  push(w: number, dts: number, pts: number, sync: boolean, payload: Uint8Array): void {
    this.muxer.push(w, w > dts ? pts + (w - dts) : pts, sync, payload);
    this.last = w;
  }
}

/** A frame's duration before any is measured: from the frame rate, or the codec's frame size. */
function nominalInterval(track: Track): number {
  if (track.kind === "video") {
    const fps = track.info.frameRate || track.measuredFps || DEFAULT_FPS;
    return Math.max(1, Math.round(track.clockRate / fps));
  }
  switch (track.codec) {
    case "aac":
      return 1024;
    case "mp3":
      return 1152;
    default:
      return Math.round(track.clockRate / 50); // Opus: 20 ms
  }
}

function defaultCodecString(track: Track): string {
  switch (track.codec) {
    case "h264":
      return "avc1.42e01f";
    case "h265":
      return "hvc1.1.6.L93.B0";
    case "av1":
      return "av01.0.08M.08";
    case "vp9":
      return "vp09.00.10.08";
    case "vp8":
      return "vp8";
    case "aac":
      return "mp4a.40.2";
    case "mp3":
      return "mp4a.40.34";
    default:
      return "opus";
  }
}
