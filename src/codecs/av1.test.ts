import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { hex } from "./bits.ts";
import { AV1_BAD_CASES, AV1_CASES, AV1_INTER_TU, AV1_KEY_TU } from "./av1.cases.ts";
import {
  av1IsKeyframe, buildAv1ConfigFromSequenceHeader, describeAv1Config, forEachObu, OBU_FRAME, OBU_SEQUENCE_HEADER,
  OBU_TEMPORAL_DELIMITER, parseAv1Config,
} from "./av1.ts";

describe("av1C", () => {
  for (const c of AV1_CASES) {
    test(c.name, () => {
      const cfg = parseAv1Config(c.record);
      expect(cfg.seqProfile).toBe(0);
      expect(describeAv1Config(c.record)).toMatchObject({ codecString: c.codecString, width: c.width, height: c.height });
      expect(hex(buildAv1ConfigFromSequenceHeader(cfg.configObus))).toBe(hex(c.record));
    });
  }
  for (const c of AV1_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        describeAv1Config(c.record);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }
  test("builds from a sequence header without obu_size", () => {
    const cfg = parseAv1Config(AV1_CASES[0]!.record);
    const obu = cfg.configObus;
    const unsized = Uint8Array.from([obu[0]! & ~0x02, ...obu.subarray(2)]);
    expect(hex(buildAv1ConfigFromSequenceHeader(unsized))).toBe(hex(AV1_CASES[0]!.record));
    expect(() => buildAv1ConfigFromSequenceHeader(Uint8Array.of(0x12, 0x00))).toThrow(ProtocolError);
  });
});

describe("temporal units", () => {
  test("OBU walk and keyframes", () => {
    const types: number[] = [];
    forEachObu(AV1_KEY_TU, (t) => types.push(t));
    expect(types.slice(0, 3)).toEqual([OBU_TEMPORAL_DELIMITER, OBU_SEQUENCE_HEADER, OBU_FRAME]);
    expect(av1IsKeyframe(AV1_KEY_TU)).toBe(true);
    expect(av1IsKeyframe(AV1_INTER_TU)).toBe(false);
    expect(av1IsKeyframe(new Uint8Array(0))).toBe(false);
    expect(() => av1IsKeyframe(AV1_KEY_TU.subarray(0, 40))).toThrow(ProtocolError);
  });
});
