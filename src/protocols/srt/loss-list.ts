/**
 * The receiver's loss list (draft-sharabayko-srt-01 §4.8.2): sorted, disjoint ranges of unwrapped
 * sequence numbers still awaited, in preallocated arrays. New losses are always beyond every
 * range already held (they come from gaps past the highest sequence received). When the list is
 * full the oldest range is given up: the receive side then treats it as dropped.
 *
 * Each range remembers when it was last reported, so the periodic NAK can ask for a range again
 * exactly when a retransmission could have come back, and not in between (see `fillDue`).
 */
import type { LossReport } from "./wire/control.ts";
import { wireSeq } from "./seq.ts";

export const MAX_LOSS_RANGES = 1024;

export class LossList {
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  /** When each range was last reported (µs), and whether its follow-up report is still due. */
  private readonly nakUs: Float64Array;
  private readonly repeat: Uint8Array;
  private n: number;
  /** Sequence numbers held, summed over the ranges. */
  size: number;

  constructor(capacity = MAX_LOSS_RANGES) {
    this.first = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.nakUs = new Float64Array(capacity);
    this.repeat = new Uint8Array(capacity);
    this.n = 0;
    this.size = 0;
  }

  get rangeCount(): number {
    return this.n;
  }

  isEmpty(): boolean {
    return this.n === 0;
  }

  /** The lowest sequence number awaited, or -1. */
  firstSeq(): number {
    return this.n ? this.first[0]! : -1;
  }

  /** The end of the range that starts the list, or -1. */
  firstRangeLast(): number {
    return this.n ? this.last[0]! : -1;
  }

  clear(): void {
    this.n = 0;
    this.size = 0;
  }

  /** Appends [first, last], which must lie past every range held, reported at `nowUs`. */
  append(first: number, last: number, nowUs = 0): void {
    if (this.n && first <= this.last[this.n - 1]! + 1) {
      const prev = this.last[this.n - 1]!;
      if (last > prev) {
        this.size += last - prev;
        this.last[this.n - 1] = last;
      }
      return;
    }
    if (this.n === this.first.length) this.dropFirstRange();
    this.first[this.n] = first;
    this.last[this.n] = last;
    this.nakUs[this.n] = nowUs;
    this.repeat[this.n] = 1;
    this.n++;
    this.size += last - first + 1;
  }

  has(seq: number): boolean {
    const i = this.find(seq);
    return i >= 0;
  }

  /** Removes one sequence number (a packet arrived); true if it was awaited. */
  remove(seq: number): boolean {
    return this.removeRange(seq, seq) === 1;
  }

  /** Removes everything in [from, to]; returns how many were held. */
  removeRange(from: number, to: number): number {
    let removed = 0;
    let i = 0;
    while (i < this.n) {
      const first = this.first[i]!;
      const last = this.last[i]!;
      if (first > to) break;
      if (last < from) {
        i++;
        continue;
      }
      const lo = Math.max(first, from);
      const hi = Math.min(last, to);
      removed += hi - lo + 1;
      if (lo === first && hi === last) {
        this.removeAt(i);
        continue;
      }
      if (lo === first) this.first[i] = hi + 1;
      else if (hi === last) this.last[i] = lo - 1;
      else {
        if (this.n === this.first.length) {
          // Full: give up the oldest range to make room for the split.
          this.size -= removed - (hi - lo + 1);
          this.dropFirstRange();
          return removed - (hi - lo + 1) + this.removeRange(from, to);
        }
        this.shift(i + 1, i, this.n);
        this.n++;
        this.last[i] = lo - 1;
        this.first[i + 1] = hi + 1;
      }
      i++;
    }
    this.size -= removed;
    return removed;
  }

  /** Forgets everything below `seq`; returns how many sequence numbers that was. */
  removeBelow(seq: number): number {
    let removed = 0;
    let k = 0;
    while (k < this.n && this.last[k]! < seq) {
      removed += this.last[k]! - this.first[k]! + 1;
      k++;
    }
    if (k) {
      this.shift(0, k, this.n);
      this.n -= k;
    }
    if (this.n && this.first[0]! < seq) {
      removed += seq - this.first[0]!;
      this.first[0] = seq;
    }
    this.size -= removed;
    return removed;
  }

  /** Fills a NAK loss report with as many ranges as fit, oldest first. */
  fillReport(r: LossReport): void {
    r.clear();
    for (let i = 0; i < this.n; i++) if (!r.add(wireSeq(this.first[i]!), wireSeq(this.last[i]!))) break;
  }

  /**
   * Fills a NAK loss report with the ranges due again, oldest first; false when none is. A range is
   * due `renakUs` after it was last reported, then once more one `followUpUs` later: a sender that
   * ignores a NAK for a packet it retransmitted less than its gate ago (libsrt: SRTT − 4·RTTVar)
   * takes one of the two, and a lost NAK costs only `followUpUs`.
   */
  fillDue(r: LossReport, nowUs: number, renakUs: number, followUpUs: number): boolean {
    r.clear();
    for (let i = 0; i < this.n; i++) {
      const age = nowUs - this.nakUs[i]!;
      if (age >= renakUs) {
        this.nakUs[i] = nowUs;
        this.repeat[i] = 1;
      } else if (this.repeat[i] && age >= followUpUs) {
        this.repeat[i] = 0;
      } else continue;
      if (!r.add(wireSeq(this.first[i]!), wireSeq(this.last[i]!))) break;
    }
    return r.count > 0;
  }

  private shift(target: number, start: number, end: number): void {
    this.first.copyWithin(target, start, end);
    this.last.copyWithin(target, start, end);
    this.nakUs.copyWithin(target, start, end);
    this.repeat.copyWithin(target, start, end);
  }

  private find(seq: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.last[mid]! < seq) lo = mid + 1;
      else if (this.first[mid]! > seq) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  private removeAt(i: number): void {
    this.shift(i, i + 1, this.n);
    this.n--;
  }

  private dropFirstRange(): void {
    this.size -= this.last[0]! - this.first[0]! + 1;
    this.removeAt(0);
  }
}
