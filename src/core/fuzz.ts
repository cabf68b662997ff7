/**
 * The shared fuzz harness: a seeded PRNG, a byte mutator, and `fuzz()` which feeds a FuzzTarget
 * mutated seeds and reports crashes (anything thrown that is not a ProtocolError), hangs (inputs
 * slower than a limit) and RSS growth. No coverage feedback: mutations stack on seeds and on earlier
 * inputs the decoder accepted. Pure apart from the clock and process memory; the runner
 * (scripts/fuzz.ts) discovers targets and writes crashers.
 */
import { concatBytes } from "./bytes.ts";
import { ProtocolError } from "./errors.ts";
import type { FuzzTarget } from "./fuzz-target.ts";

export const DEFAULT_MAX_INPUT_BYTES = 4096;
export const DEFAULT_PER_INPUT_LIMIT_MS = 200;

export interface Rng {
  /** Uniform uint32. */
  next(): number;
  /** Uniform integer in [0, n). */
  below(n: number): number;
}

/** mulberry32: tiny, fast, good enough to drive a mutator; the same seed gives the same run. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { next, below: (n) => (n <= 1 ? 0 : next() % n) };
}

const INTERESTING_8 = [0, 0xff, 0x7f, 0x80, 1, 0xfe];
/** Values that break length checks when read as 16- or 32-bit fields. */
const INTERESTING_32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 0x7fff, 0x8000, 0x10000, 1];


/**
 * A new input derived from `input` by 1..4 stacked mutations: bit flips, bytes set to interesting
 * or random values, 16/32-bit fields set to interesting values, truncation, deletion or duplication
 * of a slice, insertion of random bytes, splicing with another seed. Never longer than maxBytes.
 */
export function mutate(
  input: Uint8Array,
  rng: Rng,
  opts: { maxBytes?: number; seeds?: readonly Uint8Array[] } = {},
): Uint8Array {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let out: Uint8Array = Uint8Array.from(input.subarray(0, maxBytes));
  const count = 1 + rng.below(4);
  for (let m = 0; m < count; m++) {
    const len = out.length;
    const at = rng.below(len);
    switch (rng.below(11)) {
      case 0:
        if (len) out[at] = out[at]! ^ (1 << rng.below(8));
        break;
      case 1:
        if (len) out[at] = INTERESTING_8[rng.below(INTERESTING_8.length)]!;
        break;
      case 2:
        if (len) out[at] = rng.below(256);
        break;
      case 3:
        if (len) out[at] = (out[at]! + 1 + rng.below(16) * (rng.below(2) ? 1 : -1)) & 0xff;
        break;
      case 4: {
        const width = rng.below(2) ? 2 : 4;
        if (len < width) break;
        const pos = rng.below(len - width + 1);
        const v = INTERESTING_32[rng.below(INTERESTING_32.length)]!;
        const view = new DataView(out.buffer, out.byteOffset, len);
        const le = rng.below(2) === 1;
        if (width === 2) view.setUint16(pos, v & 0xffff, le);
        else view.setUint32(pos, v >>> 0, le);
        break;
      }
      case 5:
        out = out.subarray(0, rng.below(len + 1));
        break;
      case 6: {
        const end = at + 1 + rng.below(Math.max(1, len - at));
        out = concatBytes([out.subarray(0, at), out.subarray(Math.min(end, len))]);
        break;
      }
      case 7: {
        const start = rng.below(len + 1);
        const slice = out.subarray(start, start + 1 + rng.below(64));
        const pos = rng.below(len + 1);
        out = concatBytes([out.subarray(0, pos), slice, out.subarray(pos)]);
        break;
      }
      case 8: {
        const bytes = new Uint8Array(1 + rng.below(16));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.below(256);
        const pos = rng.below(len + 1);
        out = concatBytes([out.subarray(0, pos), bytes, out.subarray(pos)]);
        break;
      }
      case 9: {
        const seeds = opts.seeds ?? [];
        if (!seeds.length) break;
        const other = seeds[rng.below(seeds.length)]!;
        out = concatBytes([out.subarray(0, rng.below(len + 1)), other.subarray(rng.below(other.length + 1))]);
        break;
      }
      case 10:
        if (len) out[at] = out[rng.below(len)]!;
        break;
    }
    if (out.length > maxBytes) out = out.subarray(0, maxBytes);
  }
  return out;
}

