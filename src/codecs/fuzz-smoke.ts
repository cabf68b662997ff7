/**
 * A small, deterministic mutation loop for unit tests: feeds a FuzzTarget its seeds and `iterations`
 * mutants of them (bit flips, interesting bytes, truncations, insertions, deletions, splices) from a
 * seeded PRNG, and reports anything thrown that is not a ProtocolError. The long-running fuzzer lives
 * elsewhere; this keeps every target honest on each `bun test`.
 */
import { ProtocolError } from "../core/errors.ts";
import type { FuzzTarget } from "../core/fuzz-target.ts";

export interface FuzzSmokeResult {
  runs: number;
  protocolErrors: number;
  /** Inputs that threw something other than ProtocolError, with what they threw. */
  crashes: { input: Uint8Array; error: unknown }[];
}

/** xorshift32: tiny, fast, reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x03, 0x1f, 0x20];

export function mutate(next: () => number, seeds: Uint8Array[], maxBytes: number): Uint8Array {
  let buf = Uint8Array.from(seeds[next() % seeds.length]!);
  const rounds = 1 + (next() % 4);
  for (let k = 0; k < rounds; k++) {
    const at = buf.length ? next() % buf.length : 0;
    switch (next() % 7) {
      case 0: // bit flip
        if (buf.length) buf[at] = buf[at]! ^ (1 << (next() % 8));
        break;
      case 1: // interesting byte
        if (buf.length) buf[at] = INTERESTING[next() % INTERESTING.length]!;
        break;
      case 2: // truncate
        buf = buf.subarray(0, at);
        break;
      case 3: { // insert random bytes
        const n = 1 + (next() % 8);
        const out = new Uint8Array(buf.length + n);
        out.set(buf.subarray(0, at));
        for (let i = 0; i < n; i++) out[at + i] = next() & 0xff;
        out.set(buf.subarray(at), at + n);
        buf = out;
        break;
      }
      case 4: { // delete a run
        const n = Math.min(1 + (next() % 8), buf.length - at);
        const out = new Uint8Array(buf.length - n);
        out.set(buf.subarray(0, at));
        out.set(buf.subarray(at + n), at);
        buf = out;
        break;
      }
      case 5: // random byte
        if (buf.length) buf[at] = next() & 0xff;
        break;
      default: { // splice the tail of another seed
        const other = seeds[next() % seeds.length]!;
        const from = other.length ? next() % other.length : 0;
        const out = new Uint8Array(at + other.length - from);
        out.set(buf.subarray(0, at));
        out.set(other.subarray(from), at);
        buf = out;
      }
    }
  }
  return buf.length > maxBytes ? buf.subarray(0, maxBytes) : buf;
}

export function fuzzSmoke(target: FuzzTarget, iterations = 2000, seed = 0x5eed): FuzzSmokeResult {
  const result: FuzzSmokeResult = { runs: 0, protocolErrors: 0, crashes: [] };
  const next = prng(seed);
  const max = target.maxInputBytes ?? 4096;
  const one = (input: Uint8Array) => {
    result.runs++;
    try {
      target.run(input);
    } catch (e) {
      if (e instanceof ProtocolError) result.protocolErrors++;
      else if (result.crashes.length < 5) result.crashes.push({ input: input.slice(), error: e });
    }
  };
  for (const s of target.seeds) one(s);
  if (target.seeds.length === 0) return result;
  for (let i = 0; i < iterations; i++) one(mutate(next, target.seeds, max));
  return result;
}
