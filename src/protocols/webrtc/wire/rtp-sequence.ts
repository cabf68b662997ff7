/**
 * 16-bit RTP sequence numbers and 32-bit timestamps (RFC 3550 §5.1, Appendix A.1) unwrapped once
 * into plain increasing numbers, and the wrap-aware comparisons for the rest.
 */

/** Signed distance a - b between two 16-bit sequence numbers, in [-32768, 32767]. */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** a comes after b (RFC 1982 serial number arithmetic on 16 bits). */
export function seqNewer(a: number, b: number): boolean {
  return seqDelta(a, b) > 0;
}

/** Signed distance a - b between two 32-bit RTP timestamps. */
export function timestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * 16-bit sequence numbers to extended ones: the first is itself, each later one is the previous
 * plus the signed 16-bit distance, so reordered packets unwrap below the newest. A packet older
 * than the first can unwrap negative.
 */
export class SequenceUnwrapper {
  /** The newest extended sequence number, NaN before the first. */
  last: number;

  constructor() {
    this.last = NaN;
  }

  unwrap(seq: number): number {
    if (this.last !== this.last) {
      this.last = seq & 0xffff;
      return this.last;
    }
    const ext = this.last + seqDelta(seq, this.last);
    if (ext > this.last) this.last = ext;
    return ext;
  }
}

/** 32-bit RTP timestamps to extended ones, the same way. */
export class TimestampUnwrapper {
  last: number;

  constructor() {
    this.last = NaN;
  }

  unwrap(ts: number): number {
    if (this.last !== this.last) {
      this.last = ts >>> 0;
      return this.last;
    }
    const ext = this.last + timestampDelta(ts, this.last);
    if (ext > this.last) this.last = ext;
    return ext;
  }
}

/** An RTP timestamp `us` microseconds after `base` in a `clockRate` Hz clock, wrapped to 32 bits. */
export function rtpTimestampAt(base: number, us: number, clockRate: number): number {
  return (base + Math.round((us * clockRate) / 1e6)) % 0x100000000 >>> 0;
}

/** Microseconds spanned by a (signed) RTP timestamp difference. */
export function rtpTicksToUs(ticks: number, clockRate: number): number {
  return (ticks * 1e6) / clockRate;
}
