/**
 * LL-HLS of an SRT publisher (ffmpeg, MPEG-TS with H.264 B-frames + Opus): the playlist parses,
 * init + segments and init + parts decode with ffprobe (h264 + opus, monotonic dts), and ffmpeg
 * reads the LL-HLS URL as a plain client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { downloadParts, downloadSegments, waitLive, waitSegments } from "./helpers/hls.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const PATH = "live/srt-opus";
const BASE = `/${PATH}`;

let spate: Spate;
let pub: Publisher;

beforeAll(async () => {
  spate = await startSpate();
  pub = publishLavfi(`${spate.srtUrl(PATH, "publish")}&pkt_size=1316&latency=120000`, {
    bframes: true,
    gop: 30,
    size: "640x360",
    seconds: 40,
    format: "mpegts",
    extraArgs: ["-c:a", "libopus", "-ar", "48000", "-b:a", "64k"],
  });
  await waitLive(spate, PATH);
});

afterAll(async () => {
  await pub?.stop(1000);
  await spate?.stop();
});

describe("LL-HLS from SRT with Opus", () => {
  test("playlist, init + segments and init + parts: h264 + opus with monotonic dts", async () => {
    const pl = await waitSegments(spate, BASE, 3);
    expect(pl.parsed.partTargetDuration).toBe(0.2);
    expect(pl.text).toContain("INDEPENDENT=YES");
    const mv = await (await spate.request(`${BASE}/index.m3u8`)).text();
    expect(mv).toMatch(/CODECS="avc1\.[0-9a-f]{6},opus"/);

    const file = await downloadSegments(spate, BASE, pl, tempFile("srt-segments.mp4"));
    const probe = await ffprobe(file);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.audio?.codec).toBe("opus");
    assertMonotonicDts(probe.video!.packets, { label: "video" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio" });
    expect(probe.video!.packets.some((p) => p.pts! > p.dts!)).toBe(true);
    expect(probe.audio!.packets.length).toBeGreaterThan(40 * pl.segments.length);
    expect(await decodeErrors(file)).toBe("");
    console.log(`SRT/Opus: init + ${pl.segments.length} segments: ${probe.video!.packets.length} video, ${probe.audio!.packets.length} audio packets`);

    const parts = await downloadParts(spate, BASE, pl, tempFile("srt-parts.mp4"));
    const pp = await ffprobe(parts.file);
    expect(pp.video?.codec).toBe("h264");
    expect(pp.audio?.codec).toBe("opus");
    assertMonotonicDts(pp.video!.packets, { label: "parts video" });
    assertMonotonicDts(pp.audio!.packets, { label: "parts audio" });
    expect(pp.video!.packets[0]!.keyframe).toBe(true);
    expect(await decodeErrors(parts.file)).toBe("");
  });

  test("ffmpeg reads the LL-HLS URL as a plain client", async () => {
    const out = tempFile("hls-client.ts");
    await readToFile(spate.httpUrl(`${BASE}/index.m3u8`), out, { seconds: 3 });
    const probe = await ffprobe(out);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.audio?.codec).toBe("opus");
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(60);
    assertMonotonicDts(probe.video!.packets, { label: "ffmpeg HLS client video" });
    expect(await decodeErrors(out)).toBe("");
  });
});
