/**
 * WHEP (draft-ietf-wish-whep) to headless Chromium: a Chromium WHIP publisher (H.264 + Opus)
 * watched by a second page — frames decoded for 10 s, audio samples rising, no packet lost on
 * loopback — and an ffmpeg RTMP publisher (H.264 without B-frames) watched over WHEP, with the
 * time from the viewer's POST to its first decoded frame measured (target < 300 ms).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "./helpers/browser.ts";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import type { Spate } from "./helpers/server.ts";
import { waitFor, webrtcPage, type WebRtcPageServer, startWebRtcRig, stopWebRtcRig } from "./helpers/webrtc.ts";

let spate: Spate;
let browser: Browser;
let pageServer: WebRtcPageServer;

beforeAll(async () => ({ spate, browser, pageServer } = await startWebRtcRig()));
afterAll(() => stopWebRtcRig({ spate, browser, pageServer }));

interface InboundStats {
  packetsReceived: number;
  packetsLost: number;
  framesDecoded?: number;
  totalSamplesReceived?: number;
}
interface ViewerStats {
  video: InboundStats | null;
  audio: InboundStats | null;
  state: string;
}

const tracksLive = async (path: string, kinds: string[]) => {
  const r = await spate.request(`/api/v1/streams/${path}`);
  if (!r.ok) return false;
  const s = (await r.json()) as { state: string; tracks: { kind: string; frames: number }[] };
  return s.state === "live" && kinds.every((k) => s.tracks.some((t) => t.kind === k && t.frames > 0));
};

describe("WHEP to Chromium", () => {
  for (const codec of ["h264", "vp8"] as const) test(`Chromium WHIP (${codec} + Opus) -> Chromium WHEP: video decodes for 10 s, audio samples rise, nothing lost`, async () => {
    const path = `live/whep-browser-${codec}`;
    const pub = await webrtcPage(browser, pageServer);
    const view = await webrtcPage(browser, pageServer);
    try {
      await pub.evaluate(`publish(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, ${JSON.stringify(codec)})`);
      await waitFor("published tracks", () => tracksLive(path, ["video", "audio"]), 15_000);
      const tracks = (await spate.api(`/api/v1/streams/${path}`)).tracks as { kind: string; codec: string }[];
      expect(tracks.map((t) => t.codec).sort()).toEqual(["opus", codec].sort());
      await view.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
      const firstMs = (await view.evaluate("timeToFirstFrame(5000)")) as number;
      console.log(`WHIP -> WHEP (Chromium -> Chromium): first frame decoded ${firstMs.toFixed(0)} ms after the WHEP POST`);
      expect(firstMs).toBeGreaterThan(0);
      await waitFor("audio at the viewer", async () => ((await view.evaluate("viewerStats()")) as ViewerStats).audio?.totalSamplesReceived, 5000);
      const samples: ViewerStats[] = [];
      for (let i = 0; i <= 5; i++) {
        samples.push((await view.evaluate("viewerStats()")) as ViewerStats);
        if (i < 5) await Bun.sleep(2000);
      }
      const last = samples[samples.length - 1]!;
      for (let i = 1; i < samples.length; i++) {
        expect(samples[i]!.video!.framesDecoded!).toBeGreaterThan(samples[i - 1]!.video!.framesDecoded!);
        expect(samples[i]!.audio!.totalSamplesReceived!).toBeGreaterThan(samples[i - 1]!.audio!.totalSamplesReceived!);
      }
      console.log(`WHEP viewer (${codec}) after 10 s: ${JSON.stringify(last)}`);
      expect(last.video!.framesDecoded!).toBeGreaterThan(150);
      expect(last.video!.packetsLost).toBe(0);
      expect(last.audio!.packetsLost).toBe(0);
      const server = await spate.api("/api/v1/server");
      expect(server.webrtc.sessions).toEqual({ whip: 1, whep: 1 });
      // DELETE ends the viewer's session at once.
      expect(await view.evaluate("stopViewer(true)")).toBe(200);
      expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 0 });
      if (codec !== "h264") return;
      // A viewer whose page just goes away (no DELETE) is dropped within 10 s.
      const gone = await webrtcPage(browser, pageServer);
      await gone.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
      expect((await gone.evaluate("timeToFirstFrame(5000)")) as number).toBeGreaterThan(0);
      const closedAt = Date.now();
      await gone.close();
      await waitFor("the vanished viewer dropped", async () => (await spate.api("/api/v1/server")).webrtc.sessions.whep === 0, 10_000);
      console.log(`a viewer whose page closed was dropped after ${Date.now() - closedAt} ms`);
    } finally {
      await pub.evaluate("unpublish()").catch(() => {});
      await pub.close();
      await view.close();
    }
  }, 45_000);

  test("ffmpeg RTMP (H.264, no B-frames) -> Chromium WHEP: first frame within 300 ms of the POST", async () => {
    const path = "live/whep-rtmp";
    let ff: Publisher | null = null;
    const view = await webrtcPage(browser, pageServer);
    try {
      ff = publishLavfi(spate.rtmpUrl(path), { gop: 30, extraArgs: ["-profile:v", "baseline"] });
      await waitFor("RTMP stream live", () => tracksLive(path, ["video"]), 15_000);
      await Bun.sleep(1500); // a joining viewer of a running stream, not the first keyframe
      await view.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
      const firstMs = (await view.evaluate("timeToFirstFrame(5000)")) as number;
      console.log(`RTMP -> WHEP: first frame decoded ${firstMs.toFixed(0)} ms after the WHEP POST`);
      expect(firstMs).toBeGreaterThan(0);
      expect(firstMs).toBeLessThan(300);
      await Bun.sleep(2000);
      const s = (await view.evaluate("viewerStats()")) as ViewerStats;
      expect(s.video!.framesDecoded!).toBeGreaterThan(40);
      expect(s.video!.packetsLost).toBe(0);
      await view.evaluate("stopViewer(true)");
    } finally {
      await ff?.stop(1000);
      await view.close();
    }
  }, 40_000);

  test("WHEP for a path nobody publishes is a 404", async () => {
    const page = await webrtcPage(browser, pageServer);
    try {
      const err = (await page.evaluate(`play(${JSON.stringify(spate.httpUrl("/live/nobody/whep"))}).then(() => "", (e) => e.message)`)) as string;
      expect(err).toContain("404");
    } finally {
      await page.evaluate("stopViewer(false)");
      await page.close();
    }
  });
});
