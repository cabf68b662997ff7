/**
 * What every Depacketizer shares: RTP payloads in, whole frames out to a sink.
 *
 * The caller passes packets in sequence order (a jitter / reorder buffer, if any, sits in front);
 * this class only notices gaps. A missing sequence number drops the frame being assembled, skips
 * the rest of it, and (for video) drops frames until the next keyframe, so nothing downstream sees a
 * frame whose references are gone; `waitingForKeyframe` tells the ingest to ask for one (PLI).
 * A packet behind the expected sequence number (a duplicate or a late one) is ignored and counted.
 *
 * A frame ends at the marker bit, or when a packet with another timestamp arrives (a sender that
 * forgot the marker). Nothing is thrown per packet: malformed or unsupported payloads drop the
 * frame they belong to and are counted (per-packet errors are reported by a timer, not logged).
 * The input is never written to (straight WHIP → WHEP forwarding shares those bytes): only read.
 */
import { MAX_FRAME_BYTES } from "./payload-batch.ts";

export interface FrameSink {
  /**
   * A complete frame in our Frame payload form. `payload` is a view into the depacketizer's buffer,
   * valid only during the call (copy it, e.g. into the FrameRing). `timestamp` is the RTP timestamp.
   */
  onFrame(payload: Uint8Array, timestamp: number, keyframe: boolean): void;
}

/** Counters, read by a timer. */
export class DepacketizerStats {
  packets = 0;
  frames = 0;
  /** Sequence numbers never seen. */
  lost = 0;
  /** Packets behind the expected sequence number (duplicates, late arrivals): ignored. */
  stale = 0;
  /** Frames dropped: damaged by loss or a bad packet, too big, or waiting for a keyframe. */
  framesDropped = 0;
  /** Payloads that break their format (short headers, lengths past the end, fragments out of place). */
  malformed = 0;
  /** Valid payloads we do not take (H.264 STAP-B, MTAP, FU-B; reserved types). */
  unsupported = 0;
  /** Frames over MAX_FRAME_BYTES. */
  oversize = 0;
}

export interface DepacketizerOptions {
  /** Start with, and after a loss wait for, a keyframe (default true for video, false for audio). */
  waitForKeyframe?: boolean;
  /** Cap of a frame's size in our form (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
}


const INITIAL_FRAME_BYTES = 64 * 1024;

export abstract class Depacketizer {
  readonly stats: DepacketizerStats;
  /** True while frames are dropped for want of a keyframe: the ingest should send a PLI (rate-limited). */
  waitingForKeyframe: boolean;
  protected readonly sink: FrameSink;
  protected readonly waitForKeyframe: boolean;
  protected readonly maxFrameBytes: number;
  /** The frame being assembled, in our payload form. */
  protected buf: Uint8Array;
  protected size: number;
  protected timestamp: number;
  /** A frame is being assembled (its first packet was taken). */
  protected assembling: boolean;
  /** Set by `packet` when the payload itself says the frame ends here (besides the marker bit). */
  protected frameEnded: boolean;
  /** The rest of a damaged frame is being skipped: packets with `skipTimestamp` up to its marker. */
  private skipping: boolean;
  private skipTimestamp: number;
  /** Packets were lost since the last one taken or skipped. */
  private afterGap: boolean;
  /** Next expected sequence number, -1 before the first packet. */
  private expected: number;

