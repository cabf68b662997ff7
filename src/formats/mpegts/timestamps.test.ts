import { describe, expect, test } from "bun:test";
import { TIMESTAMP_WRAP } from "./pes.ts";
import { rescale, TimestampUnwrapper } from "./timestamps.ts";

describe("timestamps", () => {
  test("unwrapping: on past the wrap, a little behind stays behind, several wraps", () => {
    const u = new TimestampUnwrapper();
    expect(u.unwrap(TIMESTAMP_WRAP - 3000, true)).toBe(TIMESTAMP_WRAP - 3000);
    expect(u.unwrap(100, true)).toBe(TIMESTAMP_WRAP + 100);
    expect(u.unwrap(TIMESTAMP_WRAP - 500, false)).toBe(TIMESTAMP_WRAP - 500); // a PTS from before the wrap
    let t = TIMESTAMP_WRAP + 100;
    for (let i = 0; i < 5; i++) {
      t += TIMESTAMP_WRAP / 3;
      expect(u.unwrap(t % TIMESTAMP_WRAP, true)).toBe(t);
    }
  });

  test("rescale: 90 kHz ↔ sample rates round trip exactly, even days into a stream", () => {
    for (const rate of [8000, 11025, 22050, 44100, 48000, 88200]) {
      for (const samples of [0, 1, 1023, 1024 * 999_999, 48000 * 86400 * 30 + 17]) {
        expect(rescale(rescale(samples, rate, 90000), 90000, rate)).toBe(samples);
      }
    }
    expect(rescale(90000, 90000, 48000)).toBe(48000);
    expect(rescale(7, 90000, 90000)).toBe(7);
  });
});
