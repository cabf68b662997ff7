import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { hex } from "./bits.ts";
import { HEVC_BAD_CASES, HEVC_CASES } from "./h265.cases.ts";
import { buildHevcConfig, describeHevcConfig, hevcCodecString, hevcHasIrap, parseHevcConfig, parseHevcSps } from "./h265.ts";

describe("hvcC", () => {
  for (const c of HEVC_CASES) {
    test(c.name, () => {
      const cfg = parseHevcConfig(c.record);
      expect(cfg.nalLengthSize).toBe(4);
      expect([cfg.vps.length, cfg.sps.length, cfg.pps.length]).toEqual([1, 1, 1]);
      expect(cfg.bitDepthLuma).toBe(c.bitDepth);
      const info = describeHevcConfig(c.record);
      expect(info.codecString).toBe(c.codecString);
      expect([info.width, info.height]).toEqual([c.width, c.height]);
      const sps = parseHevcSps(cfg.sps[0]!);
      expect(sps.bitDepthLuma).toBe(c.bitDepth);
      expect(hex(buildHevcConfig(cfg.vps, cfg.sps, cfg.pps))).toBe(hex(c.record));
    });
  }

  for (const c of HEVC_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        parseHevcConfig(c.record);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }

  test("codec string per ISO 14496-15 Annex E.3 examples", () => {
    const flags = new Uint8Array([0xb0, 0, 0, 0, 0, 0]);
    const base = { generalProfileSpace: 0, generalTierFlag: 0, generalProfileIdc: 1, generalProfileCompatibilityFlags: 0x60000000, generalConstraintIndicatorFlags: flags, generalLevelIdc: 93 };
    expect(hevcCodecString(base)).toBe("hvc1.1.6.L93.B0");
    expect(hevcCodecString({ ...base, generalTierFlag: 1, generalLevelIdc: 120 }, "hev1")).toBe("hev1.1.6.H120.B0");
    expect(hevcCodecString({ ...base, generalProfileSpace: 1, generalConstraintIndicatorFlags: new Uint8Array(6) })).toBe("hvc1.A1.6.L93");
  });

  test("IRAP detection", () => {
    // lengths 4; NAL headers: 0x26 0x01 = IDR_W_RADL (19), 0x02 0x01 = TRAIL_R (1)
    expect(hevcHasIrap(Uint8Array.of(0, 0, 0, 2, 0x26, 0x01), 4)).toBe(true);
    expect(hevcHasIrap(Uint8Array.of(0, 0, 0, 2, 0x02, 0x01), 4)).toBe(false);
  });
});
