import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { Ack, decodeAck, decodeDropRequest, decodeLossReport, DropRequest, LossReport } from "./control.ts";
import { CTRL_ACK, CTRL_DROPREQ, CTRL_NAK, HEADER_SIZE, MAX_LOSS_LIST_WORDS } from "./constants.ts";
import { ControlPacket, DataPacket, decodeControlPacket, decodeDataPacket, isControlPacket } from "./packet.ts";
import { hex, PACKET_CASES } from "./packet-cases.ts";

function encode(p: { encodedSize(): number; encodeTo(b: Uint8Array, o: number): number }): Uint8Array {
  const out = new Uint8Array(p.encodedSize() + 3);
  expect(p.encodeTo(out, 3)).toBe(p.encodedSize());
  return out.subarray(3);
}

describe("packet case table", () => {
  for (const c of PACKET_CASES) {
    test(`decode: ${c.name}`, () => {
      if (c.kind === "data") {
        expect(isControlPacket(c.bytes)).toBe(false);
        const p = new DataPacket();
        expect(decodeDataPacket(c.bytes, p)).toBe(c.bytes.length);
        expect(p).toMatchObject(c.header);
        expect(p.payload.length).toBe(c.payloadLength);
        return;
      }
      expect(isControlPacket(c.bytes)).toBe(true);
      const p = new ControlPacket();
      expect(decodeControlPacket(c.bytes, p)).toBe(c.bytes.length);
      expect(p).toMatchObject(c.header);
      if (c.ack) {
        expect(p.type).toBe(CTRL_ACK);
        const a = new Ack();
        decodeAck(p.body, 0, p.body.length, a);
        expect(a).toMatchObject(c.ack);
      }
      if (c.loss) {
        expect(p.type).toBe(CTRL_NAK);
        const r = new LossReport();
        decodeLossReport(p.body, 0, p.body.length, r);
        expect(Array.from({ length: r.count }, (_, i) => [r.first[i], r.last[i]])).toEqual(c.loss);
      }
      if (c.drop) {
        expect(p.type).toBe(CTRL_DROPREQ);
        const d = new DropRequest();
        decodeDropRequest(p.body, 0, p.body.length, d);
        expect(d).toMatchObject(c.drop);
      }
    });

    test(`round trip: ${c.name}`, () => {
      if (c.kind === "data") {
        const p = new DataPacket();
        decodeDataPacket(c.bytes, p);
        expect(encode(p)).toEqual(c.bytes);
        return;
      }
      const p = new ControlPacket();
      decodeControlPacket(c.bytes, p);
      expect(encode(p)).toEqual(c.bytes);
      if (c.ack) {
        const a = new Ack();
        decodeAck(p.body, 0, p.body.length, a);
        expect(encode(a)).toEqual(p.body);
      }
      if (c.loss) {
        const r = new LossReport();
        decodeLossReport(p.body, 0, p.body.length, r);
        expect(encode(r)).toEqual(p.body);
      }
      if (c.drop) {
        const d = new DropRequest();
        decodeDropRequest(p.body, 0, p.body.length, d);
        expect(encode(d)).toEqual(p.body);
      }
    });
  }
});

describe("malformed packets", () => {
  test("a datagram shorter than a header needs more (0)", () => {
    expect(decodeDataPacket(new Uint8Array(HEADER_SIZE - 1), new DataPacket())).toBe(0);
    expect(decodeControlPacket(new Uint8Array(3), new ControlPacket())).toBe(0);
  });

  test("the F bit is checked", () => {
    expect(() => decodeDataPacket(hex("80010000000000000000000000000000"), new DataPacket())).toThrow(ProtocolError);
    expect(() => decodeControlPacket(new Uint8Array(16), new ControlPacket())).toThrow(ProtocolError);
  });

  test("a datagram over 1500 bytes is refused", () => {
    expect(() => decodeDataPacket(new Uint8Array(1501), new DataPacket())).toThrow("1501 bytes > max 1500");
  });

  test("an empty ACK body is refused", () => {
    expect(() => decodeAck(new Uint8Array(3), 0, 3, new Ack())).toThrow(ProtocolError);
  });

  test("a loss range needs an end without the range bit", () => {
    expect(() => decodeLossReport(hex("80000001"), 0, 4, new LossReport())).toThrow("without an end");
    expect(() => decodeLossReport(hex("80000001 80000002"), 0, 8, new LossReport())).toThrow("has the range bit");
  });

  test(`a loss list over ${MAX_LOSS_LIST_WORDS} words is refused before reading it`, () => {
    const n = (MAX_LOSS_LIST_WORDS + 1) * 4;
    expect(() => decodeLossReport(new Uint8Array(n), 0, n, new LossReport())).toThrow(`> max ${MAX_LOSS_LIST_WORDS}`);
  });

  test("a loss report stops adding ranges when one datagram is full", () => {
    const r = new LossReport();
    let added = 0;
    for (let i = 0; i < 1000; i++) if (r.add(i * 10, i * 10 + 1)) added++;
    expect(added).toBe(MAX_LOSS_LIST_WORDS >> 1);
    expect(r.encodedSize()).toBeLessThanOrEqual(MAX_LOSS_LIST_WORDS * 4);
  });
});
