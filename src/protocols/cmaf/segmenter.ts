/**
 * The CMAF segmenter of one stream: the lazy writer (format "cmaf") behind LL-HLS and DASH. It cuts
 * the stream's frames once into a sliding window of segments and parts (model.ts) that every HTTP
 * client reads from memory.
 *
 * - Started by the first HLS or DASH request, from the ring's newest keyframe (catch-up), so the
 *   first playlist is ready at once; stopped by its owner (segmenters.ts) after an idle timeout or
 *   when the stream ends.
 * - The lead track (video, else audio) drives the cut. A video keyframe always starts a new segment
 *   and an INDEPENDENT part. Audio-only streams cut a segment every ~audioSegmentMs at a part boundary.
 * - A part closes as soon as the lead's next frame would not fit in the part target: the frame that
 *   fills it is the part's last, its duration predicted from the previous interval (no waiting for
 *   the next frame: that is a frame interval of latency saved). Lane keeps tfdt continuous despite
 *   the prediction. Parts never exceed PART-TARGET (the last duration is clamped to it).
 * - PART-TARGET is the configured target rounded to whole lead frames (6 × 33.3 ms for 200 ms at
 *   30 fps, 5 × 41.7 ms at 24 fps), fixed when the timeline starts, so that every part but a
 *   segment's last lasts 85–100 % of it (RFC 8216bis §4.4.3.7).
 * - Other tracks (audio next to video) wait in a queue and go into the part whose time range holds
 *   their dts: one moof+mdat per track per part, video then audio, in one buffer.
 * - Timestamps are rebased to one origin in seconds (the first keyframe's dts), common to every
 *   track, so tfdt ≥ 0 and audio stays aligned with video; samples before it are dropped.
 * - A change of tracks or configurations restarts the timeline: new init segments, the window
 *   emptied, media sequence numbers and media time continuing (a player reloads; no discontinuity
 *   signalling). A publisher gone ("waiting") completes the open segment; the stream ending closes
 *   the segmenter.
 */
import { assert, wallMs } from "../../core/errors.ts";
import { EMPTY, type Frame } from "../../core/frame.ts";
import { log } from "../../core/log.ts";
import type { Stream, StreamState, Writer } from "../../core/stream.ts";
import type { Track } from "../../core/track.ts";
import { InitSegment } from "../../formats/fmp4/init-segment.ts";
import { ChangeSignal } from "./change-signal.ts";
import { Lane } from "./lane.ts";
import type { CmafPart, CmafSegment, CmafTimeline } from "./model.ts";

export interface SegmenterOptions {
  partTargetMs: number;
  /** Complete segments kept. */
  windowSegments: number;
  /** Segment duration of audio-only streams. */
  audioSegmentMs: number;
}

/** Queued samples of a non-lead track beyond this (the lead stalled) drop the oldest. */
const MAX_QUEUED = 512;
const FIRST_MSN = 1;

export class CmafSegmenter implements Writer {
  readonly format = "cmaf";
  readonly stream: Stream;
  readonly opts: SegmenterOptions;
  readonly timeline: CmafTimeline;
  /** Wakes blocked requests after each change (a part, a segment, new tracks, the end). */
  readonly changed: ChangeSignal;
  /** The muxed init segment (LL-HLS) and one per track (DASH, by track index); empty before tracks. */
  init: Uint8Array;
  trackInits: Uint8Array[];
  closed: boolean;
  /** Wall-clock ms of the last HLS/DASH request (the owner's idle timeout). */
  lastRequestMs: number;
  /** Called once by close(). */
  onClose: (() => void) | null;
  // Counters for the API.
  partsProduced: number;
  segmentsProduced: number;
  /** moof+mdat fragments written, and their bytes: the muxing work, whatever the number of clients. */
  fragmentsMuxed: number;
  bytesMuxed: number;
  /** Playlists rendered by the LL-HLS front end (once per timeline version and variant). */
  playlistRenders: number;
  droppedSamples: number;
  restarts: number;
  /** Wall-clock ms when the newest part was completed. */
  newestPartMs: number;

  private lanes: Lane[];
  /** Stream track id → lane index (-1: not segmented). */
  private laneOf: number[];
  private lead: Lane | null;
  private signature: string;
  private originSec: number;
  private seg: CmafSegment | null;
  private part: CmafPart | null;
  /** Written dts of the open part's first lead sample, and the part target in lead ticks. */
  private partStart: number;
  private partTargetTicks: number;
  private nextMsn: number;
  private sequence: number;

