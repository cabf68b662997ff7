/**
 * Samples of a non-lead track (audio next to video) waiting for the part whose time range they fall
 * in: the part's end is known only when the video part closes. A FIFO of parallel arrays, grown by
 * doubling and compacted in place; payloads are views into the stream's ring (valid: the ring keeps
 * everything since the newest keyframe, and the queue holds less than a part).
 */
import { EMPTY } from "../../core/frame.ts";

export class SampleQueue {
  dts: Float64Array;
  pts: Float64Array;
  payloads: Uint8Array[];
  /** Index of the oldest queued sample. */
  start: number;
  /** One past the newest. */
  end: number;

  constructor(capacity = 64) {
    this.dts = new Float64Array(capacity);
    this.pts = new Float64Array(capacity);
    this.payloads = new Array<Uint8Array>(capacity).fill(EMPTY);
    this.start = 0;
    this.end = 0;
  }

  get length(): number {
    return this.end - this.start;
  }

  push(dts: number, pts: number, payload: Uint8Array): void {
    if (this.end === this.dts.length) this.makeRoom();
    const i = this.end++;
    this.dts[i] = dts;
    this.pts[i] = pts;
    this.payloads[i] = payload;
  }

  /** Drops the oldest sample. */
  shift(): void {
    this.payloads[this.start++] = EMPTY;
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    for (let i = this.start; i < this.end; i++) this.payloads[i] = EMPTY;
    this.start = this.end = 0;
  }

  private makeRoom(): void {
    const n = this.length;
    if (this.start > 0 && n <= this.dts.length >> 1) {
      this.dts.copyWithin(0, this.start, this.end);
      this.pts.copyWithin(0, this.start, this.end);
      for (let i = 0; i < n; i++) this.payloads[i] = this.payloads[this.start + i]!;
      for (let i = n; i < this.end; i++) this.payloads[i] = EMPTY;
    } else {
      const cap = this.dts.length * 2;
      const dts = new Float64Array(cap);
      dts.set(this.dts.subarray(this.start, this.end));
      const pts = new Float64Array(cap);
      pts.set(this.pts.subarray(this.start, this.end));
      const payloads = new Array<Uint8Array>(cap).fill(EMPTY);
      for (let i = 0; i < n; i++) payloads[i] = this.payloads[this.start + i]!;
      this.dts = dts;
      this.pts = pts;
      this.payloads = payloads;
    }
    this.start = 0;
    this.end = n;
  }
}
