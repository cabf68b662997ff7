/**
 * What every bench viewer measures, whatever its protocol: stamped video frames in, latency into the
 * run's shared histogram, and per viewer the counts the report adds up (loss by sequence number,
 * duplicates, stalls, join time). A protocol's viewer extends this, calls `onFrame` per stamped
 * frame and keeps `phase`, `bytes` and `error` current.
 */
import type { LatencyHistogram } from "./stats.ts";

/** A gap between two video frames longer than this is a stall. */
export const STALL_GAP_MS = 500;

/** The measured window in wall-clock ms; Infinity until the runner knows it. */
export class MeasureWindow {
  startMs = Infinity;
  endMs = Infinity;

  contains(ms: number): boolean {
    return ms >= this.startMs && ms < this.endMs;
  }
}

export type ViewerPhase = "idle" | "connecting" | "playing" | "failed" | "closed";

export abstract class MeasuredViewer {
  phase: ViewerPhase = "idle";
  /** Why it failed or closed early. */
  error: string | null = null;
  /** Bytes received (what counts is up to the protocol: all of RTMP, SRT's TS payloads). */
  bytes = 0;
  /** When the request to play went out (RTMP play, the SRT handshake): join time counts from it. */
  requestedMs = NaN;
  /** Request to first stamped video frame. */
  joinMs = NaN;
  videoFrames = 0;
  audioFrames = 0;
  /** Coded video frames without our stamp. */
  unstamped = 0;
  duplicates = 0;
  firstSeq = -1;
  lastSeq = -1;
  lastArrivalMs = NaN;
  /** Got a frame sent before the window opened: expected frames count from the window's first. */
  sawBeforeWindow = false;
  winFirstSeq = -1;
  winReceived = 0;
  stalls = 0;
  maxGapMs = 0;
  closedAtMs = NaN;

  constructor(
    readonly window: MeasureWindow,
    readonly latency: LatencyHistogram,
  ) {}

  abstract start(): void;
  /** Closes the connection; what was measured stays. */
  abstract stop(): void;

  /** A stamped video frame that arrived at `now` (wall-clock ms). */
  protected onFrame(seq: number, sentMs: number, now: number): void {
    const win = this.window;
    if (this.firstSeq < 0) {
      this.firstSeq = seq;
      this.joinMs = now - this.requestedMs;
    } else {
      if (seq <= this.lastSeq) {
        this.duplicates++;
        return;
      }
      if (win.contains(now)) {
        // Only the part of the gap inside the window: a stall during warm-up is not measured.
        const gap = now - Math.max(this.lastArrivalMs, win.startMs);
        if (gap > STALL_GAP_MS) this.stalls++;
        if (gap > this.maxGapMs) this.maxGapMs = gap;
      }
    }
    this.lastSeq = seq;
    this.lastArrivalMs = now;
    this.videoFrames++;
    if (sentMs < win.startMs) {
      this.sawBeforeWindow = true;
      return;
    }
    if (sentMs >= win.endMs) return;
    if (this.winFirstSeq < 0) this.winFirstSeq = seq;
    this.winReceived++;
    this.latency.record(now - sentMs);
  }

  /** At the end of the window: a viewer that has had no frame for a while is in a stall. */
  closeWindow(endMs: number): void {
    const gap = endMs - Math.max(this.lastArrivalMs, this.window.startMs);
    if (this.firstSeq >= 0 && gap > STALL_GAP_MS) {
      this.stalls++;
      this.maxGapMs = Math.max(this.maxGapMs, gap);
    }
  }

  /** Frames this viewer should have got in the window: from its first (or the window's first) to `lastSeq`. */
  expectedFrames(windowFirstSeq: number, windowLastSeq: number): number {
    const from = this.sawBeforeWindow ? windowFirstSeq : this.winFirstSeq;
    return from < 0 || windowLastSeq < from ? 0 : windowLastSeq - from + 1;
  }
}
