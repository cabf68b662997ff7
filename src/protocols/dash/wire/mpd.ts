/**
 * The low-latency DASH MPD (ISO/IEC 23009-1; DASH-IF IOP v5 "low-latency live") rendered from the
 * CMAF window, by plain string building.
 *
 * Shape: one dynamic Period from PT0S, one AdaptationSet and one Representation per track (id =
 * track id, so CMAF_URLS' `init-$RepresentationID$.mp4` / `chunk-$RepresentationID$-$Number$.m4s`
 * name our files), a SegmentTemplate with `availabilityTimeComplete="false"` and an
 * `availabilityTimeOffset`, a ServiceDescription (Latency, PlaybackRate) instead of
 * suggestedPresentationDelay, a ProducerReferenceTime per AdaptationSet and one UTCTiming.
 * Media time 0 of every track (tfdt 0, no presentationTimeOffset) is availabilityStartTime.
 *
 * availabilityTimeOffset = expected segment duration − part duration. A segment's availability
 * start is AST + its end − ato, so the offset moves it back to the end of its first part: the player
 * may ask for it as soon as one CMAF chunk exists and receives the rest as it is produced (chunked
 * transfer), instead of waiting a whole segment. `availabilityTimeComplete="false"` says exactly
 * that: a segment is not complete at its announced availability. dash.js (≥ 4.4) switches to its
 * low-latency mode (fetch loader, moof parsing, catch-up) on that attribute alone.
 *
 * Two addressings:
 * - `timeline` (default): a SegmentTimeline of the real, keyframe-cut durations. Segments vary
 *   with the GOP, so this is the one that is always right. The segment being produced is listed
 *   with its expected duration (see segment-timeline.ts), and the MPD is refreshed every
 *   `minimumUpdatePeriod` (≈ one part) so the next segment is learned soon after it starts.
 * - `duration`: `SegmentTemplate@duration` with the nominal segment duration and $Number$ counted
 *   from availabilityStartTime (no refresh needed). Only for encoders with a fixed GOP: a segment
 *   that is not exactly nominal puts every later $Number$ off.
 */
import { CMAF_URLS, type CmafTimeline, type CmafTrackInfo } from "../../cmaf/model.ts";
import { nominalSegmentTicks, renderRuns, trackTimeline, type TrackTimeline } from "./segment-timeline.ts";
import { attrs, frameRateAttr, isoDateTime, isoDuration } from "./xml.ts";

export const MPD_PROFILES = [
  "urn:mpeg:dash:profile:isoff-live:2011",
  // ISO/IEC 23009-1 §8.12: the DASH profile for CMAF content (DASH-IF IOP v5 recommends it for CMAF).
  "urn:mpeg:dash:profile:cmaf:2019",
  // DASH-IF IOP v5 low-latency live: "should be signalled with the @profiles identifier".
  "http://www.dashif.org/guidelines/low-latency-live-v5",
].join(",");

/** ISO/IEC 23009-1 §5.8.5.7: the body of the time URL is an ISO 8601 date-time (`2025-01-01T00:00:00.000Z`). */
export const UTC_TIMING_SCHEME = "urn:mpeg:dash:utc:http-iso:2014";
/** §5.8.5.4: value = number of channels, for any codec and any count (CICP's table is not a channel count past 6). */
const CHANNEL_CONFIG_SCHEME = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011";
/** ISO/IEC 23009-1 Annex K.4: the rates a player may use to hold the target latency. */
const PLAYBACK_RATE_MIN = 0.96;
const PLAYBACK_RATE_MAX = 1.04;

export type MpdMode = "timeline" | "duration";

export interface MpdOptions {
  /** Wall clock of this rendering (MPD@publishTime). */
  nowMs: number;
  /** Absolute or MPD-relative URL of the time endpoint (UTCTiming, http-iso). */
  timeUrl: string;
  /** ServiceDescription Latency@target. */
  targetLatencyMs: number;
  /** Latency@min and @max; default ¾ and 2× the target (as livesim2 does). dash.js seeks back to live past max. */
  minLatencyMs?: number;
  maxLatencyMs?: number;
  /** MPD@minBufferTime; default 1 s. */
  minBufferSec?: number;
  /** Default "timeline". */
  mode?: MpdMode;
  /** MPD@minimumUpdatePeriod; default one part (0.2–1 s) for `timeline`, the target duration for `duration`. */
  minimumUpdatePeriodSec?: number;
  /** `duration` mode's SegmentTemplate@duration; default the last complete video segment's (else the target duration). */
  segmentDurationSec?: number;
}

