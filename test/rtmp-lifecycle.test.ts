/**
 * Publisher lifecycle, late joiners, many streams and the API, with ffmpeg publishers and both
 * ffmpeg and our own RTMP client as readers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { describeAvcConfig } from "../src/codecs/h264.ts";
import { RtmpClient, RtmpStatusError } from "../src/protocols/rtmp/client.ts";
import { VIDEO } from "../src/protocols/rtmp/wire/message-types.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

let spate: Spate;

beforeAll(async () => {
  spate = await startSpate(["--streams-grace-ms", "3000"]);
});

afterAll(async () => {
  await spate?.stop();
});

/** Waits (bounded) until the API shows `path` live with a video track of known size. */
async function waitLive(path: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await spate.request(`/api/v1/streams/${path}`);
    if (res.ok) {
      const s = (await res.json()) as any;
      if (s.state === "live" && s.tracks.some((t: any) => t.kind === "video" && t.width)) return s;
    }
    await sleep(100);
  }
  throw new Error(`${path} did not go live within ${timeoutMs} ms`);
}

interface Viewer {
  client: RtmpClient;
  width: number;
  height: number;
  videoFrames: number;
  firstFrameKey: boolean | null;
  firstFrameMs: number;
  configBeforeFrame: boolean;
}

/** Our client as a viewer: records the resolution from the AVC sequence header and frame counts. */
async function view(path: string): Promise<Viewer> {
  const client = await RtmpClient.connect(spate.rtmpUrl(path));
  const v: Viewer = { client, width: 0, height: 0, videoFrames: 0, firstFrameKey: null, firstFrameMs: 0, configBeforeFrame: false };
  let playSent = 0;
  client.onMessage = (type, _ts, body) => {
    if (type !== VIDEO || body.length < 2) return;
    if (body[1] === 0) {
      const info = describeAvcConfig(body.subarray(5));
      v.width = info.width ?? 0;
      v.height = info.height ?? 0;
      if (v.videoFrames === 0) v.configBeforeFrame = true;
      return;
    }
    if (v.videoFrames++ === 0) {
      v.firstFrameKey = body[0]! >> 4 === 1;
      v.firstFrameMs = performance.now() - playSent;
    }
  };
  playSent = performance.now();
  await client.play();
  return v;
}

