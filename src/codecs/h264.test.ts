import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { fromHex, hex, removeEmulationPrevention } from "./bits.ts";
import { AVC_BAD_CASES, AVC_CASES, SPS_CASES } from "./h264.cases.ts";
import {
  annexBToAvcc, avccHasIdr, avccToAnnexB, buildAvcConfig, describeAvcConfig, forEachNal, NalReader,
  parseAvcConfig, parseSps, toFourByteLengths,
} from "./h264.ts";

describe("avcC", () => {
  for (const c of AVC_CASES) {
    test(c.name, () => {
      const cfg = parseAvcConfig(c.record);
      expect(cfg.nalLengthSize).toBe(4);
      expect(cfg.sps.length).toBe(1);
      expect(cfg.pps.length).toBe(1);
      const sps = parseSps(cfg.sps[0]!);
      expect(sps.chromaFormatIdc).toBe(c.chromaFormatIdc);
      expect(sps.bitDepthLuma).toBe(c.bitDepth);
      const info = describeAvcConfig(c.record);
      expect(info.codecString).toBe(c.codecString);
      expect(info.width).toBe(c.width);
      expect(info.height).toBe(c.height);
      if (c.frameRate === undefined) expect(info.frameRate).toBeUndefined();
      else expect(info.frameRate).toBeCloseTo(c.frameRate, 6);
      if (c.rebuilds) expect(hex(buildAvcConfig(cfg.sps, cfg.pps))).toBe(hex(c.record));
      else expect(parseAvcConfig(buildAvcConfig(cfg.sps, cfg.pps)).sps[0]).toEqual(cfg.sps[0]!);
    });
  }

  for (const c of AVC_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      try {
        parseAvcConfig(c.record);
        throw new Error("no error");
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).code).toBe(c.code);
      }
    });
  }

  test("a truncated High-profile extension is ignored", () => {
    const rec = AVC_CASES[0]!.record;
    const cfg = parseAvcConfig(rec.subarray(0, rec.length - 2));
    expect(cfg.chromaFormat).toBeUndefined();
    expect(parseAvcConfig(rec).chromaFormat).toBe(1);
  });
});

describe("SPS", () => {
  for (const c of SPS_CASES) {
    test(c.name, () => {
      const sps = parseSps(c.nal);
      expect([sps.width, sps.height, sps.chromaFormatIdc]).toEqual([c.width, c.height, c.chromaFormatIdc]);
    });
  }

  test("rejects a non-SPS NAL and cropping past the picture", () => {
    expect(() => parseSps(fromHex("68ebe3cb"))).toThrow(ProtocolError);
    expect(() => parseSps(fromHex("67"))).toThrow(ProtocolError);
  });
});

describe("NAL helpers", () => {
  const idr = fromHex("00000002 0910 00000003 65aabb 00000002 06ff");
  const inter = fromHex("00000002 0910 00000003 41aabb");

  test("emulation prevention", () => {
    const plain = fromHex("6742001f");
    expect(removeEmulationPrevention(plain)).toBe(plain);
    expect(hex(removeEmulationPrevention(fromHex("00000300000301000003")))).toBe("00000000010000");
  });

  test("iterate and find IDR", () => {
    const types: number[] = [];
    forEachNal(idr, 4, (n) => types.push(n[0]! & 0x1f));
    expect(types).toEqual([9, 5, 6]);
    expect(avccHasIdr(idr, 4)).toBe(true);
    expect(avccHasIdr(inter, 4)).toBe(false);
    expect(() => avccHasIdr(fromHex("00000009 0910"), 4)).toThrow(ProtocolError);
    const r = new NalReader().reset(fromHex("0002 0910 0001 65"), 2);
    expect(r.next() && r.header).toBe(0x09);
    expect(r.next() && r.end - r.start).toBe(1);
    expect(r.next()).toBe(false);
  });

  test("Annex B round trip", () => {
    const annexB = fromHex("00000001 0910 000001 65aabb 0000 00000001 06ff 00");
    const avcc = annexBToAvcc(annexB);
    expect(hex(avcc)).toBe(hex(idr));
    expect(hex(avccToAnnexB(avcc, 4))).toBe("00000001091000000001" + "65aabb" + "0000000106ff");
    const dst = new Uint8Array(64);
    expect(annexBToAvcc(annexB, dst).buffer).toBe(dst.buffer);
    const copy = avcc.slice();
    expect(hex(avccToAnnexB(copy, 4, copy))).toBe(hex(avccToAnnexB(avcc, 4)));
    expect(annexBToAvcc(fromHex("aabbcc")).length).toBe(0);
    expect(hex(annexBToAvcc(fromHex("000001 65 000001 000001 41")))).toBe("000000016500000001" + "41");
  });
});

test("toFourByteLengths and a lenient describe", () => {
  expect(hex(toFourByteLengths(fromHex("0002 0910 0001 65"), 2))).toBe("00000002091000000001" + "65");
  const four = fromHex("00000001 65");
  expect(toFourByteLengths(four, 4)).toBe(four);
  // an avcC whose SPS is cut short: the record is fine, the picture facts are unknown
  const rec = fromHex("0164001fffe1000467640 01f 01 0001 68".replace(/ /g, ""));
  expect(describeAvcConfig(rec)).toEqual({ codecString: "avc1.64001f", profile: 100, level: 31 });
});
