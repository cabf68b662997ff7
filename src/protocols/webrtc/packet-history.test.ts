import { describe, expect, test } from "bun:test";
import { ByteRing } from "../../core/byte-ring.ts";
import { PacketHistory } from "./packet-history.ts";

/** A ring entry of `packets` 100-byte packets filled with their sequence number's low byte. */
function pushEntry(ring: ByteRing, h: PacketHistory, firstSeq: number, packets: number, timeMs = 0): number {
  const bytes = ring.reserve(packets * 100);
  for (let i = 0; i < packets; i++) bytes.fill((firstSeq + i) & 0xff, i * 100, i * 100 + 100);
  const entry = ring.commit(0, packets * 100, false, timeMs);
  for (let i = 0; i < packets; i++) h.add((firstSeq + i) & 0xffff, entry, i * 100, 100);
  return entry;
}

describe("PacketHistory", () => {
  test("finds packets across the 16-bit wrap, by their place in the ring", () => {
    const ring = new ByteRing(1 << 16, 64);
    const h = new PacketHistory(ring, 64);
    pushEntry(ring, h, 65_530, 10);
    for (let i = 0; i < 10; i++) {
      const seq = (65_530 + i) & 0xffff;
      const at = h.find(seq);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(h.length).toBe(100);
      expect(ring.buf.subarray(at, at + h.length).every((b) => b === (seq & 0xff))).toBe(true);
    }
    expect(h.hits).toBe(10);
    expect(h.find(4)).toBe(-1); // never sent
    expect(h.misses).toBe(1);
  });

  test("a slot reused by a newer packet, an entry the ring evicted and a cleared history are misses", () => {
    const ring = new ByteRing(1 << 16, 64);
    const h = new PacketHistory(ring, 16);
    pushEntry(ring, h, 0, 10);
    pushEntry(ring, h, 10, 10); // slots 0..3 now hold 16..19
    expect(h.find(2)).toBe(-1);
    expect(h.find(18)).toBeGreaterThanOrEqual(0);
    h.clear();
    expect(h.find(18)).toBe(-1);
    expect(h.misses).toBe(2);

    const small = new ByteRing(4096, 64);
    const big = new PacketHistory(small, 1024); // names every packet: only the ring forgets them
    let s = 0;
    for (; small.tail === 0; s += 10) pushEntry(small, big, s, 10);
    expect(big.find(s - 1)).toBeGreaterThanOrEqual(0);
    expect(big.find(0)).toBe(-1);
    expect(big.find(small.tail * 10 - 1)).toBe(-1); // last packet of the newest evicted entry
    expect(big.find(small.tail * 10)).toBeGreaterThanOrEqual(0); // first of the oldest held
    expect(big.misses).toBe(2);
  });

  test("positions survive the ring growing (entries compacted)", () => {
    const ring = new ByteRing(2048, 4);
    ring.retainMs = 1e9; // keep everything: the ring grows instead of evicting
    const h = new PacketHistory(ring, 64);
    for (let s = 0; s < 40; s += 5) pushEntry(ring, h, s, 5, s);
    expect(ring.grown).toBeGreaterThan(0);
    for (let s = 0; s < 40; s++) {
      const at = h.find(s);
      expect(ring.buf.subarray(at, at + 100).every((b) => b === s)).toBe(true);
    }
  });

  test("sizes must be powers of two", () => {
    expect(() => new PacketHistory(new ByteRing(1024, 4), 100)).toThrow();
  });
});
