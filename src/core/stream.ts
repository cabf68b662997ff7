import { wallMs } from "./errors.ts";
import type { Frame } from "./frame.ts";
import { FrameRing } from "./frame-ring.ts";
import { kindOf, Track, type Codec, type TrackInfo } from "./track.ts";

export type StreamState = "idle" | "live" | "waiting" | "ended";

/** The session feeding a stream (any protocol). */
export interface Publisher {
  readonly protocol: string;
  readonly remoteAddress: string;
  /** Ends the session (API DELETE, takeover). */
  close(reason: string): void;
  /** Protocol statistics for the API (RTT, loss, buffers...), when the protocol has them. */
  stats?(): object;
}

/**
 * Turns the stream's frames into one output format, once per stream. Created on the first reader of
 * its format, closed when the last one leaves (it calls `stream.removeWriter(this)`).
 */
export interface Writer {
  readonly format: string;
  /** Every committed frame, in order: encode it once. */
  onFrame(frame: Frame): void;
  /** End of an ingest batch: hand the new bytes to the readers (one write per reader per batch). */
  flush(): void;
  /** Tracks were added or a configuration changed. */
  onTracks(): void;
  onState(state: StreamState): void;
}

/** A jump larger than this between two frames of a track is a discontinuity, re-anchored. */
const MAX_DTS_JUMP_SEC = 10;

/**
 * One path: its tracks, its ring, its publisher and its lazy writers. Timestamps are normalised
 * here, once, for every protocol: a returning publisher continues where the last one stopped, and
 * dts is strictly increasing per track whatever the ingest sent.
 */
export class Stream {
  readonly path: string;
  readonly ring: FrameRing;
  readonly createdMs: number;
  /** Wall-clock ms source (tests pass a fake one). */
  readonly clock: () => number;
  tracks: Track[];
  publisher: Publisher | null;
  state: StreamState;
  liveSinceMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Measured bits/s of all tracks, updated once a second by the server's sampler. */
  bitrate: number;
  /** Viewers disconnected for being too slow (all protocols). */
  droppedViewers: number;
  /** Times a viewer skipped to the newest keyframe because it was behind (all protocols). */
  viewerSkips: number;
  readers: Map<string, number>;
  private writers: Writer[];
  /** Audio-only batches wait up to this long for a video frame to share a write with (0: never wait). */
  coalesceMs: number;
  private flushTimer: ReturnType<typeof setTimeout> | null;
  private batchHasKey: boolean;
  private batchFrames: number;
  // Timestamp normalisation, per track (index = track id).
  private offsets: number[];
  private lastDts: number[];
  private lastDur: number[];
  private epochOffsetSec: number;
  private epochFresh: boolean;

  constructor(path: string, ringBytes: number, ringFrames: number, clock: () => number = wallMs) {
    this.path = path;
    this.ring = new FrameRing(ringBytes, ringFrames);
    this.clock = clock;
    this.createdMs = clock();
    this.tracks = [];
    this.publisher = null;
    this.state = "idle";
    this.liveSinceMs = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.bitrate = 0;
    this.droppedViewers = 0;
    this.viewerSkips = 0;
    this.readers = new Map();
    this.writers = [];
    this.coalesceMs = 0;
    this.flushTimer = null;
    this.batchHasKey = false;
    this.batchFrames = 0;
    this.offsets = [];
    this.lastDts = [];
    this.lastDur = [];
    this.epochOffsetSec = 0;
    this.epochFresh = true;
  }

  /** A new publisher session starts: its timestamps will be shifted to follow the previous ones. */
  beginEpoch(publisher: Publisher): void {
    this.publisher = publisher;
    this.state = "live";
    this.liveSinceMs = this.clock();
    this.epochFresh = true;
    for (const w of this.writers) w.onState("live");
  }

  /**
   * The track of this kind for `codec`: reused when the codec and clock match (a returning publisher),
   * replaced otherwise. The first video track becomes the ring's key track.
   */
  ensureTrack(codec: Codec, clockRate: number): Track {
    const kind = kindOf(codec);
    const i = this.tracks.findIndex((t) => t.kind === kind);
    if (i >= 0 && this.tracks[i]!.codec === codec && this.tracks[i]!.clockRate === clockRate) return this.tracks[i]!;
    const id = i >= 0 ? i : this.tracks.length;
    const track = new Track(id, codec, clockRate);
    this.tracks[id] = track;
    if (i < 0) {
      this.offsets.push(0);
      this.lastDts.push(Number.NaN);
      this.lastDur.push(0);
    } else {
      this.lastDts[id] = Number.NaN; // another codec: its clock restarts (the epoch offset still applies)
    }
    if (kind === "video" && this.ring.keyTrack < 0) this.ring.keyTrack = id;
    this.tracksChanged();
    return track;
  }

  setConfig(track: Track, config: Uint8Array, info: TrackInfo): void {
    if (track.setConfig(config, info)) this.tracksChanged();
  }

  tracksChanged(): void {
    for (const w of this.writers) w.onTracks();
  }