  /** `firstMsn`: the first media sequence number (segmenters.ts keeps names unique across restarts). */
  constructor(stream: Stream, opts: SegmenterOptions, firstMsn = FIRST_MSN) {
    this.stream = stream;
    this.opts = opts;
    this.timeline = {
      tracks: [],
      partTargetSec: opts.partTargetMs / 1000,
      targetDurationSec: 1,
      segments: [],
      nextMsn: firstMsn,
      nextPart: 0,
      availabilityStartMs: 0,
      version: 0,
    };
    this.changed = new ChangeSignal();
    this.init = EMPTY;
    this.trackInits = [];
    this.closed = false;
    this.lastRequestMs = wallMs();
    this.onClose = null;
    this.partsProduced = 0;
    this.segmentsProduced = 0;
    this.fragmentsMuxed = 0;
    this.bytesMuxed = 0;
    this.playlistRenders = 0;
    this.droppedSamples = 0;
    this.restarts = 0;
    this.newestPartMs = 0;
    this.lanes = [];
    this.laneOf = [];
    this.lead = null;
    this.signature = "";
    this.originSec = Number.NaN;
    this.seg = null;
    this.part = null;
    this.partStart = 0;
    this.partTargetTicks = 0;
    this.nextMsn = firstMsn;
    this.sequence = 1;
    this.setupTracks();
    this.catchUp();
  }

  /** A complete part exists: playlists and MPDs can be served. */
  get ready(): boolean {
    const segs = this.timeline.segments;
    for (let i = segs.length - 1; i >= 0; i--) if (segs[i]!.complete || segs[i]!.parts[0]?.complete) return true;
    return false;
  }

  onFrame(f: Frame): void {
    if (this.closed) return;
    const li = f.track < this.laneOf.length ? this.laneOf[f.track]! : -1;
    if (li < 0) return;
    const lane = this.lanes[li]!;
    const lead = lane === this.lead;
    if (this.seg === null) {
      // Nothing open: wait for a join point of the lead track.
      if (!lead || !(f.keyframe || lane.info.kind === "audio")) return;
      if (Number.isNaN(this.originSec)) this.setOrigin(f);
    }
    const dts = f.dts - lane.origin;
    if (dts < 0) return; // before the origin: tfdt is unsigned
    const pts = f.pts - lane.origin;
    lane.observe(dts);
    if (lead) return this.leadFrame(lane, f, dts, pts);
    if (lane.queue.length >= MAX_QUEUED) {
      lane.queue.shift();
      this.droppedSamples++;
    }
    lane.queue.push(dts, pts, f.payload);
  }

  flush(): void {
    // Changes are announced by `changed` (a microtask after the batch), not per ingest batch.
  }

  onTracks(): void {
    if (this.closed) return;
    if (signatureOf(this.candidates()) === this.signature) return;
    this.restarts++;
    this.setupTracks();
  }

  onState(state: StreamState): void {
    if (state === "waiting" || state === "ended") this.finish();
    if (state === "ended") this.close();
  }

  /** Stops: the stream forgets this writer, blocked requests wake up (and find it closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.removeWriter(this);
    this.bump();
    this.changed.notify();
    const cb = this.onClose;
    this.onClose = null;
    cb?.();
  }

  /** The part (msn, index), if it is in the window. */
  findPart(msn: number, index: number): CmafPart | undefined {
    const seg = this.findSegment(msn);
    return seg?.parts[index];
  }

  findSegment(msn: number): CmafSegment | undefined {
    const segs = this.timeline.segments;
    if (segs.length === 0) return undefined;
    const seg = segs[msn - segs[0]!.msn];
    return seg && seg.msn === msn ? seg : undefined;
  }

  // --- cutting ---

  private leadFrame(lane: Lane, f: Frame, dts: number, pts: number): void {
    const video = lane.info.kind === "video";
    const key = video ? f.keyframe : true;
    if (this.part !== null) {
      // The open part ends here when this frame starts a segment or would start past the target
      // (a late frame); the last sample's duration is then real, clamped to the target.
      const limit = this.partStart + this.partTargetTicks;
      if ((video && key) || dts >= limit) this.closePart(clamp(dts - lane.last, 1, limit - lane.last), false);
    }
    if (this.seg === null || (video && key)) {
      if (this.seg !== null) this.completeSegment();
      this.openSegment(f.ingestMs);
    } else if (!video && this.part === null && lane.end - this.seg.startTime[lane.index]! >= this.audioSegmentTicks(lane)) {
      this.completeSegment();
      this.openSegment(f.ingestMs);
    }
    const w = lane.written(dts);
    if (this.part === null) {
      this.openPart(key);
      this.partStart = w;
    }
    this.startLane(lane, w);
    lane.push(w, dts, pts, key, f.payload);
    // Close now when the next frame would not fit (a quarter frame of tolerance for jittery stamps).
    const limit = this.partStart + this.partTargetTicks;
    const step = lane.interval;
    if (w + 2 * step > limit + (step >> 2)) this.closePart(clamp(step, 1, limit - w), false);
  }