export function renderMpd(timeline: CmafTimeline, opts: MpdOptions): string {
  const mode = opts.mode ?? "timeline";
  const partSec = timeline.partTargetSec;
  // `duration` mode: one grid for every track, in seconds, from the first video track (audio
  // segments, cut at whole frames, are never exactly nominal).
  const lead = Math.max(0, timeline.tracks.findIndex((t) => t.kind === "video"));
  const gridSec = opts.segmentDurationSec ?? (timeline.tracks.length > 0 ? nominalSegmentTicks(timeline, lead) / timeline.tracks[lead]!.timescale : 0);
  const sets = timeline.tracks.map((track, i) => trackSet(timeline, i, track, mode, gridSec));

  let maxSegmentSec = timeline.targetDurationSec;
  let windowSec = 0;
  for (const s of sets) {
    maxSegmentSec = Math.max(maxSegmentSec, s.maxTicks / s.track.timescale);
    windowSec = Math.max(windowSec, s.completeTicks / s.track.timescale);
  }
  const target = opts.targetLatencyMs;
  // Only what is certainly still there: the complete segments. Never below 2× the target, or dash.js
  // caps its live delay to half the window (PlaybackController: dvrWindowSize / 2).
  const timeShiftBufferSec = Math.max(windowSec, (2 * target) / 1000);
  const updateSec = opts.minimumUpdatePeriodSec ?? (mode === "timeline" ? Math.min(1, Math.max(0.2, partSec)) : timeline.targetDurationSec);
  const ast = isoDateTime(timeline.availabilityStartMs);
  const utcTiming = `<UTCTiming${attrs({ schemeIdUri: UTC_TIMING_SCHEME, value: opts.timeUrl })}/>`;

  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  out += `<MPD${attrs({
    xmlns: "urn:mpeg:dash:schema:mpd:2011",
    type: "dynamic",
    profiles: MPD_PROFILES,
    availabilityStartTime: ast,
    publishTime: isoDateTime(opts.nowMs),
    minimumUpdatePeriod: isoDuration(updateSec),
    timeShiftBufferDepth: isoDuration(timeShiftBufferSec),
    // Rounded up: dash.js clips a listed duration to maxSegmentDuration.
    maxSegmentDuration: isoDuration(Math.ceil(maxSegmentSec * 1000) / 1000),
    minBufferTime: isoDuration(opts.minBufferSec ?? 1),
  })}>\n`;
  // Annex K; the Latency is relative to the ProducerReferenceTime with the same id.
  out += `  <ServiceDescription id="0">\n`;
  out += `    <Latency${attrs({
    referenceId: 0,
    target: Math.round(target),
    min: Math.round(opts.minLatencyMs ?? (target * 3) / 4),
    max: Math.round(opts.maxLatencyMs ?? target * 2),
  })}/>\n`;
  out += `    <PlaybackRate${attrs({ min: PLAYBACK_RATE_MIN, max: PLAYBACK_RATE_MAX })}/>\n`;
  out += `  </ServiceDescription>\n`;
  out += `  <Period id="0" start="PT0S">\n`;
  for (let i = 0; i < sets.length; i++) out += adaptationSet(i, sets[i]!, partSec, ast, utcTiming);
  out += `  </Period>\n`;
  // Schema order: UTCTiming follows the Periods.
  out += `  ${utcTiming}\n`;
  out += `</MPD>\n`;
  return out;
}

interface TrackSet {
  track: CmafTrackInfo;
  /** Expected duration of a new segment (ticks); ato is computed from it. */
  nominalTicks: number;
  /** Set in `timeline` mode. */
  timeline: TrackTimeline | null;
  /** `duration` mode's $Number$ of the segment at media time 0. */
  startNumber: number;
  maxTicks: number;
  completeTicks: number;
}

