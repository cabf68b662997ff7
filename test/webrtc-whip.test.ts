/**
 * WHIP (RFC 9725) from headless Chromium's fake camera and microphone into spate: H.264 + Opus in
 * one run (read back over RTMP with our client — Opus needs Enhanced RTMP, which ffmpeg 5.1 lacks —
 * with ffmpeg over SRT, and as LL-HLS with ffprobe), VP8 + Opus in
 * another; the HTTP surface (CORS preflight, 201 + Location + ETag, 4xx for bad offers, 409 for a
 * busy path, PATCH, DELETE ending the session at once).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FlvTag, decodeAudioTag, decodeVideoTag } from "../src/formats/flv/tag.ts";
import { RtmpClient } from "../src/protocols/rtmp/client.ts";
import { AUDIO, VIDEO } from "../src/protocols/rtmp/wire/message-types.ts";
import type { Browser } from "./helpers/browser.ts";
import { ffprobe, readToFile, tempFile } from "./helpers/ffmpeg.ts";
import { describeExit, spawnBounded } from "./helpers/process.ts";
import { downloadSegments, waitSegments } from "./helpers/hls.ts";
import type { Spate } from "./helpers/server.ts";
import { waitFor, webrtcPage, type WebRtcPageServer, startWebRtcRig, stopWebRtcRig } from "./helpers/webrtc.ts";

/**
 * decodeErrors for variable-frame-rate video: a browser's frame times follow its capture and CPU,
 * and ffmpeg's default null-muxer timebase (1/frame rate) then folds two close frames onto one tick
 * ("non monotonically increasing dts"). Passthrough in a 90 kHz timebase keeps the stream's own times
 * (checked: a file with two frames 2 ms apart fails the default and passes this).
 */
async function decodeErrorsVfr(file: string): Promise<string> {
  const exit = await spawnBounded(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file, "-fps_mode", "passthrough", "-enc_time_base:v", "1/90000", "-f", "null", "-"], { timeoutMs: 60_000 }).done;
  if (exit.code !== 0 && !exit.stderr.trim()) return describeExit("ffmpeg", exit);
  return exit.stderr.trim();
}

/** Plays `url` with our RTMP client for `ms`: codecs and frame counts. */
async function readRtmp(url: string, ms: number) {
  const got = { videoCodec: "", audioCodec: "", videoFrames: 0, keyframes: 0, audioFrames: 0, videoConfig: false };
  const tag = new FlvTag();
  const viewer = await RtmpClient.connect(url, {
    onMessage: (type, _ts, body) => {
      if (type === VIDEO) {
        decodeVideoTag(body, tag);
        got.videoCodec = tag.codec ?? "";
        if (tag.kind === "config") got.videoConfig = true;
        else if (tag.kind === "frame" && got.videoConfig) {
          got.videoFrames++;
          if (tag.keyframe) got.keyframes++;
        }
      } else if (type === AUDIO) {
        decodeAudioTag(body, tag);
        got.audioCodec = tag.codec ?? "";
        if (tag.kind === "frame") got.audioFrames++;
      }
    },
  });
  await viewer.play();
  await Bun.sleep(ms);
  viewer.close();
  return got;
}

/**
 * ffmpeg 5.1 reading our RTMP: it announces no Enhanced RTMP codecs in its connect (it predates
 * them), so spate withholds the Opus track it could not parse and sends the H.264.
 */