  private audioSegmentTicks(lane: Lane): number {
    return Math.round((this.opts.audioSegmentMs / 1000) * lane.timescale) - (this.partTargetTicks >> 1);
  }

  private openSegment(ingestMs: number): void {
    const seg: CmafSegment = {
      msn: this.nextMsn++,
      programDateTimeMs: ingestMs,
      startTime: this.lanes.map((l) => Math.max(0, l.end)),
      durationSec: 0,
      duration: this.lanes.map(() => 0),
      parts: [],
      complete: false,
    };
    for (const l of this.lanes) {
      l.inSegment = false;
      l.segmentBytes = 0;
    }
    this.seg = seg;
    this.timeline.segments.push(seg);
  }

  private openPart(independent: boolean): void {
    const seg = this.seg!;
    const part: CmafPart = {
      msn: seg.msn,
      index: seg.parts.length,
      durationSec: 0,
      independent,
      complete: false,
      bytes: EMPTY,
      trackOffset: this.lanes.map(() => 0),
      trackLength: this.lanes.map(() => 0),
    };
    seg.parts.push(part);
    this.part = part;
    this.timeline.nextMsn = seg.msn;
    this.timeline.nextPart = part.index;
  }

  /** The lane's first sample of the segment fixes its startTime (DASH SegmentTimeline @t). */
  private startLane(lane: Lane, w: number): void {
    if (lane.inSegment) return;
    lane.inSegment = true;
    this.seg!.startTime[lane.index] = w;
  }

