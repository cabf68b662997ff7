/**
 * 33-bit PTS/DTS unwrapping and exact conversions between the 90 kHz TS clock and a track clock.
 */
import { TIMESTAMP_WRAP } from "./pes.ts";

export const TS_CLOCK = 90_000;
const HALF_WRAP = TIMESTAMP_WRAP / 2;

/**
 * Unwraps 33-bit timestamps into a monotonic line: each value is placed at the 2^33 multiple nearest
 * the previous one, so a stream runs on across the 26.5-hour wrap, and a value slightly behind (a PTS
 * before the DTS of another track) stays behind. One instance per demuxer: every PID shares the
 * line, so the tracks stay in sync. The first value is taken as is.
 */
export class TimestampUnwrapper {
  private last: number;

  constructor() {
    this.last = Number.NaN;
  }

  reset(): void {
    this.last = Number.NaN;
  }

  /** The unwrapped value of `ts33`; `advance` moves the reference (pass false for a PTS beside its DTS). */
  unwrap(ts33: number, advance: boolean): number {
    const last = this.last;
    let out: number;
    if (Number.isNaN(last)) out = ts33;
    else {
      let diff = ts33 - (((last % TIMESTAMP_WRAP) + TIMESTAMP_WRAP) % TIMESTAMP_WRAP);
      if (diff >= HALF_WRAP) diff -= TIMESTAMP_WRAP;
      else if (diff < -HALF_WRAP) diff += TIMESTAMP_WRAP;
      out = last + diff;
    }
    if (advance || Number.isNaN(last)) this.last = out;
    return out;
  }
}

/** round(ticks × to / from) without losing precision on large values (split at whole seconds). */
export function rescale(ticks: number, from: number, to: number): number {
  if (from === to) return ticks;
  const sec = Math.floor(ticks / from);
  const rem = ticks - sec * from;
  return sec * to + Math.round((rem * to) / from);
}
