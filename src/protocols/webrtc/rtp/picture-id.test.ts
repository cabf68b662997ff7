import { describe, expect, test } from "bun:test";
import { makeFrame } from "./harness.ts";
import { PayloadBatch } from "./payload-batch.ts";
import { pictureId, PictureIdBridge, shiftPictureId, type PictureIdCodec } from "./picture-id.ts";
import { Vp8Packetizer } from "./vp8.ts";
import { Vp9Packetizer } from "./vp9.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("PictureID", () => {
  test("VP8 read: 15-bit, 7-bit, none (no X, or X without I), cut off", () => {
    expect(pictureId("vp8", hex("90 80 8123 aa"))).toBe(0x123);
    expect(pictureId("vp8", hex("90 f0 05 07 e5 aa"))).toBe(5);
    expect(pictureId("vp8", hex("10 aa"))).toBe(-1);
    expect(pictureId("vp8", hex("90 40 07 aa"))).toBe(-1);
    expect(pictureId("vp8", hex("90 80 81"))).toBe(-1);
    expect(pictureId("vp8", hex("90 80"))).toBe(-1);
  });

  test("VP9 read: 15-bit, 7-bit, none (I clear), cut off", () => {
    expect(pictureId("vp9", hex("88 8123 aa"))).toBe(0x123);
    expect(pictureId("vp9", hex("b8 05 00 aa"))).toBe(5);
    expect(pictureId("vp9", hex("08 aa"))).toBe(-1);
    expect(pictureId("vp9", hex("88 81"))).toBe(-1);
  });

  test("shift wraps in the field's own width and leaves the other bytes alone", () => {
    const long = hex("90 80 fffe aabb");
    expect(shiftPictureId("vp8", long, 3)).toBe(1);
    expect(long).toEqual(hex("90 80 8001 aabb"));
    const short = hex("90 f0 7e 07 e5 aa");
    expect(shiftPictureId("vp8", short, 3)).toBe(1);
    expect(short).toEqual(hex("90 f0 01 07 e5 aa"));
    const none = hex("10 aa");
    expect(shiftPictureId("vp8", none, 3)).toBe(-1);
    expect(none).toEqual(hex("10 aa"));
    const vp9 = hex("c8 8000 aa");
    expect(shiftPictureId("vp9", vp9, -1)).toBe(0x7fff);
    expect(vp9).toEqual(hex("c8 ffff aa"));
  });

  const cases: { codec: PictureIdCodec; make: (id: number) => Vp8Packetizer | Vp9Packetizer; forwarded: string[] }[] = [
    { codec: "vp8", make: (id) => new Vp8Packetizer({ pictureId: id }), forwarded: ["90 80 8500 31", "80 80 8500 aa", "90 80 8501 31", "80 80 8501 aa"] },
    { codec: "vp9", make: (id) => new Vp9Packetizer({ pictureId: id }), forwarded: ["c8 8500 31", "c4 8500 aa", "c8 8501 31", "c4 8501 aa"] },
  ];
  for (const c of cases) {
    test(`${c.codec}: packetized, then forwarded (the publisher's numbering), then packetized again: one sequence`, () => {
      const pk = c.make(0x7ffe);
      const out = new PayloadBatch();
      const ids: number[] = [];
      const sent = () => {
        for (let i = 0; i < out.count; i++) ids.push(pictureId(c.codec, out.payload(i)));
      };
      for (let i = 0; i < 2; i++) {
        pk.packetize(makeFrame(hex("31 0100 aabb"), i * 3000, false), out);
        sent();
      }
      const ids0 = ids.length;
      const bridge = new PictureIdBridge(c.codec);
      const forwarded = c.forwarded.map(hex);
      bridge.begin(pk, forwarded[0]!);
      for (const p of forwarded) {
        bridge.patch(p);
        ids.push(pictureId(c.codec, p));
      }
      bridge.end(pk);
      pk.packetize(makeFrame(hex("31 0100 aabb"), 4 * 3000, false), out);
      sent();
      expect(ids0).toBe(2);
      expect(ids).toEqual([0x7ffe, 0x7fff, 0, 0, 1, 1, 2]);
    });
  }

  test("a publisher without PictureIDs: nothing patched, the packetizer keeps its own", () => {
    const pk = new Vp8Packetizer({ pictureId: 9 });
    const bridge = new PictureIdBridge("vp8");
    const p = hex("10 31 0100");
    bridge.begin(pk, p);
    bridge.patch(p);
    bridge.end(pk);
    expect(p).toEqual(hex("10 31 0100"));
    expect(pk.pictureId).toBe(9);
  });
});