  /**
   * Closes the open part: the lead's last sample lasts `leadLastDuration`; queued samples of the
   * other tracks before the part's end (all of them when `drain`) join it. One buffer, track order.
   */
  private closePart(leadLastDuration: number, drain: boolean): void {
    const part = this.part!;
    const seg = this.seg!;
    const lead = this.lead!;
    assert(lead.muxer.count > 0, "a part is closed with lead samples");
    lead.lastDuration = leadLastDuration;
    const endLead = lead.last + leadLastDuration;
    for (const lane of this.lanes) if (lane !== lead) this.fillFromQueue(lane, endLead, lead.timescale, drain);
    let size = 0;
    const sizes = this.lanes.map((l) => (l.muxer.count > 0 ? l.muxer.encodedSize(this.sequence++, l.lastDuration) : 0));
    for (const n of sizes) size += n;
    const bytes = new Uint8Array(size);
    let off = 0;
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i]!;
      part.trackOffset[i] = off;
      part.trackLength[i] = sizes[i]!;
      if (sizes[i] === 0) continue;
      off += lane.muxer.encodeTo(bytes, off);
      this.fragmentsMuxed++;
      this.bytesMuxed += sizes[i]!;
      lane.end = lane.last + lane.lastDuration;
      lane.segmentBytes += sizes[i]!;
      seg.duration[i] = lane.end - seg.startTime[i]!;
      lane.muxer.clear();
    }
    part.bytes = bytes;
    part.durationSec = (endLead - this.partStart) / lead.timescale;
    part.complete = true;
    seg.durationSec = seg.duration[lead.index]! / lead.timescale;
    this.part = null;
    this.timeline.nextMsn = seg.msn;
    this.timeline.nextPart = part.index + 1;
    this.raiseTargetDuration(seg.durationSec);
    this.partsProduced++;
    this.newestPartMs = wallMs();
    this.bump();
  }

  private fillFromQueue(lane: Lane, endLead: number, leadTimescale: number, drain: boolean): void {
    const q = lane.queue;
    while (q.length > 0) {
      const i = q.start;
      const dts = q.dts[i]!;
      // dts / timescale < endLead / leadTimescale, in integers.
      if (!drain && dts * leadTimescale >= endLead * lane.timescale) break;
      const w = lane.written(dts);
      this.startLane(lane, w);
      lane.push(w, dts, q.pts[i]!, true, q.payloads[i]!);
      q.shift();
    }
    if (lane.muxer.count > 0) lane.lastDuration = q.length > 0 ? Math.max(1, q.dts[q.start]! - lane.last) : lane.interval;
  }

  private completeSegment(): void {
    const seg = this.seg!;
    assert(this.part === null, "a segment completes after its last part");
    seg.complete = true;
    this.seg = null;
    this.timeline.nextMsn = seg.msn + 1;
    this.timeline.nextPart = 0;
    this.segmentsProduced++;
    if (seg.durationSec > 0.1) {
      for (const l of this.lanes) l.info.bandwidth = Math.max(l.track.bitrate, (l.segmentBytes * 8) / seg.durationSec);
    }
    const segs = this.timeline.segments;
    let complete = 0;
    for (const s of segs) if (s.complete) complete++;
    while (complete > this.opts.windowSegments) {
      segs.shift();
      complete--;
    }
    this.bump();
  }

  /** The open part and segment end now (publisher gone, stream over). */
  private finish(): void {
    if (this.part !== null) {
      const lead = this.lead!;
      this.closePart(clamp(lead.interval, 1, this.partStart + this.partTargetTicks - lead.last), true);
    }
    if (this.seg !== null) this.completeSegment();
    for (const l of this.lanes) l.queue.clear();
  }

  /** §4.4.3.1: EXTINF rounded to the nearest integer MUST NOT exceed it; it only grows. */
  private raiseTargetDuration(sec: number): void {
    const td = Math.max(1, Math.round(sec));
    if (td > this.timeline.targetDurationSec) this.timeline.targetDurationSec = td;
  }

  private bump(): void {
    this.timeline.version++;
    this.changed.notifySoon();
  }

  // --- tracks ---

  /** Tracks that can be segmented: configured, with a sample entry we can write; video first. */
  private candidates(): Track[] {
    const out: Track[] = [];
    for (const t of this.stream.tracks) {
      if (!t || !t.config) continue;
      try {
        new InitSegment([{ track: t, trackId: 1 }]);
        out.push(t);
      } catch {
        // unsupported or malformed configuration: not segmented
      }
    }
    return out.sort((a, b) => (a.kind === b.kind ? a.id - b.id : a.kind === "video" ? -1 : 1));
  }

  /** (Re)builds lanes and init segments; the window restarts (header comment). */
  private setupTracks(): void {
    const tracks = this.candidates();
    const hadSegments = this.timeline.segments.length > 0;
    this.signature = signatureOf(tracks);
    this.lanes = tracks.map((t, i) => new Lane(t, i));
    this.laneOf = [];
    for (const t of this.stream.tracks) if (t) this.laneOf[t.id] = -1;
    for (const l of this.lanes) this.laneOf[l.track.id] = l.index;
    this.lead = this.lanes.find((l) => l.info.kind === "video") ?? this.lanes[0] ?? null;
    this.seg = null;
    this.part = null;
    this.timeline.segments = [];
    this.timeline.tracks = this.lanes.map((l) => l.info);
    this.timeline.nextMsn = this.nextMsn;
    this.timeline.nextPart = 0;
    this.init = this.lanes.length ? new InitSegment(this.lanes.map((l) => ({ track: l.track, trackId: l.info.trackId }))).toBytes() : EMPTY;
    this.trackInits = this.lanes.map((l) => new InitSegment([{ track: l.track, trackId: l.info.trackId }]).toBytes());
    if (!Number.isNaN(this.originSec)) for (const l of this.lanes) l.origin = Math.round(this.originSec * l.timescale);
    if (this.lead) this.setPartTarget(this.lead);
    if (hadSegments) log.child("cmaf").info("tracks changed: timeline restarted", { path: this.stream.path, tracks: this.signature });
    this.bump();
  }

  /** PART-TARGET: the configured target rounded to whole lead frames, up to the millisecond. */
  private setPartTarget(lead: Lane): void {
    const frameMs = (lead.interval / lead.timescale) * 1000;
    const frames = Math.max(1, Math.round(this.opts.partTargetMs / frameMs));
    const sec = Math.ceil(frames * frameMs - 1e-6) / 1000;
    this.timeline.partTargetSec = sec;
    this.partTargetTicks = Math.floor(sec * lead.timescale + 1e-6);
  }

  private setOrigin(f: Frame): void {
    const t = this.stream.tracks[f.track]!;
    this.originSec = f.dts / t.clockRate;
    for (const l of this.lanes) l.origin = Math.round(this.originSec * l.timescale);
    // Media time 0 (the first frame) entered spate at this wall-clock time (DASH availabilityStartTime).
    this.timeline.availabilityStartMs = f.ingestMs;
  }

  /** Feeds what the ring holds since its newest join point (audio-only: the last segment's worth). */
  private catchUp(): void {
    const r = this.stream.ring;
    let from = r.joinSeq();
    if (this.lead?.info.kind === "audio") {
      const since = wallMs() - this.opts.audioSegmentMs;
      from = r.head;
      while (from > r.tail && r.frame(from - 1).ingestMs >= since) from--;
    }
    if (from >= 0) for (let s = from; s < r.head; s++) this.onFrame(r.frame(s));
  }
}

function signatureOf(tracks: Track[]): string {
  return tracks.map((t) => `${t.id}:${t.codec}:${t.configVersion}`).join(",");
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
