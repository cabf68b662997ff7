/**
 * The LL-HLS Media Playlist (RFC 8216bis §4.4.3–§4.4.5) of the muxed CMAF stream, full or as a
 * Playlist Delta Update (§6.2.5.1). Pure: a timeline in, text out, one pass, no per-line regex;
 * callers cache the result per (timeline.version, skip) — see PlaylistCache.
 */
import { CMAF_URLS, type CmafSegment, type CmafTimeline } from "../../cmaf/model.ts";

/** §8: EXT-X-MAP in a playlist without EXT-X-I-FRAMES-ONLY needs 6; nothing else here needs more. */
export const HLS_VERSION = 6;
/** §8: EXT-X-SKIP needs 9. §6.2.1: the version SHOULD NOT exceed what the tags need. */
export const HLS_VERSION_SKIP = 9;
/** §4.4.3.8: HOLD-BACK MUST be at least three Target Durations. */
export const HOLD_BACK_TARGETS = 3;
/** §4.4.3.8: PART-HOLD-BACK MUST be at least twice the Part Target; three times is recommended. */
export const PART_HOLD_BACK_PARTS = 3;
/** §4.4.3.8: the Skip Boundary (CAN-SKIP-UNTIL) MUST be at least six Target Durations. */
export const SKIP_BOUNDARY_TARGETS = 6;
/**
 * §6.2.2: EXT-X-PART tags SHOULD go once more than three Target Durations from the end. A segment
 * lasts at most one Target Duration, so parts are listed for the last three segments, the hinted
 * one counting (hls-parser checks exactly that).
 */
export const PART_SEGMENTS = 3;

/** Float noise allowance when comparing sums of durations with a boundary (s). */
const EPSILON_SEC = 1e-9;

export interface MediaPlaylistOptions {
  /** Render a Playlist Delta Update (the request carried _HLS_skip=YES or v2). */
  skip?: boolean;
}

/** What the playlist shows of a segment: all of it once complete, else its complete parts. */
function listedDurationSec(seg: CmafSegment): number {
  if (seg.complete) return seg.durationSec;
  let sec = 0;
  for (const p of seg.parts) if (p.complete) sec += p.durationSec;
  return sec;
}

/**
 * §6.2.5.1, §4.4.5.2: how many of the oldest segments a delta update replaces with EXT-X-SKIP —
 * whole, complete segments that end more than the Skip Boundary before the end of the playlist.
 */
export function skippedSegmentCount(timeline: CmafTimeline): number {
  const boundary = SKIP_BOUNDARY_TARGETS * timeline.targetDurationSec;
  let total = 0;
  for (const seg of timeline.segments) total += listedDurationSec(seg);
  let end = 0;
  let skipped = 0;
  for (const seg of timeline.segments) {
    end += listedDurationSec(seg);
    if (!seg.complete || total - end <= boundary + EPSILON_SEC) break;
    skipped++;
  }
  return skipped;
}

export function renderMediaPlaylist(timeline: CmafTimeline, opts: MediaPlaylistOptions = {}): string {
  const td = timeline.targetDurationSec;
  const segments = timeline.segments;
  const skipped = opts.skip ? skippedSegmentCount(timeline) : 0;
  const firstWithParts = timeline.nextMsn - (PART_SEGMENTS - 1);

  let out = "#EXTM3U\n";
  out += `#EXT-X-VERSION:${skipped ? HLS_VERSION_SKIP : HLS_VERSION}\n`;
  out += `#EXT-X-TARGETDURATION:${td}\n`;
  out +=
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${(SKIP_BOUNDARY_TARGETS * td).toFixed(3)}` +
    `,PART-HOLD-BACK=${(PART_HOLD_BACK_PARTS * timeline.partTargetSec).toFixed(3)},HOLD-BACK=${(HOLD_BACK_TARGETS * td).toFixed(3)}\n`;
  // Same precision as EXT-X-PART DURATION, so equal values print equal (§4.4.4.9: DURATION ≤ PART-TARGET).
  out += `#EXT-X-PART-INF:PART-TARGET=${timeline.partTargetSec.toFixed(5)}\n`;
  out += `#EXT-X-MEDIA-SEQUENCE:${segments.length ? segments[0]!.msn : timeline.nextMsn}\n`;
  out += `#EXT-X-MAP:URI="${CMAF_URLS.init}"\n`;
  // §4.4.5.2: a delta update with nothing to skip is just the full playlist (SKIPPED-SEGMENTS=0 says nothing).
  if (skipped) out += `#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}\n`;

  for (let i = skipped; i < segments.length; i++) {
    const seg = segments[i]!;
    const firstPart = seg.parts[0];
    if (!seg.complete && !(firstPart && firstPart.complete)) continue; // nothing of it exists yet
    out += `#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.programDateTimeMs).toISOString()}\n`;
    if (seg.msn >= firstWithParts) {
      for (const p of seg.parts) {
        if (!p.complete) break;
        out += `#EXT-X-PART:DURATION=${p.durationSec.toFixed(5)},URI="${CMAF_URLS.part(seg.msn, p.index)}"`;
        out += p.independent ? ",INDEPENDENT=YES\n" : "\n";
      }
    }
    if (seg.complete) out += `#EXTINF:${seg.durationSec.toFixed(5)},\n${CMAF_URLS.segment(seg.msn)}\n`;
  }
  // §4.4.5.3, §6.2.6: the next part is requestable now; the server holds the request until it is complete.
  out += `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${CMAF_URLS.part(timeline.nextMsn, timeline.nextPart)}"\n`;
  return out;
}
