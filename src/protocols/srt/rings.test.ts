import { describe, expect, test } from "bun:test";
import { ReceiveBuffer } from "./receive-buffer.ts";
import { SendBuffer } from "./send-buffer.ts";
import { seqStart, unwrapSeq, unwrapTimestamp, wireSeq, wireTimestamp } from "./seq.ts";

describe("sequence numbers and timestamps", () => {
  test("unwrap across the 31-bit wrap, both ways", () => {
    const start = seqStart(0x7ffffffe);
    expect(unwrapSeq(0x7fffffff, start)).toBe(start + 1);
    expect(unwrapSeq(0, start)).toBe(start + 2);
    expect(unwrapSeq(5, start + 2)).toBe(start + 7);
    expect(unwrapSeq(0x7ffffffd, start + 2)).toBe(start - 1);
    expect(wireSeq(start + 2)).toBe(0);
  });

  test("unwrap timestamps across 2^32", () => {
    expect(unwrapTimestamp(10, 0xfffffff0)).toBe(0x100000000 + 10);
    expect(unwrapTimestamp(0xfffffff0, 0x100000000 + 10)).toBe(0xfffffff0);
    expect(wireTimestamp(0x100000005 + 7, 7)).toBe(5);
    expect(wireTimestamp(5, 9)).toBe(0);
  });
});

describe("ReceiveBuffer", () => {
  const datagram = (seq: number, len: number) => {
    const d = new Uint8Array(16 + len);
    d.fill(seq & 0xff, 16);
    return d;
  };

  test("grows in powers of two up to its cap and keeps what it held", () => {
    const b = new ReceiveBuffer(1024, 16);
    for (let s = 100; s < 110; s++) b.put(s, datagram(s, 100), s * 10);
    expect(b.reserve(100, 100 + 600)).toBe(true);
    expect(b.slots).toBe(1024);
    for (let s = 100; s < 110; s++) {
      expect(b.has(s)).toBe(true);
      expect(b.payload(s)[0]).toBe(s & 0xff);
      expect(b.timestampOf(s)).toBe(s * 10);
    }
    expect(b.reserve(100, 100 + 1024)).toBe(false);
  });

  test("a slot reused by a later sequence number is not taken for the old one", () => {
    const b = new ReceiveBuffer(16, 16);
    b.put(3, datagram(3, 10), 0);
    b.release(3);
    b.put(19, datagram(19, 10), 0);
    expect(b.has(3)).toBe(false);
    expect(b.has(19)).toBe(true);
    expect(b.count).toBe(1);
  });

  test("payload views are reused while the length repeats", () => {
    const b = new ReceiveBuffer(16, 16);
    b.put(1, datagram(1, 1316), 0);
    const v = b.payload(1);
    b.release(1);
    b.put(17, datagram(17, 1316), 0);
    expect(b.payload(17)).toBe(v);
    expect(v[0]).toBe(17);
  });
});

describe("SendBuffer", () => {
  test("grows without losing stored packets", () => {
    const b = new SendBuffer(256, 4);
    for (let s = 10; s < 14; s++) {
      b.slot(s)[0] = s;
      b.store(s, 100 + s, s * 1000, s);
    }
    expect(b.reserve(10, 14)).toBe(true);
    expect(b.slots).toBe(8);
    for (let s = 10; s < 14; s++) expect([b.slot(s)[0], b.lengthOf(s), b.originOf(s), b.msgNoOf(s)]).toEqual([s, 100 + s, s * 1000, s]);
    expect(b.reserve(10, 10 + 256)).toBe(false);
  });
});
