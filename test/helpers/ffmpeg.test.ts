/**
 * The ffmpeg helpers against ffmpeg itself (its RTMP listener stands in for spate): proves the
 * peers are installed and the publish / read / probe plumbing works before any spate test uses it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile, type ProbePacket } from "./ffmpeg.ts";
import { freeTcpPort } from "./ports.ts";
import { killAll, sleep } from "./process.ts";

afterAll(killAll);

describe("ffmpeg helpers", () => {
  for (const bframes of [false, true]) {
    test(`publishLavfi -> readToFile -> ffprobe (bframes: ${bframes})`, async () => {
      const url = `rtmp://127.0.0.1:${freeTcpPort()}/live/cam1`;
      const file = tempFile(`loop-${bframes}.flv`);
      const reading = readToFile(url, file, { seconds: 1, inputArgs: ["-listen", "1"] });
      await sleep(300); // the listener must be up before the publisher connects
      const publisher = publishLavfi(url, { bframes, seconds: 2, size: "320x240" });
      try {
        await reading;
      } finally {
        await publisher.stop();
      }
      const probe = await ffprobe(file);
      expect(probe.video).toMatchObject({ codec: "h264", width: 320, height: 240 });
      expect(probe.audio).toMatchObject({ codec: "aac", sampleRate: 44100 });
      const video = probe.video!.packets;
      expect(video.length).toBeGreaterThan(20);
      expect(video[0]!.keyframe).toBe(true);
      expect(video.filter((p) => p.keyframe).length).toBeGreaterThanOrEqual(1);
      assertMonotonicDts(video, { label: "video" });
      assertMonotonicDts(probe.audio!.packets, { label: "audio" });
      const reordered = video.some((p, i) => i > 0 && p.pts! < video[i - 1]!.pts!);
      expect(reordered).toBe(bframes);
      expect(await decodeErrors(file)).toBe("");
    }, 30_000);
  }

  test("readToFile fails with ffmpeg's message when nothing listens", async () => {
    const error = await readToFile(`rtmp://127.0.0.1:${freeTcpPort()}/live/x`, tempFile("none.flv"), { seconds: 1 }).catch((e: Error) => e);
    expect(String(error)).toContain("Connection refused");
  });

  test("assertMonotonicDts names the first bad packet", () => {
    const p = (dts: number | null): ProbePacket => ({ dts, pts: dts, dtsTime: null, keyframe: false, size: 1 });
    expect(() => assertMonotonicDts([p(0), p(1), p(2)])).not.toThrow();
    expect(() => assertMonotonicDts([p(0), p(1), p(1)])).toThrow("dts not increasing at packet 2 of 3: 1 after 1");
    expect(() => assertMonotonicDts([p(0), p(1), p(1)], { allowEqual: true })).not.toThrow();
    expect(() => assertMonotonicDts([p(5), p(3)], { label: "audio" })).toThrow("audio: dts not increasing at packet 1 of 2: 3 after 5");
    expect(() => assertMonotonicDts([p(0), p(null)])).toThrow("packet 1 of 2 has no dts");
  });
});