  /** Writable space for a frame of up to `n` bytes (an ingest assembling in place); then `commit`. */
  reserve(n: number): Uint8Array {
    return this.ring.reserve(n);
  }

  cancel(): void {
    this.ring.cancel();
  }

  /**
   * Commits the reserved frame: payload is [skip, skip+len) of the reservation. `ingestMs` is now,
   * unless the frame entered spate elsewhere (a relay keeps the origin's, for end-to-end latency).
   */
  commit(skip: number, len: number, track: number, dts: number, pts: number, keyframe: boolean, ingestMs: number = this.clock()): Frame {
    const shift = this.normalise(track, dts);
    const t = this.tracks[track]!;
    t.bytes += len;
    t.frames++;
    this.bytesIn += len;
    const f = this.ring.commitFrame(skip, len, track, dts + shift, pts + shift, keyframe, ingestMs);
    if (track === this.ring.keyTrack || this.ring.keyTrack < 0) this.batchHasKey = true;
    this.batchFrames++;
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.onFrame(f);
    return f;
  }

  /** Copies `payload` into the ring as a frame. */
  push(payload: Uint8Array, track: number, dts: number, pts: number, keyframe: boolean, ingestMs: number = this.clock()): Frame {
    this.ring.reserve(payload.length).set(payload);
    return this.commit(0, payload.length, track, dts, pts, keyframe, ingestMs);
  }

  /** End of an ingest batch (one socket read): writers hand the new bytes to their readers. */
  flush(): void {
    if (this.batchFrames === 0) return;
    if (this.batchHasKey || this.coalesceMs <= 0) return this.flushNow();
    // Only audio since the last write: ride along with the next video frame, or go after coalesceMs.
    // Small frames are a syscall per viewer each; this halves the writes at the same bitrate.
    if (this.flushTimer === null) {
      this.flushTimer = setTimeout(this.flushNow, this.coalesceMs);
    }
  }

  /** Hands what the writers encoded to their readers now. */
  readonly flushNow = (): void => {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.batchHasKey = false;
    this.batchFrames = 0;
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.flush();
  };

  writer<W extends Writer>(format: string, create: (stream: Stream) => W): W {
    for (const w of this.writers) if (w.format === format) return w as W;
    const w = create(this);
    this.writers.push(w);
    return w;
  }

  removeWriter(w: Writer): void {
    const i = this.writers.indexOf(w);
    if (i >= 0) this.writers.splice(i, 1);
  }

  get writerFormats(): string[] {
    return this.writers.map((w) => w.format);
  }

  addReader(protocol: string): void {
    this.readers.set(protocol, (this.readers.get(protocol) ?? 0) + 1);
  }

  removeReader(protocol: string): void {
    const n = (this.readers.get(protocol) ?? 0) - 1;
    if (n > 0) this.readers.set(protocol, n);
    else this.readers.delete(protocol);
  }

  get readerCount(): number {
    let n = 0;
    for (const v of this.readers.values()) n += v;
    return n;
  }

  /** Publisher gone (grace period starts) or stream over. */
  setState(state: StreamState): void {
    this.flushNow();
    this.state = state;
    if (state !== "live") this.publisher = null;
    for (const w of [...this.writers]) w.onState(state);
  }

  /**
   * Returns what to add to this frame's dts and pts. The first frame of an epoch fixes one offset in
   * seconds for every track (A/V sync survives a reconnect); after that a track is re-anchored only
   * on a discontinuity, and a dts that does not increase is nudged forward by one tick.
   */
  private normalise(track: number, dts: number): number {
    const t = this.tracks[track]!;
    if (this.epochFresh) {
      this.epochFresh = false;
      let endSec = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < this.tracks.length; i++) {
        const last = this.lastDts[i]!;
        if (!Number.isNaN(last)) endSec = Math.max(endSec, (last + this.lastDur[i]!) / this.tracks[i]!.clockRate);
      }
      this.epochOffsetSec = endSec === Number.NEGATIVE_INFINITY ? 0 : endSec - dts / t.clockRate;
      for (let i = 0; i < this.tracks.length; i++) this.offsets[i] = Math.round(this.epochOffsetSec * this.tracks[i]!.clockRate);
      for (let i = 0; i < this.tracks.length; i++) if (i !== track) this.lastDts[i] = Number.NaN;
    }
    let off = this.offsets[track]!;
    const last = this.lastDts[track]!;
    let out = dts + off;
    if (Number.isNaN(last)) {
      // first frame of this track in the epoch: a track that starts later keeps the epoch offset
    } else if (out > last + MAX_DTS_JUMP_SEC * t.clockRate || out < last - t.clockRate) {
      off += last + this.lastDur[track]! - out;
      this.offsets[track] = off;
      out = dts + off;
    } else if (out <= last) {
      this.lastDts[track] = last + 1;
      return last + 1 - dts;
    } else {
      this.lastDur[track] = out - last;
    }
    this.lastDts[track] = out;
    return off;
  }
}