describe("RTMP publisher lifecycle", () => {
  test("a second publisher on a live path is refused with NetStream.Publish.BadName", async () => {
    const pub = publishLavfi(spate.rtmpUrl("live/busy"), { size: "320x240" });
    try {
      await waitLive("live/busy");
      const second = await RtmpClient.connect(spate.rtmpUrl("live/busy"));
      const err = await second.publish().catch((e) => e);
      expect(err).toBeInstanceOf(RtmpStatusError);
      expect((err as RtmpStatusError).code).toBe("NetStream.Publish.BadName");
      second.close();
      // ffmpeg as the second publisher fails too, and the first keeps publishing.
      const ff = await publishLavfi(spate.rtmpUrl("live/busy"), { size: "320x240", seconds: 2 }).done;
      expect(ff.code).not.toBe(0);
      const s = await spate.api("/api/v1/streams/live/busy");
      expect(s.state).toBe("live");
      expect(s.publisher.protocol).toBe("rtmp");
    } finally {
      await pub.stop();
    }
  }, 30_000);

  test("a reader joining mid-stream starts at a keyframe, its first frame within 100 ms of play", async () => {
    const pub = publishLavfi(spate.rtmpUrl("live/join"), { size: "320x240", gop: 60 });
    try {
      await waitLive("live/join");
      await sleep(1300); // mid-GOP
      const v = await view("live/join");
      await sleep(1000);
      v.client.close();
      expect(v.configBeforeFrame).toBe(true);
      expect(v.firstFrameKey).toBe(true);
      expect(v.videoFrames).toBeGreaterThan(20);
      console.log(`join: first video frame ${v.firstFrameMs.toFixed(1)} ms after play`);
      expect(v.firstFrameMs).toBeLessThan(100);
      // ffmpeg joining mid-stream writes a decodable file that starts with a keyframe.
      const file = tempFile("join.flv");
      await readToFile(spate.rtmpUrl("live/join"), file, { seconds: 2 });
      const probe = await ffprobe(file);
      expect(probe.video!.packets[0]!.keyframe).toBe(true);
      expect(await decodeErrors(file)).toBe("");
    } finally {
      await pub.stop();
    }
  }, 30_000);

  test("a publisher that drops and returns within the grace period: the reader decodes across the gap", async () => {
    const url = spate.rtmpUrl("live/gap");
    const file = tempFile("gap.flv");
    const reading = readToFile(url, file, { seconds: 60, timeoutMs: 40_000 });
    await sleep(300);
    expect((await publishLavfi(url, { seconds: 3, size: "320x240" }).done).code).toBe(0);
    await sleep(1000); // publisher gone, well within the 3 s grace
    const s = await spate.api("/api/v1/streams/live/gap");
    expect(s.state).toBe("waiting");
    expect(s.readers.rtmp).toBe(1);
    expect((await publishLavfi(url, { seconds: 3, size: "320x240" }).done).code).toBe(0);
    await reading; // end-of-stream 3 s after the second publisher left
    const probe = await ffprobe(file);
    assertMonotonicDts(probe.video!.packets, { label: "video" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio" });
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(Math.floor(6 * 30 * 0.95));
    const dur = probe.video!.packets.at(-1)!.dtsTime! - probe.video!.packets[0]!.dtsTime!;
    expect(dur).toBeGreaterThan(5.5); // both sessions, back to back
    expect(dur).toBeLessThan(6.5);
    expect(await decodeErrors(file)).toBe("");
  }, 60_000);

  test("DELETE /api/v1/streams/{path} ends the publisher; the API describes the stream", async () => {
    const pub = publishLavfi(spate.rtmpUrl("live/api"), { size: "640x360" });
    const v = await view("live/api").catch(() => null);
    try {
      const s = await waitLive("live/api");
      await sleep(2200); // two bitrate samples
      const d = await spate.api("/api/v1/streams/live/api");
      const video = d.tracks.find((t: any) => t.kind === "video");
      const audio = d.tracks.find((t: any) => t.kind === "audio");
      expect(video).toMatchObject({ codec: "h264", width: 640, height: 360 });
      expect(video.codecString).toMatch(/^avc1\./);
      expect(video.bitrate).toBeGreaterThan(10_000);
      expect(video.frameRate).toBeGreaterThan(20);
      expect(audio).toMatchObject({ codec: "aac", sampleRate: 44100, channels: 1 });
      expect(d.publisher.remoteAddress).toContain("127.0.0.1");
      expect(d.readers.rtmp).toBe(1);
      expect(d.bytesIn).toBeGreaterThan(0);
      expect(d.bytesOut).toBeGreaterThan(0);
      expect((s as any).uptimeMs).toBeGreaterThanOrEqual(0);
      const metrics = await (await spate.request("/metrics")).text();
      expect(metrics).toContain('spate_stream_readers{path="live/api"} 1');
      expect(metrics).toMatch(/spate_stream_bytes_in_total\{path="live\/api"\} [1-9]/);
      expect(await (await spate.request("/healthz")).text()).toBe("ok\n");
      const server = await spate.api("/api/v1/server");
      expect(server).toMatchObject({ name: "spate", ports: { http: spate.ports.http, rtmp: spate.ports.rtmp } });
      expect(server.uptimeMs).toBeGreaterThan(0);
      const list = await spate.api("/api/v1/streams");
      expect(list.streams.some((x: any) => x.path === "live/api")).toBe(true);
      const del = await spate.request("/api/v1/streams/live/api", { method: "DELETE" });
      expect(del.status).toBe(204);
      const exit = await pub.done;
      expect(exit.code).not.toBe(0); // ffmpeg saw its connection end
      expect((await spate.api("/api/v1/streams/live/api")).state).toBe("waiting");
      expect((await spate.request("/api/v1/streams/live/none", { method: "DELETE" })).status).toBe(404);
      expect((await spate.request("/api/v1/streams/live/none")).status).toBe(404);
    } finally {
      v?.client.close();
      await pub.stop();
    }
  }, 30_000);
});

describe("many streams at once", () => {
  test("20 streams, 2 viewers each: every viewer gets its own stream", async () => {
    const N = 20;
    const size = (i: number) => ({ w: 160 + 16 * i, h: 96 + 8 * i });
    const pubs = Array.from({ length: N }, (_, i) =>
      publishLavfi(spate.rtmpUrl(`many/s${i}`), { size: `${size(i).w}x${size(i).h}`, rate: 15, tone: 200 + 50 * i }),
    );
    const viewers: Viewer[][] = [];
    try {
      for (let i = 0; i < N; i++) await waitLive(`many/s${i}`, 20_000);
      for (let i = 0; i < N; i++) viewers.push(await Promise.all([view(`many/s${i}`), view(`many/s${i}`)]));
      await sleep(3000);
      for (let i = 0; i < N; i++) {
        for (const v of viewers[i]!) {
          expect({ stream: i, w: v.width, h: v.height }).toEqual({ stream: i, w: size(i).w, h: size(i).h });
          expect(v.videoFrames).toBeGreaterThan(20);
        }
      }
      const list = await spate.api("/api/v1/streams");
      const many = list.streams.filter((s: any) => s.path.startsWith("many/"));
      expect(many.length).toBe(N);
      for (const s of many) expect(s.readers.rtmp).toBe(2);
    } finally {
      for (const pair of viewers) for (const v of pair) v.client.close();
      await Promise.all(pubs.map((p) => p.stop()));
    }
  }, 90_000);
});
