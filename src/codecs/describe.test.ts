import { expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { describeConfig } from "./describe.ts";
import { fixture } from "./h264.cases.ts";

test("dispatches on the codec and throws ProtocolError on bad configs", () => {
  expect(describeConfig("h264", fixture("h264-high-720p.avcc")).codecString).toBe("avc1.64001f");
  expect(describeConfig("h265", fixture("h265-main10-720p.hvcc")).codecString).toBe("hvc1.2.4.L93.90");
  expect(describeConfig("av1", fixture("av1-240p.av1c")).width).toBe(320);
  expect(describeConfig("vp9", fixture("vp9-240p.vpcc")).codecString).toBe("vp09.00.20.08");
  expect(describeConfig("vp8", new Uint8Array(0)).codecString).toBe("vp8");
  expect(describeConfig("aac", fixture("aac-lc-44100-stereo.asc"))).toEqual({ codecString: "mp4a.40.2", sampleRate: 44100, channels: 2, profile: 2 });
  expect(describeConfig("opus", fixture("opus-stereo.opushead")).channels).toBe(2);
  expect(describeConfig("mp3", new Uint8Array(0)).codecString).toBe("mp3");
  for (const codec of ["h264", "h265", "av1", "vp9", "aac", "opus"] as const) {
    expect(() => describeConfig(codec, new Uint8Array(1))).toThrow(ProtocolError);
  }
});
