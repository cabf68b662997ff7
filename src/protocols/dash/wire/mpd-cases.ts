/**
 * CMAF windows for the MPD tests and golden files, built by `fakeTimeline`: real-looking timing
 * (video cut every GOP at 90 kHz, AAC cut at the first 1024-sample frame at or after the video cut,
 * parts of `partTargetSec`) and fake bytes.
 */
import type { CmafPart, CmafSegment, CmafTimeline, CmafTrackInfo } from "../../cmaf/model.ts";
import type { MpdOptions } from "./mpd.ts";

/** 2025-01-01T00:00:00Z. */
export const AST_MS = 1_735_689_600_000;

export const H264_TRACK: CmafTrackInfo = {
  trackId: 1, kind: "video", codecString: "avc1.64001f", timescale: 90_000,
  width: 1280, height: 720, frameRate: 30, bandwidth: 2_500_000,
};
export const NTSC_TRACK: CmafTrackInfo = { ...H264_TRACK, codecString: "avc1.4d401f", frameRate: 29.97, width: 854, height: 480, bandwidth: 1_200_000 };
export const AAC_TRACK: CmafTrackInfo = {
  trackId: 2, kind: "audio", codecString: "mp4a.40.2", timescale: 48_000, sampleRate: 48_000, channels: 2, bandwidth: 128_000,
};
export const OPUS_TRACK: CmafTrackInfo = {
  trackId: 1, kind: "audio", codecString: "opus", timescale: 48_000, sampleRate: 48_000, channels: 2, bandwidth: 96_000,
};

export interface TimelineSpec {
  tracks: CmafTrackInfo[];
  /** msn of the first segment in the window. */
  firstMsn: number;
  /** Media time of the first segment's start (s). */
  startSec: number;
  /** Durations of the complete segments in the window (s). */
  segmentSec: number[];
  /** When set, one more segment follows, still being produced, with this much media in it (s). */
  openSec?: number;
  partTargetSec?: number;
  /** Default: the longest segment rounded up. */
  targetDurationSec?: number;
}

/** Ticks of media time `sec` in a track: audio boundaries snap up to whole AAC/Opus frames of 1024 / 960 samples. */
function ticksAt(track: CmafTrackInfo, sec: number): number {
  const exact = sec * track.timescale;
  if (track.kind === "video") return Math.round(exact);
  const frame = track.codecString === "opus" ? 960 : 1024;
  return Math.ceil(Math.round(exact * 1000) / 1000 / frame) * frame;
}

export function fakeTimeline(spec: TimelineSpec): CmafTimeline {
  const partTargetSec = spec.partTargetSec ?? 0.2;
  const bounds = [spec.startSec];
  for (const d of spec.segmentSec) bounds.push(Math.round((bounds[bounds.length - 1]! + d) * 1e6) / 1e6);
  if (spec.openSec !== undefined) bounds.push(Math.round((bounds[bounds.length - 1]! + spec.openSec) * 1e6) / 1e6);
  const segments: CmafSegment[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const complete = spec.openSec === undefined || s + 2 < bounds.length;
    const msn = spec.firstMsn + s;
    const from = bounds[s]!;
    const to = bounds[s + 1]!;
    const parts: CmafPart[] = [];
    for (let p = 0, at = from; at < to - 1e-9; p++, at += partTargetSec) {
      const durationSec = Math.min(partTargetSec, to - at);
      const bytes = new Uint8Array(spec.tracks.length * 8).fill(msn & 0xff);
      parts.push({
        msn, index: p, durationSec, independent: p === 0, complete: true, bytes,
        trackOffset: spec.tracks.map((_, i) => i * 8), trackLength: spec.tracks.map(() => 8),
      });
    }
    segments.push({
      msn,
      programDateTimeMs: AST_MS + from * 1000,
      startTime: spec.tracks.map((t) => ticksAt(t, from)),
      durationSec: to - from,
      duration: spec.tracks.map((t) => ticksAt(t, to) - ticksAt(t, from)),
      parts,
      complete,
    });
  }
  const last = segments[segments.length - 1];
  return {
    tracks: spec.tracks,
    partTargetSec,
    targetDurationSec: spec.targetDurationSec ?? Math.ceil(Math.max(...spec.segmentSec, spec.openSec ?? 0)),
    segments,
    nextMsn: last ? (last.complete ? last.msn + 1 : last.msn) : spec.firstMsn,
    nextPart: last && !last.complete ? last.parts.length : 0,
    availabilityStartMs: AST_MS,
    version: segments.reduce((n, s) => n + s.parts.length, 0),
  };
}

export interface MpdCase {
  /** Also the golden file's name: testdata/<name>.mpd. */
  name: string;
  timeline: CmafTimeline;
  opts: MpdOptions;
}

function opts(timeline: CmafTimeline, extra: Partial<MpdOptions> = {}): MpdOptions {
  const last = timeline.segments[timeline.segments.length - 1]!;
  // "Now" is 100 ms after the newest media.
  return { nowMs: Math.round(last.programDateTimeMs + last.durationSec * 1000 + 100), timeUrl: "/time", targetLatencyMs: 1500, ...extra };
}

function mpdCase(name: string, spec: TimelineSpec, extra: Partial<MpdOptions> = {}): MpdCase {
  const timeline = fakeTimeline(spec);
  return { name, timeline, opts: opts(timeline, extra) };
}

export const MPD_CASES: MpdCase[] = [
  mpdCase("video-audio", { tracks: [H264_TRACK, AAC_TRACK], firstMsn: 0, startSec: 0, segmentSec: [2, 2, 2, 2] }),
  mpdCase("audio-only", { tracks: [OPUS_TRACK], firstMsn: 0, startSec: 0, segmentSec: [1, 1, 1], partTargetSec: 0.5 }),
  // Keyframes every 60 or 45 frames at 29.97 fps: durations vary, so the runs do.
  mpdCase("video-only", { tracks: [NTSC_TRACK], firstMsn: 0, startSec: 0, segmentSec: [2.002, 2.002, 1.5015, 2.002, 2.002] }),
  mpdCase("incomplete-last", { tracks: [H264_TRACK, AAC_TRACK], firstMsn: 0, startSec: 0, segmentSec: [2, 2, 2], openSec: 0.4 }),
  mpdCase("window-slid", { tracks: [H264_TRACK, AAC_TRACK], firstMsn: 41, startSec: 82, segmentSec: [2, 2, 2, 2], openSec: 0.6 },
    { timeUrl: "https://example.com/time?iso&ms", targetLatencyMs: 2000, minBufferSec: 0.5 }),
  mpdCase("duration-mode", { tracks: [H264_TRACK, AAC_TRACK], firstMsn: 41, startSec: 82, segmentSec: [2, 2, 2, 2], openSec: 0.6 },
    { mode: "duration" }),
];
