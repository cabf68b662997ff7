import { describe, expect, test } from "bun:test";
import { KEY_START_CASES } from "./keyframe-start.cases.ts";
import { target } from "./keyframe-start.fuzz.ts";
import { h264HasSps, isKeyframeStart } from "./keyframe-start.ts";

describe("isKeyframeStart", () => {
  for (const c of KEY_START_CASES) test(c.name, () => expect(isKeyframeStart(c.codec, c.payload)).toBe(c.key));

  for (const c of KEY_START_CASES.filter((c) => c.sps !== undefined)) test(`${c.name}: SPS ${c.sps ? "in it" : "not in it"}`, () => expect(h264HasSps(c.payload)).toBe(c.sps!));

  test("every truncation of every case answers without throwing", () => {
    for (const c of KEY_START_CASES)
      for (let n = 0; n <= c.payload.length; n++) {
        expect(typeof isKeyframeStart(c.codec, c.payload.subarray(0, n))).toBe("boolean");
        expect(typeof h264HasSps(c.payload.subarray(0, n))).toBe("boolean");
      }
  });

  test("fuzz target runs its seeds", () => {
    for (const s of target.seeds) expect(typeof target.run(s)).toBe("number");
  });
});
