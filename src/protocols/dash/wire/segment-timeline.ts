/**
 * One track's SegmentTimeline (ISO/IEC 23009-1 §5.3.9.6) from the CMAF window: `<S t d r>` runs,
 * run-length coded, numbered from `startNumber` ($Number$ = the segment's msn).
 *
 * The segment still being produced is announced too, with its expected duration (the last complete
 * segment's, or the target duration before there is one; never less than what it already holds).
 * Low-latency DASH needs it listed: with availabilityTimeOffset the player asks for it as soon as its
 * first part exists (DASH-IF IOP v5 low-latency live; livesim2 lists a segment once
 * `now + ato >= its end`), and a player at 1.5 s behind live is always inside that segment. When the
 * segment ends, the next MPD carries its real duration and the next segment's own `@t`; dash.js
 * finds the next segment by the start time of the last one it fetched, not by adding durations, so
 * an estimate that was wrong by a frame or a whole GOP costs nothing.
 */
import type { CmafSegment, CmafTimeline } from "../../cmaf/model.ts";

/** One `<S>`: `r` more segments of the same duration follow the first. */
export interface SegmentRun {
  t: number;
  d: number;
  r: number;
  /** `@t` is written on the first run and after a gap; otherwise it follows from the previous run. */
  explicitT: boolean;
}

export interface TrackTimeline {
  /** $Number$ of the first segment listed. */
  startNumber: number;
  runs: SegmentRun[];
  /** Longest duration listed (ticks), for MPD@maxSegmentDuration. */
  maxTicks: number;
  /** Ticks covered by the complete segments listed, for MPD@timeShiftBufferDepth. */
  completeTicks: number;
}

/** The duration a new segment of this track is expected to have (ticks): the last complete one's, else the target duration. */
export function nominalSegmentTicks(timeline: CmafTimeline, track: number): number {
  for (let i = timeline.segments.length - 1; i >= 0; i--) {
    const seg = timeline.segments[i]!;
    if (seg.complete && seg.duration[track]! > 0) return seg.duration[track]!;
  }
  return Math.round(timeline.targetDurationSec * timeline.tracks[track]!.timescale);
}

/** Ticks to announce for a segment: final when complete, else the expected duration or what it already holds. */
export function announcedTicks(seg: CmafSegment, track: number, nominalTicks: number): number {
  const d = seg.duration[track]!;
  return seg.complete ? d : Math.max(d, nominalTicks);
}

export function trackTimeline(timeline: CmafTimeline, track: number, nominalTicks: number): TrackTimeline {
  const segments = timeline.segments;
  // $Number$ addressing cannot skip a number, so a complete segment in which this track had no
  // sample (d = 0) ends what can be listed before it: the timeline starts after the last such one.
  let first = 0;
  for (let i = 0; i < segments.length; i++) {
    if (announcedTicks(segments[i]!, track, nominalTicks) <= 0) first = i + 1;
  }
  const out: TrackTimeline = { startNumber: segments[first]?.msn ?? timeline.nextMsn, runs: [], maxTicks: 0, completeTicks: 0 };
  let last: SegmentRun | null = null;
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i]!;
    const t = seg.startTime[track]!;
    const d = announcedTicks(seg, track, nominalTicks);
    if (d > out.maxTicks) out.maxTicks = d;
    if (seg.complete) out.completeTicks += d;
    const contiguous: boolean = last !== null && last.t + last.d * (last.r + 1) === t;
    if (last !== null && contiguous && last.d === d) {
      last.r++;
    } else {
      last = { t, d, r: 0, explicitT: !contiguous };
      out.runs.push(last);
    }
  }
  return out;
}

/** The `<S>` elements, one per run. */
export function renderRuns(runs: SegmentRun[], indent: string): string {
  let out = "";
  for (const run of runs) {
    out += `${indent}<S${run.explicitT ? ` t="${run.t}"` : ""} d="${run.d}"${run.r > 0 ? ` r="${run.r}"` : ""}/>\n`;
  }
  return out;
}
