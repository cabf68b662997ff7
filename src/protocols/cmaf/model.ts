/**
 * What the CMAF segmenter produces and the LL-HLS and LL-DASH front ends render: a sliding window
 * of segments (cut at video keyframes), each made of parts (~200 ms CMAF chunks). A part holds one
 * moof+mdat per track, in track order, in one buffer: LL-HLS serves it whole (muxed), DASH serves
 * one track's range of it per representation. Bytes are produced once per stream and shared by
 * every client. These records are read by renderers; only the segmenter writes them.
 */
import type { TrackKind } from "../../core/track.ts";

export interface CmafTrackInfo {
  /** track_ID in the init segment and in every traf. */
  trackId: number;
  kind: TrackKind;
  /** RFC 6381 codec string ("avc1.64001f", "mp4a.40.2", "opus", "hvc1.1.6.L93.B0", "av01.0.08M.08"). */
  codecString: string;
  /** Ticks per second of the track's decode times in the fragments (tfdt, trun). */
  timescale: number;
  width?: number;
  height?: number;
  frameRate?: number;
  sampleRate?: number;
  channels?: number;
  /** Measured (or estimated) bits per second, for BANDWIDTH and @bandwidth. */
  bandwidth: number;
}

export interface CmafPart {
  /** The segment it belongs to. */
  readonly msn: number;
  /** Position within its segment, from 0. */
  readonly index: number;
  /** Media time covered (s); final once `complete`. */
  durationSec: number;
  /** Starts with a video keyframe (LL-HLS INDEPENDENT=YES). */
  readonly independent: boolean;
  complete: boolean;
  /** moof+mdat of each track, in `CmafTimeline.tracks` order; empty until complete. */
  bytes: Uint8Array;
  /** Where each track's moof+mdat starts in `bytes` and how long it is (0 when the track had no sample). */
  trackOffset: number[];
  trackLength: number[];
}

export interface CmafSegment {
  /** Media sequence number: LL-HLS EXT-X-MEDIA-SEQUENCE counting, DASH $Number$. */
  readonly msn: number;
  /** Wall-clock ms of its first frame (EXT-X-PROGRAM-DATE-TIME). */
  readonly programDateTimeMs: number;
  /** Decode time of its first sample per track, in that track's timescale (DASH SegmentTimeline @t). */
  readonly startTime: number[];
  /** Media time covered (s); grows while parts are added, final once `complete`. */
  durationSec: number;
  /** Duration per track in its timescale (DASH SegmentTimeline @d); final once `complete`. */
  duration: number[];
  parts: CmafPart[];
  complete: boolean;
}

export interface CmafTimeline {
  tracks: CmafTrackInfo[];
  /** PART-TARGET (s). */
  partTargetSec: number;
  /** EXT-X-TARGETDURATION (s, an integer: the longest segment rounded up). */
  targetDurationSec: number;
  /** Oldest first; the last one may be incomplete (parts still being added). */
  segments: CmafSegment[];
  /** The next part that does not exist yet (LL-HLS PRELOAD-HINT). */
  nextMsn: number;
  nextPart: number;
  /** Wall-clock ms of media time 0 of the first segment ever produced (DASH availabilityStartTime). */
  availabilityStartMs: number;
  /** Bumped on every change (a new part, a new segment); renderers cache by it. */
  version: number;
}

/** URLs, relative to the stream's folder (`/live/cam1/`): one naming for both front ends. */
export const CMAF_URLS = {
  multivariant: "index.m3u8",
  mediaPlaylist: "stream.m3u8",
  mpd: "index.mpd",
  /** Muxed init segment (every track), for LL-HLS. */
  init: "init.mp4",
  /** One track's init segment, for DASH (`$RepresentationID$` is the track id). */
  trackInit: (trackId: number) => `init-${trackId}.mp4`,
  /** LL-HLS full segment and part (muxed). */
  segment: (msn: number) => `seg-${msn}.m4s`,
  part: (msn: number, index: number) => `part-${msn}.${index}.m4s`,
  /** DASH segment of one track; its template is `chunk-$RepresentationID$-$Number$.m4s`. */
  trackSegment: (trackId: number, msn: number) => `chunk-${trackId}-${msn}.m4s`,
  dashMediaTemplate: "chunk-$RepresentationID$-$Number$.m4s",
  dashInitTemplate: "init-$RepresentationID$.mp4",
} as const;
