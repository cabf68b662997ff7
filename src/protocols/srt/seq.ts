/**
 * Sequence numbers (31 bits) and timestamps (32 bits µs) are unwrapped once, on arrival, into plain
 * JS numbers that only grow; everything inside the session compares those. Unwrapped sequence
 * numbers start one modulo above the wire value so a packet slightly "before" the first one never
 * goes negative.
 */
import { SEQ_MASK, SEQ_MODULO, TIMESTAMP_MODULO } from "./wire/constants.ts";

const SEQ_HALF = SEQ_MODULO / 2;
const TS_HALF = TIMESTAMP_MODULO / 2;

/** The first unwrapped number for a wire sequence number. */
export function seqStart(wire: number): number {
  return (wire & SEQ_MASK) + SEQ_MODULO;
}

/** The unwrapped number nearest to `ref` whose low 31 bits are `wire`. */
export function unwrapSeq(wire: number, ref: number): number {
  let diff = (wire & SEQ_MASK) - (ref % SEQ_MODULO);
  if (diff > SEQ_HALF) diff -= SEQ_MODULO;
  else if (diff < -SEQ_HALF) diff += SEQ_MODULO;
  return ref + diff;
}

export function wireSeq(unwrapped: number): number {
  return unwrapped % SEQ_MODULO;
}

/** The unwrapped timestamp nearest to `ref` whose low 32 bits are `wire` (wraps every ~71.6 min). */
export function unwrapTimestamp(wire: number, ref: number): number {
  let diff = (wire >>> 0) - (ref % TIMESTAMP_MODULO);
  if (diff > TS_HALF) diff -= TIMESTAMP_MODULO;
  else if (diff < -TS_HALF) diff += TIMESTAMP_MODULO;
  return ref + diff;
}

/** Our timestamp field: microseconds since `startUs`, modulo 2^32. */
export function wireTimestamp(nowUs: number, startUs: number): number {
  return nowUs > startUs ? Math.floor(nowUs - startUs) >>> 0 : 0;
}
