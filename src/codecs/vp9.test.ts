import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { hex } from "./bits.ts";
import { fixture } from "./h264.cases.ts";
import { buildVpcConfig, describeVpcConfig, parseVp9FrameHeader, parseVpcConfig, vp9IsKeyframe } from "./vp9.ts";

describe("vpcC", () => {
  test("libvpx records", () => {
    expect(describeVpcConfig(fixture("vp9-240p.vpcc"))).toMatchObject({ codecString: "vp09.00.20.08", level: 20 });
    expect(describeVpcConfig(fixture("vp9-64.vpcc")).codecString).toBe("vp09.00.10.08");
    expect(describeVpcConfig(fixture("vp9-64.vpcc"), "vp08").codecString).toBe("vp08.00.10.08");
    const c = parseVpcConfig(fixture("vp9-64.vpcc"));
    expect(hex(buildVpcConfig(c))).toBe(hex(fixture("vp9-64.vpcc")));
  });
  test("rejects short, version 0, bad depth, init data past the end", () => {
    const good = fixture("vp9-64.vpcc");
    for (const bad of [good.subarray(0, 11), Uint8Array.from(good).fill(0, 0, 1), Uint8Array.from(good).fill(0x92, 6, 7), Uint8Array.from(good).fill(1, 11, 12)]) {
      expect(() => parseVpcConfig(bad)).toThrow(ProtocolError);
    }
  });
});

describe("VP9 frames", () => {
  test("key and inter frames", () => {
    const key = fixture("vp9-64-key.bin");
    const inter = fixture("vp9-64-inter.bin");
    expect(vp9IsKeyframe(key)).toBe(true);
    expect(vp9IsKeyframe(inter)).toBe(false);
    expect(vp9IsKeyframe(new Uint8Array(0))).toBe(false);
    expect(parseVp9FrameHeader(key)).toMatchObject({ keyframe: true, width: 64, height: 64, profile: 0, bitDepth: 8 });
    expect(parseVp9FrameHeader(inter).keyframe).toBe(false);
    expect(() => parseVp9FrameHeader(key.subarray(0, 3))).toThrow(ProtocolError);
  });
});
