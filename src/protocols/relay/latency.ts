/**
 * A window of the newest latency samples (ms) for the API: a preallocated ring written per frame
 * (no allocation), percentiles computed only when asked.
 */
const SAMPLES = 1024;

export class LatencyWindow {
  private readonly samples = new Float64Array(SAMPLES);
  private count = 0;
  last = 0;

  add(ms: number): void {
    this.samples[this.count++ & (SAMPLES - 1)] = ms;
    this.last = ms;
  }

  /** Samples added since the start. */
  get total(): number {
    return this.count;
  }

  /**
   * Appends the samples added since `from` (a previous `total`) to `out`; returns the new total.
   * Read at least every SAMPLES samples, or the oldest are gone (a bench polls it every second).
   */
  drainInto(out: number[], from: number): number {
    for (let i = Math.max(from, this.count - SAMPLES); i < this.count; i++) out.push(this.samples[i & (SAMPLES - 1)]!);
    return this.count;
  }

  get size(): number {
    return Math.min(this.count, SAMPLES);
  }

  /** p50, p99 and max of the window in ms (rounded to µs), null before the first sample. */
  summary(): { p50: number; p99: number; max: number; last: number; samples: number } | null {
    const n = this.size;
    if (n === 0) return null;
    const sorted = this.samples.slice(0, n).sort();
    const at = (q: number) => round3(sorted[Math.min(n - 1, Math.floor(q * n))]!);
    return { p50: at(0.5), p99: at(0.99), max: round3(sorted[n - 1]!), last: round3(this.last), samples: n };
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