export interface FuzzOptions {
  iterations: number;
  seed?: number;
  /** Stop early after this long (the result says how many inputs ran). */
  timeLimitMs?: number;
  /** An input slower than this is a hang (default 200 ms). */
  perInputLimitMs?: number;
}

export interface FuzzCrash {
  input: Uint8Array;
  error: unknown;
}

export interface FuzzResult {
  name: string;
  iterations: number;
  /** One per distinct error (smallest input kept); `crashCount` counts them all. */
  crashes: FuzzCrash[];
  crashCount: number;
  hangs: { input: Uint8Array; ms: number }[];
  slowestMs: number;
  rssGrowthBytes: number;
  elapsedMs: number;
}

/**
 * Runs one input. `error` is set only for a crash; a ProtocolError is the target's proper refusal
 * (`rejected`).
 */
export function runInput(target: FuzzTarget, input: Uint8Array): { error?: unknown; rejected: boolean; ms: number } {
  const start = performance.now();
  try {
    const result = target.run(input) as { then?: unknown } | undefined;
    if (result && typeof result.then === "function") {
      const error = new Error("fuzz target returned a Promise; run() must be synchronous");
      return { error, rejected: false, ms: performance.now() - start };
    }
    return { rejected: false, ms: performance.now() - start };
  } catch (e) {
    const rejected = e instanceof ProtocolError;
    return { error: rejected ? undefined : e, rejected, ms: performance.now() - start };
  }
}

const MAX_UNIQUE_CRASHES = 20;
const MAX_HANGS = 20;
const POOL_SIZE = 256;

/** A crash's identity: its type and message with numbers blurred, so one bug is one entry. */
export function crashKey(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown ${typeof error}: ${String(error)}`;
  return text.split("\n")[0]!.replace(/\d+/g, "N");
}

export function fuzz(target: FuzzTarget, opts: FuzzOptions): FuzzResult {
  const rng = mulberry32(opts.seed ?? 1);
  const maxBytes = target.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const limitMs = opts.perInputLimitMs ?? DEFAULT_PER_INPUT_LIMIT_MS;
  const seeds = target.seeds.length ? target.seeds : [new Uint8Array(0)];
  const pool: Uint8Array[] = [];
  const crashes = new Map<string, FuzzCrash>();
  const hangs: FuzzResult["hangs"] = [];
  let crashCount = 0;
  let slowestMs = 0;
  Bun.gc(true);
  const rssBefore = process.memoryUsage.rss();
  const start = performance.now();
  let i = 0;
  for (; i < opts.iterations; i++) {
    if (opts.timeLimitMs !== undefined && performance.now() - start > opts.timeLimitMs) break;
    let input: Uint8Array;
    if (i < seeds.length) input = Uint8Array.from(seeds[i]!); // the seeds themselves first, unmutated
    else {
      const base = pool.length && rng.below(2) ? pool[rng.below(pool.length)]! : seeds[rng.below(seeds.length)]!;
      input = mutate(base, rng, { maxBytes, seeds });
    }
    const kept = Uint8Array.from(input); // the target may scribble on its input
    const { error, rejected, ms } = runInput(target, input);
    if (ms > slowestMs) slowestMs = ms;
    if (ms > limitMs && hangs.length < MAX_HANGS) hangs.push({ input: kept, ms });
    if (error !== undefined) {
      crashCount++;
      const key = crashKey(error);
      const prev = crashes.get(key);
      if (prev ? kept.length < prev.input.length : crashes.size < MAX_UNIQUE_CRASHES) crashes.set(key, { input: kept, error });
    } else if (!rejected) {
      if (pool.length < POOL_SIZE) pool.push(kept);
      else if (rng.below(4) === 0) pool[rng.below(POOL_SIZE)] = kept;
    }
  }
  const elapsedMs = performance.now() - start;
  Bun.gc(true);
  return {
    name: target.name,
    iterations: i,
    crashes: [...crashes.values()],
    crashCount,
    hangs,
    slowestMs,
    rssGrowthBytes: process.memoryUsage.rss() - rssBefore,
    elapsedMs,
  };
}