async function readRtmpWithFfmpeg(url: string, file: string) {
  return spawnBounded(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-rw_timeout", "10000000", "-i", url, "-c", "copy", "-t", "3", file], { timeoutMs: 25_000 }).done;
}

let spate: Spate;
let browser: Browser;
let pageServer: WebRtcPageServer;

beforeAll(async () => ({ spate, browser, pageServer } = await startWebRtcRig()));
afterAll(() => stopWebRtcRig({ spate, browser, pageServer }));

const streamInfo = async (path: string) => {
  const r = await spate.request(`/api/v1/streams/${path}`);
  return r.ok ? ((await r.json()) as any) : null;
};

const frames = (s: any, kind: string) => (s?.tracks ?? []).find((t: any) => t.kind === kind)?.frames ?? 0;

describe("WHIP HTTP surface", () => {
  test("OPTIONS preflight allows POST from any origin and exposes Location", async () => {
    const r = await spate.request("/live/x/whip", { method: "OPTIONS", headers: { origin: "http://example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-expose-headers")).toContain("location");
  });

  test("a bad offer is a 400 with the reason; a wrong type 415; an unknown session 404", async () => {
    const bad = await spate.request("/live/x/whip", { method: "POST", headers: { "content-type": "application/sdp" }, body: "v=0\r\nnonsense\r\n" });
    expect(bad.status).toBe(400);
    expect((await bad.text()).length).toBeGreaterThan(5);
    const type = await spate.request("/live/x/whip", { method: "POST", headers: { "content-type": "text/plain" }, body: "v=0" });
    expect(type.status).toBe(415);
    const gone = await spate.request("/live/x/whip/nope", { method: "DELETE" });
    expect(gone.status).toBe(404);
  });
});

async function publishAndCheck(path: string, codec: "h264" | "vp8") {
  const page = await webrtcPage(browser, pageServer);
  const res = (await page.evaluate(`publish(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, ${JSON.stringify(codec)})`)) as { location: string; etag: string };
  expect(res.location).toMatch(new RegExp(`/${path}/whip/[0-9a-f-]+$`));
  expect(res.etag).toMatch(/^".+"$/);
  const info = await waitFor(`${codec} video and audio frames in ${path}`, async () => {
    const s = await streamInfo(path);
    return frames(s, "video") > 30 && frames(s, "audio") > 50 ? s : null;
  }, 15_000).catch((e) => {
    throw new Error(`${e.message}\n${browser.logTail()}`);
  });
  console.log(`WHIP ${codec}: publisher ${JSON.stringify(info.publisher?.stats)}`);
  for (const t of info.publisher.stats.tracks) expect({ codec: t.codec, repeatedTimestamps: t.repeatedTimestamps }).toEqual({ codec: t.codec, repeatedTimestamps: 0 });
  const video = info.tracks.find((t: any) => t.kind === "video");
  const audio = info.tracks.find((t: any) => t.kind === "audio");
  expect(video.codec).toBe(codec);
  expect(audio.codec).toBe("opus");
  return { page, location: res.location };
}

describe("WHIP from Chromium", () => {
  test("H.264 + Opus: RTMP, SRT and LL-HLS readers get H.264 + Opus; a second publisher is refused 409; DELETE ends it", async () => {
    const path = "live/whip-h264";
    const { page, location } = await publishAndCheck(path, "h264");
    try {
      // A second publisher on the same path.
      const offer = (await page.evaluate(`(async () => { const p = new RTCPeerConnection(); p.addTransceiver("video", { direction: "sendonly" }); const o = await p.createOffer(); p.close(); return o.sdp; })()`)) as string;
      const busy = await spate.request(`/${path}/whip`, { method: "POST", headers: { "content-type": "application/sdp" }, body: offer });
      expect(busy.status).toBe(409);

      // PATCH with a trickled candidate: acknowledged.
      const patch = await fetch(location, { method: "PATCH", headers: { "content-type": "application/trickle-ice-sdpfrag" }, body: "a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host\r\n" });
      expect(patch.status).toBe(204);

      const srtFile = tempFile("whip-srt.ts");
      const rtmpFile = tempFile("whip-rtmp.flv");
      const [rtmp, ffRtmp, srt, pl] = await Promise.all([
        readRtmp(spate.rtmpUrl(path), 3000),
        readRtmpWithFfmpeg(spate.rtmpUrl(path), rtmpFile),
        readToFile(spate.srtUrl(path, "read"), srtFile, { seconds: 3 }),
        waitSegments(spate, `/${path}`, 2, 20_000),
      ]);
      // ffmpeg 5.1 predates Enhanced RTMP (Opus): our RTMP client reads it.
      expect(rtmp).toMatchObject({ videoCodec: "h264", audioCodec: "opus" });
      expect(rtmp.videoFrames).toBeGreaterThan(30);
      expect(rtmp.keyframes).toBeGreaterThan(0);
      expect(rtmp.audioFrames).toBeGreaterThan(50);
      // ffmpeg 5.1 as the RTMP reader: the H.264 track it can take, and only that, decodes cleanly.
      if (ffRtmp.code !== 0) throw new Error(`ffmpeg reading RTMP: ${describeExit("ffmpeg", ffRtmp)}`);
      const pr = await ffprobe(rtmpFile);
      expect(pr.video?.codec).toBe("h264");
      expect(pr.video!.packets.length).toBeGreaterThan(30);
      expect(pr.audio).toBeUndefined();
      expect(await decodeErrorsVfr(rtmpFile)).toBe("");
      expect(srt.code).toBe(0);
      const ps = await ffprobe(srtFile);
      expect(ps.video?.codec).toBe("h264");
      expect(ps.audio?.codec).toBe("opus");
      expect(ps.audio!.packets.length).toBeGreaterThan(50);
      const hlsFile = await downloadSegments(spate, `/${path}`, pl, tempFile("whip-hls.mp4"));
      const ph = await ffprobe(hlsFile);
      expect(ph.video?.codec).toBe("h264");
      expect(ph.audio?.codec).toBe("opus");
      expect(await decodeErrorsVfr(hlsFile)).toBe("");
    } finally {
      const status = await page.evaluate("unpublish()");
      expect(status).toBe(200);
      // DELETE ends the session at once: the stream stops being live.
      const s = await streamInfo(path);
      expect(s?.state).not.toBe("live");
      await page.close();
    }
  }, 60_000);

  test("VP8 + Opus", async () => {
    const { page } = await publishAndCheck("live/whip-vp8", "vp8");
    expect(await page.evaluate("unpublish()")).toBe(200);
    await page.close();
  }, 30_000);
});
