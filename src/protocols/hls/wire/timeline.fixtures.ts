/**
 * Builds CmafTimeline records the way the segmenter would, with fake part bytes, for the playlist
 * tests, the golden files and the fuzz target. Durations are counted in integer milliseconds so
 * segment sums are exact (10 × 0.2 s is 2 s, not 1.9999999999999998).
 */
import type { CmafPart, CmafSegment, CmafTimeline, CmafTrackInfo } from "../../cmaf/model.ts";

export const FIXTURE_VIDEO: CmafTrackInfo = {
  trackId: 1,
  kind: "video",
  codecString: "avc1.64001f",
  timescale: 90_000,
  width: 1280,
  height: 720,
  frameRate: 30_000 / 1001,
  bandwidth: 2_500_000,
};

export const FIXTURE_AUDIO: CmafTrackInfo = {
  trackId: 2,
  kind: "audio",
  codecString: "mp4a.40.2",
  timescale: 48_000,
  sampleRate: 48_000,
  channels: 2,
  bandwidth: 128_000,
};

/** 2025-01-01T12:00:00.000Z */
export const FIXTURE_START_MS = Date.UTC(2025, 0, 1, 12, 0, 0, 0);

export interface TimelineSpec {
  tracks?: CmafTrackInfo[];
  firstMsn?: number;
  /** Per segment: how many parts of `partMs`, or each part's duration in ms. */
  segments: (number | number[])[];
  partMs?: number;
  /** PART-TARGET in ms (default `partMs`). */
  partTargetMs?: number;
  /** The last segment is still being cut: not complete, its parts complete. */
  lastIncomplete?: boolean;
  /** With `lastIncomplete`: the segment also holds a part being filled (not complete, no bytes). */
  partInProgress?: boolean;
  /** Every part independent (audio-only streams), not only each segment's first. */
  allIndependent?: boolean;
  startMs?: number;
  version?: number;
}

function fakeBytes(msn: number, index: number, tracks: number): Pick<CmafPart, "bytes" | "trackOffset" | "trackLength"> {
  const trackOffset: number[] = [];
  const trackLength: number[] = [];
  let size = 0;
  for (let t = 0; t < tracks; t++) {
    const len = 8 + ((msn * 7 + index * 3 + t) % 5);
    trackOffset.push(size);
    trackLength.push(len);
    size += len;
  }
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (msn + index + i) & 0xff;
  return { bytes, trackOffset, trackLength };
}

export function buildTimeline(spec: TimelineSpec): CmafTimeline {
  const tracks = spec.tracks ?? [FIXTURE_VIDEO, FIXTURE_AUDIO];
  const partMs = spec.partMs ?? 200;
  const firstMsn = spec.firstMsn ?? 0;
  const startMs = spec.startMs ?? FIXTURE_START_MS;
  const allIndependent = spec.allIndependent ?? !tracks.some((t) => t.kind === "video");
  const segments: CmafSegment[] = [];
  let atMs = 0;
  let longestMs = 0;
  let partCount = 0;
  spec.segments.forEach((shape, i) => {
    const msn = firstMsn + i;
    const last = i === spec.segments.length - 1;
    const complete = !(last && spec.lastIncomplete);
    const durations = typeof shape === "number" ? Array.from({ length: shape }, () => partMs) : shape;
    const parts: CmafPart[] = durations.map((ms, index) => ({
      msn,
      index,
      durationSec: ms / 1000,
      independent: allIndependent || index === 0,
      complete: true,
      ...fakeBytes(msn, index, tracks.length),
    }));
    if (!complete && spec.partInProgress) {
      const index = parts.length;
      parts.push({ msn, index, durationSec: 0, independent: allIndependent || index === 0, complete: false, bytes: new Uint8Array(0), trackOffset: tracks.map(() => 0), trackLength: tracks.map(() => 0) });
    }
    const segMs = durations.reduce((a, b) => a + b, 0);
    segments.push({
      msn,
      programDateTimeMs: startMs + atMs,
      startTime: tracks.map((t) => Math.round((atMs * t.timescale) / 1000)),
      durationSec: segMs / 1000,
      duration: tracks.map((t) => Math.round((segMs * t.timescale) / 1000)),
      parts,
      complete,
    });
    atMs += segMs;
    longestMs = Math.max(longestMs, segMs);
    partCount += durations.length;
  });
  const last = segments[segments.length - 1];
  const open = last !== undefined && !last.complete;
  return {
    tracks,
    partTargetSec: (spec.partTargetMs ?? partMs) / 1000,
    targetDurationSec: Math.max(1, Math.ceil(longestMs / 1000)),
    segments,
    nextMsn: open ? last.msn : firstMsn + segments.length,
    nextPart: open ? last.parts.filter((p) => p.complete).length : 0,
    availabilityStartMs: startMs,
    version: spec.version ?? partCount,
  };
}

/** A live window: `complete` full 2 s segments of ten 200 ms parts, then `openParts` parts of the next. */
export function liveTimeline(opts: { firstMsn?: number; complete?: number; openParts?: number; tracks?: CmafTrackInfo[]; partInProgress?: boolean } = {}): CmafTimeline {
  const complete = opts.complete ?? 8;
  const openParts = opts.openParts ?? 3;
  return buildTimeline({
    tracks: opts.tracks,
    firstMsn: opts.firstMsn ?? 100,
    segments: [...Array.from({ length: complete }, () => 10), ...(openParts > 0 || opts.partInProgress ? [openParts] : [])],
    lastIncomplete: openParts > 0 || opts.partInProgress,
    partInProgress: opts.partInProgress,
  });
}
