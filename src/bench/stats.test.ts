import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatencyHistogram, ProcessCpuMeter, SelfCpuMeter, clockTicksPerSecond, cpuPercent, parseStatTicks, percentile, readProcessTicks } from "./stats.ts";

/** mulberry32: deterministic samples. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("LatencyHistogram", () => {
  test("empty: NaN percentiles, no samples", () => {
    const h = new LatencyHistogram();
    expect(h.percentile(50)).toBeNaN();
    expect(h.meanMs).toBeNaN();
    expect(h.count).toBe(0);
  });

  test("exact below 0.256 ms, exact min and max", () => {
    const h = new LatencyHistogram();
    for (const v of [0.001, 0.002, 0.1, 0.255]) h.record(v);
    expect(h.percentile(25)).toBeCloseTo(0.001, 6);
    expect(h.percentile(50)).toBeCloseTo(0.002, 6);
    expect(h.percentile(75)).toBeCloseTo(0.1, 6);
    expect(h.percentile(100)).toBe(0.255);
    expect(h.minMs).toBe(0.001);
  });

  test("percentiles within 1 % (or 1 µs) of the exact ones over five decades", () => {
    const h = new LatencyHistogram();
    const rand = rng(7);
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = 0.01 * 10 ** (5 * rand()); // 0.01 ms .. 1000 ms, log-uniform
      values.push(v);
      h.record(v);
    }
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const exact = percentile(values, p);
      expect(Math.abs(h.percentile(p) - exact)).toBeLessThan(0.01 * exact + 0.001);
    }
    expect(h.maxMs).toBe(Math.max(...values));
    expect(h.meanMs).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  test("negative values count as 0; huge values land in the last bucket", () => {
    const h = new LatencyHistogram();
    h.record(-3);
    h.record(1e12);
    expect(h.minMs).toBe(0);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(100)).toBe(1e12);
    expect(h.count).toBe(2);
  });

  test("merge adds counts", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 50; i++) a.record(i);
    for (let i = 51; i <= 100; i++) b.record(i);
    a.merge(b);
    expect(a.count).toBe(100);
    expect(Math.abs(a.percentile(50) - 50) / 50).toBeLessThan(0.01);
    expect(a.maxMs).toBe(100);
  });
});

describe("percentile", () => {
  test("nearest rank", () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("CPU", () => {
  const dir = mkdtempSync(join(tmpdir(), "spate-stats-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // proc(5) layout; the command name holds spaces and parentheses.
  const stat = (utime: number, stime: number) =>
    `4242 (spate (serve) x) S 1 4242 4242 0 -1 4194304 1000 0 0 0 ${utime} ${stime} 0 0 20 0 9 0 100 1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`;

  test("utime + stime from /proc/PID/stat, fields counted after the last ')'", () => {
    expect(parseStatTicks(stat(120, 30))).toBe(150);
    expect(parseStatTicks("garbage")).toBeNull();
  });

  test("a process's CPU over a window, as % of one core", () => {
    mkdirSync(join(dir, "4242"));
    writeFileSync(join(dir, "4242", "stat"), stat(100, 20));
    const m = new ProcessCpuMeter(4242, 100, dir);
    m.start(10_000);
    writeFileSync(join(dir, "4242", "stat"), stat(140, 30)); // 50 ticks = 500 ms of CPU
    expect(m.stop(11_000)).toBeCloseTo(50, 6);
  });

  test("a gone process gives NaN", () => {
    expect(readProcessTicks(4243, dir)).toBeNull();
    const m = new ProcessCpuMeter(4243, 100, dir);
    m.start(0);
    expect(m.stop(1000)).toBeNaN();
  });

  test("our own pid reads from the real /proc", () => {
    expect(readProcessTicks(process.pid)).toBeGreaterThanOrEqual(0);
    expect(clockTicksPerSecond()).toBe(100);
  });

  test("this process's CPU is finite and positive after some work", () => {
    const m = new SelfCpuMeter();
    const t0 = performance.now();
    m.start(t0);
    let x = 0;
    while (performance.now() - t0 < 30) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const pct = m.stop(performance.now());
    expect(Number.isFinite(pct)).toBe(true);
    expect(pct).toBeGreaterThan(0);
    expect(cpuPercent(500, 1000)).toBe(50);
  });
});
