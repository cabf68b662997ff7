/**
 * What to do with a Blocking Playlist Reload (RFC 8216bis §6.2.5.2) or a part request (§6.2.6)
 * against the timeline as it is now. Pure: the caller re-asks on every timeline change while a
 * request waits, and gives up after `blockingTimeoutMs` (503).
 */
import type { CmafTimeline } from "../../cmaf/model.ts";

/** ready: answer now. wait: hold the request until the timeline changes, then ask again. too-far: 400. */
export type BlockingDecision = "ready" | "wait" | "too-far";
/** ready: serve the part. wait: it is the hinted part, serve it once complete. not-found: 404. */
export type PartRequestDecision = "ready" | "wait" | "not-found";

/** §6.2.5.2: three divided by the Part Target if that is under one second, else three (in parts). */
export function advancePartLimit(partTargetSec: number): number {
  // The epsilon keeps 3 / 0.2 from landing just under 15 in floating point.
  return partTargetSec < 1 ? 3 / partTargetSec + 1e-9 : 3;
}

/** §6.2.5.2: a server that cannot answer after three Target Durations SHOULD answer 503. */
export function blockingTimeoutMs(timeline: CmafTimeline): number {
  return 3 * timeline.targetDurationSec * 1000;
}

/**
 * The newest complete part, or before any: every part of the segment before the window (or before
 * the next one) counts as existing (index Infinity), so older requests are answered at once.
 */
function newestPart(timeline: CmafTimeline): { msn: number; index: number } {
  const segments = timeline.segments;
  for (let i = segments.length - 1; i >= 0; i--) {
    const parts = segments[i]!.parts;
    for (let j = parts.length - 1; j >= 0; j--) if (parts[j]!.complete) return { msn: parts[j]!.msn, index: parts[j]!.index };
  }
  return { msn: (segments.length ? segments[0]!.msn : timeline.nextMsn) - 1, index: Infinity };
}

/** The newest complete segment's MSN (or the one before the window when none is complete). */
function newestCompleteMsn(timeline: CmafTimeline): number {
  const segments = timeline.segments;
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i]!.complete) return segments[i]!.msn;
  return (segments.length ? segments[0]!.msn : timeline.nextMsn) - 1;
}

/**
 * §6.2.5.2 for a playlist request with `_HLS_msn=msn` (and `_HLS_part=part`).
 * - msn alone is satisfied by a complete segment `msn` or later (a segment still being cut is not
 *   yet a Media Segment with a URI).
 * - msn+part is satisfied by that part or any later one; a part index past the last part of its
 *   segment means part 0 of the next segment, which this ordering gives for free.
 * - An msn older than the window is answered at once with the current playlist, not 404.
 * - More than two segments past the last one in the playlist, or further than the Advance Part
 *   Limit past its last part, is too far (SHOULD be 400).
 */
export function blockingDecision(timeline: CmafTimeline, msn: number, part?: number): BlockingDecision {
  const newest = newestPart(timeline);
  if (part === undefined) {
    if (msn <= newestCompleteMsn(timeline)) return "ready";
  } else if (msn < newest.msn || (msn === newest.msn && part <= newest.index)) return "ready";
  // "the last Media Segment in the current Playlist" is the one the newest part belongs to.
  if (msn > newest.msn + 2) return "too-far";
  if (part !== undefined) {
    // Parts ahead of the newest one; for a later segment, at least its own parts up to `part`.
    const ahead = msn === newest.msn ? part - newest.index : part + 1;
    if (ahead > advancePartLimit(timeline.partTargetSec)) return "too-far";
  }
  return "wait";
}

/** §6.2.6 for `part-<msn>.<index>.m4s`: a complete part in the window, the hinted one, or 404. */
export function partRequestDecision(timeline: CmafTimeline, msn: number, index: number): PartRequestDecision {
  const segments = timeline.segments;
  if (segments.length) {
    const seg = segments[msn - segments[0]!.msn];
    const p = seg && seg.msn === msn ? seg.parts[index] : undefined;
    if (p && p.complete) return "ready";
  }
  // §6.2.6: a hinted resource MUST be available for request once hinted; anything else unknown is 404.
  if (msn === timeline.nextMsn && index === timeline.nextPart) return "wait";
  return "not-found";
}
