import { describe, expect, test } from "bun:test";
import { ByteRing } from "./byte-ring.ts";
import { PUMP_BLOCKED, PUMP_DONE, PUMP_LOST, PUMP_SKIPPED, RingCursor } from "./ring-cursor.ts";

function entry(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

describe("ByteRing", () => {
  test("entries are readable in order and evicted oldest first", () => {
    const r = new ByteRing(100, 8);
    for (let i = 0; i < 5; i++) r.append(entry(30, i), i === 0, i);
    // 100 bytes hold three 30-byte entries; entry 0 was a keyframe, so the ring grew instead of losing it.
    expect(r.grown).toBeGreaterThan(0);
    expect(r.has(0)).toBe(true);
    expect(r.view(4)[0]).toBe(4);
  });

  test("without a keyframe to protect, old entries go", () => {
    const r = new ByteRing(100, 8);
    for (let i = 0; i < 10; i++) r.append(entry(30, i), false, i);
    expect(r.grown).toBe(0);
    expect(r.has(9)).toBe(true);
    expect(r.has(5)).toBe(false);
    for (let s = r.tail; s < r.head; s++) expect(r.view(s)[0]).toBe(s);
  });

  test("slots wrap by mask and never hold more than capacity", () => {
    const r = new ByteRing(10_000, 4);
    for (let i = 0; i < 20; i++) r.append(entry(10, i), false, i);
    expect(r.head - r.tail).toBeLessThanOrEqual(4);
    expect(r.view(19)[0]).toBe(19);
  });

  test("the newest keyframe survives a GOP larger than the budget", () => {
    const r = new ByteRing(64, 4);
    r.append(entry(10, 1), true, 0);
    for (let i = 0; i < 30; i++) r.append(entry(10, 2), false, i);
    expect(r.has(0)).toBe(true);
    expect(r.lastKey).toBe(0);
    r.append(entry(10, 3), true, 31);
    expect(r.lastKey).toBe(31);
  });

  test("runEnd joins entries stored back to back", () => {
    const r = new ByteRing(1000, 16);
    for (let i = 0; i < 5; i++) r.append(entry(10, i), false, i);
    expect(r.runEnd(0, 1 << 20)).toBe(5);
    expect(r.runEnd(0, 15)).toBe(2);
  });
});

class Sink {
  chunks: Uint8Array[] = [];
  budget = Number.POSITIVE_INFINITY;
  write(data: Uint8Array, offset: number, length: number): number {
    const n = Math.min(length, this.budget);
    this.budget -= n;
    this.chunks.push(data.slice(offset, offset + n));
    return n;
  }
  bytes(): number[] {
    return this.chunks.flatMap((c) => [...c]);
  }
}

describe("RingCursor", () => {
  test("starts at the newest keyframe and sends contiguous entries in one write", () => {
    const r = new ByteRing(1000, 16);
    r.append(entry(2, 1), true, 0);
    r.append(entry(2, 2), false, 1);
    r.append(entry(2, 3), true, 2);
    r.append(entry(2, 4), false, 3);
    const c = new RingCursor(r);
    const s = new Sink();
    expect(c.pump(s, 1000)).toBe(PUMP_DONE);
    expect(s.chunks.length).toBe(1);
    expect(s.bytes()).toEqual([3, 3, 4, 4]);
  });

  test("waits for the first keyframe when there is none", () => {
    const r = new ByteRing(1000, 16);
    r.append(entry(1, 1), false, 0);
    const c = new RingCursor(r);
    r.append(entry(1, 2), false, 1);
    r.append(entry(1, 3), true, 2);
    r.append(entry(1, 4), false, 3);
    const s = new Sink();
    expect(c.pump(s, 1000)).toBe(PUMP_SKIPPED);
    expect(c.pump(s, 1000)).toBe(PUMP_DONE);
    expect(s.bytes()).toEqual([3, 4]);
  });

  test("a partial write resumes mid-entry", () => {
    const r = new ByteRing(1000, 16);
    r.append(new Uint8Array([1, 2, 3, 4]), true, 0);
    const c = new RingCursor(r);
    const s = new Sink();
    s.budget = 3;
    expect(c.pump(s, 1000)).toBe(PUMP_BLOCKED);
    s.budget = 100;
    r.append(new Uint8Array([5]), false, 1);
    expect(c.pump(s, 1000)).toBe(PUMP_DONE);
    expect(s.bytes()).toEqual([1, 2, 3, 4, 5]);
  });

  test("a reader too far behind skips to the newest keyframe", () => {
    const r = new ByteRing(10_000, 64);
    r.append(entry(1, 1), true, 0);
    const c = new RingCursor(r);
    for (let i = 1; i < 10; i++) r.append(entry(1, 10 + i), i === 5, i * 1000);
    const s = new Sink();
    expect(c.pump(s, 3000)).toBe(PUMP_SKIPPED);
    expect(c.seq).toBe(5);
    expect(c.pump(s, 3000)).toBe(PUMP_DONE);
    expect(s.bytes()).toEqual([15, 16, 17, 18, 19]);
  });

  test("a half-sent entry that was overwritten is lost", () => {
    const r = new ByteRing(32, 4);
    r.append(entry(8, 1), false, 0);
    const c = new RingCursor(r);
    c.waitKey = false;
    c.seq = 0;
    const s = new Sink();
    s.budget = 4;
    c.pump(s, 1e9);
    for (let i = 0; i < 8; i++) r.append(entry(8, 2), false, i);
    expect(c.pump(s, 1e9)).toBe(PUMP_LOST);
  });
});

describe("ByteRing retention", () => {
  test("entries younger than retainMs are kept: the ring grows instead", () => {
    const r = new ByteRing(1000, 8);
    r.retainMs = 1000;
    for (let i = 0; i < 100; i++) r.append(entry(50, i & 0xff), false, i * 10); // 1 s of entries, 5,000 bytes
    expect(r.tail).toBe(0);
    expect(r.buf.length).toBeGreaterThanOrEqual(5000);
    for (let i = 100; i < 300; i++) r.append(entry(50, i & 0xff), false, i * 10);
    // older than 1 s may go now; nothing younger did
    expect(r.time(r.head - 1) - r.time(r.tail)).toBeGreaterThanOrEqual(1000);
    expect(r.evicted).toBeGreaterThan(0);
  });
});
