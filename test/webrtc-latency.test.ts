/**
 * WHIP -> WHEP latency, Chromium to Chromium on loopback: the publisher page sends a canvas showing
 * its wall clock, the viewer page (same browser, same clock) reads the clock back from every frame
 * it presents; the difference is capture -> encode -> spate (depacketize, ring, packetize) ->
 * decode -> render, for H.264 and VP8. Target (DESIGN): under 200 ms.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "./helpers/browser.ts";
import type { Spate } from "./helpers/server.ts";
import { waitFor, webrtcPage, type WebRtcPageServer, startWebRtcRig, stopWebRtcRig } from "./helpers/webrtc.ts";

let spate: Spate;
let browser: Browser;
let pageServer: WebRtcPageServer;

beforeAll(async () => ({ spate, browser, pageServer } = await startWebRtcRig()));
afterAll(() => stopWebRtcRig({ spate, browser, pageServer }));

for (const codec of ["h264", "vp8"]) test(`WHIP -> WHEP (${codec}) glass to glass under 200 ms (median) on loopback`, async () => {
  const path = `live/latency-${codec}`;
  const pub = await webrtcPage(browser, pageServer);
  const view = await webrtcPage(browser, pageServer);
  try {
    await pub.evaluate(`publishClock(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, "${codec}")`);
    await waitFor("published video", async () => {
      const r = await spate.request(`/api/v1/streams/${path}`);
      return r.ok && ((await r.json()) as { tracks: { frames: number }[] }).tracks.some((t) => t.frames > 10);
    }, 15_000);
    await view.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
    expect((await view.evaluate("timeToFirstFrame(5000)")) as number).toBeGreaterThan(0);
    await Bun.sleep(1000);
    const r = (await view.evaluate("measureClock(5000)")) as { n: number; bad: number; p50: number; p90: number; max: number };
    console.log(`WHIP -> WHEP glass to glass (Chromium, ${codec}, loopback): ${JSON.stringify(r)} ms`);
    const s = await spate.api(`/api/v1/streams/${path}`);
    expect(s.tracks[0].codec).toBe(codec);
    expect(r.n).toBeGreaterThan(50);
    expect(r.p50).toBeLessThan(200);
  } finally {
    await view.evaluate("stopViewer(true)").catch(() => {});
    await pub.evaluate("unpublish()").catch(() => {});
    await pub.close();
    await view.close();
  }
}, 40_000);