  constructor(sink: FrameSink, video: boolean, opts: DepacketizerOptions = {}) {
    this.stats = new DepacketizerStats();
    this.sink = sink;
    this.waitForKeyframe = opts.waitForKeyframe ?? video;
    this.waitingForKeyframe = this.waitForKeyframe;
    this.maxFrameBytes = Math.min(opts.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
    this.buf = new Uint8Array(Math.min(INITIAL_FRAME_BYTES, this.maxFrameBytes));
    this.size = 0;
    this.timestamp = 0;
    this.assembling = false;
    this.frameEnded = false;
    this.skipping = false;
    this.skipTimestamp = 0;
    this.afterGap = false;
    this.expected = -1;
  }

  /**
   * One RTP packet's payload (a view; never written to), its marker bit, timestamp and sequence
   * number, in sequence order. Calls the sink for each frame it completes.
   */
  push(payload: Uint8Array, marker: boolean, timestamp: number, sequenceNumber: number): void {
    const st = this.stats;
    st.packets++;
    if (this.expected >= 0) {
      const ahead = (sequenceNumber - this.expected) & 0xffff;
      if (ahead >= 0x8000) {
        st.stale++;
        return;
      }
      if (ahead > 0) {
        st.lost += ahead;
        this.lose();
      }
    }
    this.expected = (sequenceNumber + 1) & 0xffff;
    timestamp >>>= 0;
    if (this.assembling && timestamp !== this.timestamp) this.complete(); // the sender left out the marker
    if (this.skipping) {
      if (timestamp === this.skipTimestamp) {
        this.afterGap = false; // in step again: the next timestamp starts a frame
        if (marker) this.skipping = false;
        return;
      }
      this.skipping = false;
    }
    if (!this.assembling) {
      if (this.afterGap) {
        // The lost packets may have held this frame's start: take it only when it provably is one.
        this.afterGap = false;
        if (!this.startsFrame(payload)) {
          st.framesDropped++;
          if (!marker) this.skip(timestamp);
          return;
        }
      }
      this.assembling = true;
      this.size = 0;
      this.timestamp = timestamp;
      this.frameEnded = false;
      this.begin();
    }
    if (!this.packet(payload, marker)) {
      this.drop();
      if (!marker) this.skip(timestamp);
      return;
    }
    if (marker || this.frameEnded) this.complete();
  }

  /** Forgets the frame in progress and the sequence state (e.g. on an SSRC change or a restart). */
  reset(): void {
    if (this.assembling) this.drop();
    this.skipping = false;
    this.afterGap = false;
    this.expected = -1;
    this.waitingForKeyframe = this.waitForKeyframe;
  }

  /** Codec: true only when this payload certainly begins a frame (asked after a loss). */
  protected abstract startsFrame(payload: Uint8Array): boolean;
  /** Codec: a new frame starts (clear per-frame state). */
  protected abstract begin(): void;
  /** Codec: takes one payload into the frame; false = this frame is broken (the reason counted). */
  protected abstract packet(payload: Uint8Array, marker: boolean): boolean;
  /** Codec: the frame is complete; returns -1 (broken, counted), 0 (not a keyframe) or 1 (keyframe). */
  protected abstract finish(): number;

  /** Grows the frame buffer so `extra` more bytes fit; false (counted) past the cap. */
  protected ensure(extra: number): boolean {
    const need = this.size + extra;
    if (need <= this.buf.length) return true;
    if (need > this.maxFrameBytes) {
      this.stats.oversize++;
      return false;
    }
    let n = this.buf.length * 2;
    while (n < need) n *= 2;
    const next = new Uint8Array(Math.min(n, this.maxFrameBytes));
    next.set(this.buf.subarray(0, this.size));
    this.buf = next;
    return true;
  }

  /** Appends `src[start, end)` to the frame. */
  protected append(src: Uint8Array, start: number, end: number): boolean {
    if (!this.ensure(end - start)) return false;
    this.buf.set(src.subarray(start, end), this.size);
    this.size += end - start;
    return true;
  }

  private complete(): void {
    this.assembling = false;
    const key = this.finish();
    if (key < 0) {
      this.stats.framesDropped++;
      return;
    }
    if (this.size === 0) return; // nothing but parameter sets, or dropped units
    if (this.waitingForKeyframe) {
      if (key === 0) {
        this.stats.framesDropped++;
        return;
      }
      this.waitingForKeyframe = false;
    }
    this.stats.frames++;
    this.sink.onFrame(this.buf.subarray(0, this.size), this.timestamp, key === 1);
  }

  private drop(): void {
    this.assembling = false;
    this.size = 0;
    this.stats.framesDropped++;
  }

  private skip(timestamp: number): void {
    this.skipping = true;
    this.skipTimestamp = timestamp;
  }

  /** A gap: the frame in progress lost a packet. */
  private lose(): void {
    if (this.assembling) {
      this.drop();
      this.skip(this.timestamp);
    }
    this.afterGap = true;
    if (this.waitForKeyframe) this.waitingForKeyframe = true;
  }
}
