/**
 * RFC 3711 §3.3.2: the receiver's replay list as a sliding window of 64 indices below the highest
 * one authenticated (the minimum §3.3.2 asks for, and libsrtp's default for SRTP). The 64 bits are
 * two 32-bit words so no BigInt is needed: bit k says index `max - k` was seen.
 */
export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  /** Highest index accepted; -1 before the first. */
  max: number;
  /** Bits 0..31 and 32..63 of the window. */
  lo: number;
  hi: number;

  constructor(max = -1, lo = 0, hi = 0) {
    this.max = max;
    this.lo = lo;
    this.hi = hi;
  }

  /** True when `index` is new: above the window, or inside it and not seen yet. */
  check(index: number): boolean {
    if (this.max < 0) return true;
    const d = this.max - index;
    if (d < 0) return true;
    if (d >= REPLAY_WINDOW_SIZE) return false;
    const bit = d < 32 ? (this.lo >>> d) & 1 : (this.hi >>> (d - 32)) & 1;
    return bit === 0;
  }

  /** Records `index` (call only after the packet authenticated, and after check() said yes). */
  accept(index: number): void {
    if (index > this.max) {
      const shift = index - this.max;
      if (this.max < 0 || shift >= REPLAY_WINDOW_SIZE) {
        this.lo = 0;
        this.hi = 0;
      } else if (shift >= 32) {
        this.hi = (this.lo << (shift - 32)) >>> 0;
        this.lo = 0;
      } else {
        this.hi = ((this.hi << shift) | (this.lo >>> (32 - shift))) >>> 0;
        this.lo = (this.lo << shift) >>> 0;
      }
      this.lo = (this.lo | 1) >>> 0;
      this.max = index;
      return;
    }
    const d = this.max - index;
    if (d < 32) this.lo = (this.lo | (1 << d)) >>> 0;
    else if (d < REPLAY_WINDOW_SIZE) this.hi = (this.hi | (1 << (d - 32))) >>> 0;
  }
}
