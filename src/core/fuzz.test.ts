import { describe, expect, test } from "bun:test";
import { ProtocolError } from "./errors.ts";
import { crashKey, fuzz, mulberry32, mutate, runInput } from "./fuzz.ts";
import type { FuzzTarget } from "./fuzz-target.ts";

/** A toy decoder: a 1-byte type, then a 2-byte big-endian length and that many bytes. */
function decode(input: Uint8Array): number {
  if (input.length < 3) throw new ProtocolError("toy", "short", `${input.length} bytes < 3`);
  const length = (input[1]! << 8) | input[2]!;
  if (length > input.length - 3) throw new ProtocolError("toy", "length", `length ${length} > ${input.length - 3}`);
  return length;
}
const seeds = [Uint8Array.of(1, 0, 2, 9, 9), Uint8Array.of(2, 0, 0)];

describe("mulberry32", () => {
  test("is deterministic per seed and spreads values", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(new Set(xs).size).toBe(1000);
    const r = mulberry32(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[r.below(4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe("mutate", () => {
  test("changes the input, never grows past maxBytes, and does not touch the original", () => {
    const rng = mulberry32(3);
    const input = new Uint8Array(100).fill(7);
    let changed = 0;
    const lengths = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const out = mutate(input, rng, { maxBytes: 120, seeds });
      expect(out.length).toBeLessThanOrEqual(120);
      lengths.add(out.length);
      if (out.length !== input.length || out.some((v, j) => v !== input[j])) changed++;
    }
    expect(input.every((v) => v === 7)).toBe(true);
    expect(changed).toBeGreaterThan(4500);
    expect(lengths.has(0) || lengths.has(1)).toBe(true); // truncation happens
    expect([...lengths].some((n) => n > 100)).toBe(true); // so does growth
  });

  test("inputs longer than maxBytes are cut", () => {
    const out = mutate(new Uint8Array(10_000), mulberry32(1), { maxBytes: 64 });
    expect(out.length).toBeLessThanOrEqual(64);
  });

  test("the empty input can grow", () => {
    const rng = mulberry32(5);
    expect(Array.from({ length: 200 }, () => mutate(new Uint8Array(0), rng).length).some((n) => n > 0)).toBe(true);
  });
});

describe("fuzz", () => {
  test("a decoder that only throws ProtocolError is clean", () => {
    const target: FuzzTarget = { name: "toy/clean", seeds, run: decode };
    const r = fuzz(target, { iterations: 3000, seed: 1 });
    expect(r.iterations).toBe(3000);
    expect(r.crashes).toEqual([]);
    expect(r.crashCount).toBe(0);
    expect(r.hangs).toEqual([]);
    expect(r.slowestMs).toBeGreaterThanOrEqual(0);
    expect(typeof r.rssGrowthBytes).toBe("number");
  });

  test("a TypeError on some inputs is caught as a crash, with the input that caused it", () => {
    const buggy = (input: Uint8Array) => {
      const length = decode(input);
      // The bug: trusts a type byte of 0xff to carry a nested record.
      if (input[0] === 0xff) return (undefined as unknown as { x: number }).x + length;
      return length;
    };
    const r = fuzz({ name: "toy/buggy", seeds, run: buggy }, { iterations: 3000, seed: 1 });
    expect(r.crashCount).toBeGreaterThan(0);
    expect(r.crashes.length).toBe(1); // one bug, one entry
    const [crash] = r.crashes;
    expect(crash!.error).toBeInstanceOf(TypeError);
    expect(crash!.input[0]).toBe(0xff);
    expect(runInput({ name: "toy/buggy", seeds, run: buggy }, crash!.input).error).toBeInstanceOf(TypeError);
  });

  test("thrown non-errors and async targets are crashes too", () => {
    const throwsString = () => {
      throw "nope";
    };
    expect(runInput({ name: "s", seeds: [], run: throwsString }, new Uint8Array(1)).error).toBe("nope");
    expect(runInput({ name: "a", seeds: [], run: async () => 1 }, new Uint8Array(1)).error).toBeInstanceOf(Error);
    expect(runInput({ name: "p", seeds: [], run: decode }, new Uint8Array(1))).toMatchObject({ rejected: true });
  });

  test("a slow input is reported as a hang", () => {
    const slow = (input: Uint8Array) => {
      if (input.length > 5) {
        const until = performance.now() + 12;
        while (performance.now() < until);
      }
      return decode(input);
    };
    const r = fuzz({ name: "toy/slow", seeds, run: slow }, { iterations: 40, seed: 2, perInputLimitMs: 10 });
    expect(r.hangs.length).toBeGreaterThan(0);
    expect(r.hangs[0]!.input.length).toBeGreaterThan(5);
    expect(r.slowestMs).toBeGreaterThanOrEqual(10);
    expect(r.crashes).toEqual([]);
  });

  test("timeLimitMs stops early; the same seed replays the same inputs", () => {
    const slowish = (input: Uint8Array) => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      return decode(input);
    };
    const r = fuzz({ name: "t", seeds, run: slowish }, { iterations: 1e6, timeLimitMs: 50 });
    expect(r.iterations).toBeLessThan(1e6);
    const seen = (seed: number) => {
      const inputs: number[][] = [];
      fuzz({ name: "r", seeds, run: (i) => inputs.push([...i]) }, { iterations: 100, seed });
      return inputs;
    };
    expect(seen(9)).toEqual(seen(9));
    expect(seen(9)).not.toEqual(seen(10));
  });

  test("crashKey blurs numbers so one bug is one entry", () => {
    expect(crashKey(new RangeError("offset 13 out of range"))).toBe(crashKey(new RangeError("offset 2 out of range")));
    expect(crashKey(new TypeError("x"))).not.toBe(crashKey(new RangeError("x")));
  });
});
