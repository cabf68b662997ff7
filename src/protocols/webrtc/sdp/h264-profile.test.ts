import { describe, expect, test } from "bun:test";
import { formatLevel, formatProfileLevelId, h264ProfileFit, parseProfileLevelId } from "./h264-profile.ts";

describe("profile-level-id (RFC 6184 §8.1, classes as libwebrtc)", () => {
  test("classes and levels of what browsers and encoders write", () => {
    const cases: [string, string, number][] = [
      ["42e01f", "constrained-baseline", 31],
      ["42c01f", "constrained-baseline", 31], // x264/ffmpeg baseline
      ["42C02A", "constrained-baseline", 42],
      ["4de01f", "constrained-baseline", 31],
      ["58f01f", "constrained-baseline", 31],
      ["42001f", "baseline", 31],
      ["42a01f", "baseline", 31],
      ["58a01f", "baseline", 31],
      ["4d001f", "main", 31],
      ["4d401f", "main", 31],
      ["64001f", "high", 31],
      ["640c34", "constrained-high", 52],
      ["f4001f", "high-444", 31],
      ["42f00b", "constrained-baseline", 9], // level 1b: constraint_set3 with level_idc 11
      ["42e00b", "constrained-baseline", 11],
      ["420009", "baseline", 9],
    ];
    for (const [text, profile, level] of cases) expect([text, parseProfileLevelId(text)?.profile, parseProfileLevelId(text)?.level]).toEqual([text, profile, level]);
  });

  test("absent means 42e01f as in libwebrtc; malformed or unknown profiles are null", () => {
    expect(parseProfileLevelId(undefined)).toMatchObject({ profile: "constrained-baseline", level: 31 });
    for (const bad of ["", "42e01", "42e01f0", "zze01f", "4d201f", "6400ff".replace("ff", "1g"), "ff001f", "640f1f"]) expect(parseProfileLevelId(bad)).toBeNull();
  });

  test("formatting", () => {
    expect(formatProfileLevelId({ profileIdc: 0x42, profileIop: 0xe0, levelIdc: 0x1f })).toBe("42e01f");
    expect(formatProfileLevelId({ profileIdc: 0x4d, profileIop: 0, levelIdc: 9 })).toBe("4d0009");
    expect([9, 10, 31, 40, 51].map(formatLevel)).toEqual(["1b", "1", "3.1", "4", "5.1"]);
  });

  test("which decoders take which streams", () => {
    expect(h264ProfileFit("constrained-baseline", "constrained-baseline")).toBe(2);
    expect(h264ProfileFit("constrained-baseline", "baseline")).toBe(1);
    expect(h264ProfileFit("baseline", "constrained-baseline")).toBe(1);
    expect(h264ProfileFit("constrained-baseline", "high")).toBe(1);
    expect(h264ProfileFit("main", "high")).toBe(1);
    expect(h264ProfileFit("high", "main")).toBe(0);
    expect(h264ProfileFit("high", "constrained-baseline")).toBe(0);
    expect(h264ProfileFit("main", "constrained-baseline")).toBe(0);
    expect(h264ProfileFit("high-444", "high")).toBe(0);
  });
});