function trackSet(timeline: CmafTimeline, i: number, track: CmafTrackInfo, mode: MpdMode, gridSec: number): TrackSet {
  if (mode === "timeline") {
    const nominalTicks = nominalSegmentTicks(timeline, i);
    const tl = trackTimeline(timeline, i, nominalTicks);
    return { track, nominalTicks, timeline: tl, startNumber: tl.startNumber, maxTicks: tl.maxTicks, completeTicks: tl.completeTicks };
  }
  const nominalTicks = Math.round(gridSec * track.timescale);
  // $Number$ = startNumber + floor(media time / @duration) (§5.3.9.5.3); anchored on the newest
  // segment so the live edge is right even if older ones drifted from the nominal grid.
  const newest = timeline.segments[timeline.segments.length - 1];
  const startNumber = newest && nominalTicks > 0 ? Math.max(0, newest.msn - Math.round(newest.startTime[i]! / nominalTicks)) : timeline.nextMsn;
  let completeTicks = 0;
  for (const seg of timeline.segments) if (seg.complete) completeTicks += seg.duration[i]!;
  return { track, nominalTicks, timeline: null, startNumber, maxTicks: nominalTicks, completeTicks };
}

function adaptationSet(id: number, set: TrackSet, partSec: number, ast: string, utcTiming: string): string {
  const { track } = set;
  const video = track.kind === "video";
  // Availability moves from the segment's end back to the end of its first part (header comment).
  // Rounded down to the millisecond: announcing a chunk late is harmless, early is a stall.
  // (The epsilon keeps 1.802 from becoming 1.801 through binary fractions.)
  const atoSec = Math.max(0, Math.floor((set.nominalTicks / track.timescale - partSec) * 1000 + 1e-6) / 1000);
  let out = `    <AdaptationSet${attrs({
    id,
    contentType: track.kind,
    mimeType: video ? "video/mp4" : "audio/mp4",
    segmentAlignment: "true",
    // Every segment starts with a keyframe (video) or an audio frame: SAP type 1.
    startWithSAP: 1,
  })}>\n`;
  // DASH-IF IOP v5 low-latency AdaptationSet: a ProducerReferenceTime, presentationTime 0 (no PTO),
  // whose wall clock is the one the UTCTiming gives. Media time 0 was produced at AST by definition.
  out += `      <ProducerReferenceTime${attrs({ id: 0, type: "encoder", presentationTime: 0, wallClockTime: ast })}>\n`;
  out += `        ${utcTiming}\n`;
  out += `      </ProducerReferenceTime>\n`;
  const template = {
    timescale: track.timescale,
    initialization: CMAF_URLS.dashInitTemplate,
    media: CMAF_URLS.dashMediaTemplate,
    startNumber: set.startNumber,
    duration: set.timeline === null ? set.nominalTicks : undefined,
    availabilityTimeOffset: atoSec,
    availabilityTimeComplete: "false",
  };
  if (set.timeline === null) {
    out += `      <SegmentTemplate${attrs(template)}/>\n`;
  } else {
    out += `      <SegmentTemplate${attrs(template)}>\n`;
    out += `        <SegmentTimeline>\n${renderRuns(set.timeline.runs, "          ")}        </SegmentTimeline>\n`;
    out += `      </SegmentTemplate>\n`;
  }
  out += `      <Representation${attrs({
    id: String(track.trackId),
    codecs: track.codecString,
    bandwidth: Math.max(1, Math.round(track.bandwidth)),
    width: video ? track.width : undefined,
    height: video ? track.height : undefined,
    frameRate: video && track.frameRate ? frameRateAttr(track.frameRate) : undefined,
    audioSamplingRate: video ? undefined : track.sampleRate,
  })}`;
  if (!video && track.channels) {
    out += `>\n        <AudioChannelConfiguration${attrs({ schemeIdUri: CHANNEL_CONFIG_SCHEME, value: track.channels })}/>\n      </Representation>\n`;
  } else {
    out += `/>\n`;
  }
  out += `    </AdaptationSet>\n`;
  return out;
}

/**
 * Renders once per timeline version: MPD requests between two changes get the same string (and the
 * same publishTime, which is then the time of the change, as §5.3.1.2 means it). One cache per
 * stream; options other than `nowMs` must not change between calls.
 */
export class MpdCache {
  private timeline: CmafTimeline | null = null;
  private version = -1;
  private text = "";

  render(timeline: CmafTimeline, opts: MpdOptions): string {
    if (timeline !== this.timeline || timeline.version !== this.version) {
      this.text = renderMpd(timeline, opts);
      this.timeline = timeline;
      this.version = timeline.version;
    }
    return this.text;
  }
}
