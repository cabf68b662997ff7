/**
 * WHEP through a lossy link: a UDP relay drops 5 % of the datagrams each way (STUN, DTLS, SRTP and
 * SRTCP alike) between spate and a Chromium viewer of an ffmpeg RTMP stream. NACKs are answered
 * from the packet history, so video plays on: no stretch over 500 ms without a decoded frame. And a
 * Chromium WHIP publisher behind the same kind of link: spate NACKs the holes it sees and the
 * retransmissions fill them, so frames keep coming into the stream.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchChromium, type Browser } from "./helpers/browser.ts";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { startUdpRelay, type Relay } from "./helpers/udp-relay.ts";
import { serveWebRtcPage, waitFor, webrtcPage, type WebRtcPageServer } from "./helpers/webrtc.ts";

const PATH = "live/lossy";
let spate: Spate;
let browser: Browser;
let pageServer: WebRtcPageServer;
let ff: Publisher;
let relay: Relay;

beforeAll(async () => {
  spate = await startSpate();
  pageServer = serveWebRtcPage();
  ff = publishLavfi(spate.rtmpUrl(PATH), { gop: 60, tone: false });
  relay = await startUdpRelay({ targetPort: spate.ports.webrtc!, loss: 0.05, delayMs: 5, seed: 7 });
  browser = await launchChromium();
  await waitFor("RTMP stream live", async () => {
    const r = await spate.request(`/api/v1/streams/${PATH}`);
    return r.ok && ((await r.json()) as { tracks: unknown[] }).tracks.length > 0;
  }, 15_000);
});

afterAll(async () => {
  await browser?.close();
  relay?.close();
  pageServer?.stop();
  await ff?.stop(1000);
  await spate?.stop();
});

test("5 % loss each way: NACKs answered, no freeze over 500 ms in 10 s", async () => {
  const view = await webrtcPage(browser, pageServer);
  try {
    await view.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${PATH}/whep`))}, ${relay.port})`);
    expect((await view.evaluate("timeToFirstFrame(8000)")) as number).toBeGreaterThan(0);
    await view.evaluate("startFreezeWatch()");
    await Bun.sleep(10_000);
    const freeze = (await view.evaluate("freezeReport()")) as { longestMs: number; frames: number };
    const stats = (await view.evaluate("viewerStats()")) as { video: { nackCount: number; packetsLost: number; framesDecoded: number } };
    const server = await spate.api(`/api/v1/streams/${PATH}`);
    console.log(`5 % loss: longest gap between decoded frames ${freeze.longestMs.toFixed(0)} ms; viewer ${JSON.stringify(stats.video)}; relay ${JSON.stringify(relay.stats)}`);
    expect(relay.stats.dropped).toBeGreaterThan(50);
    expect(stats.video.nackCount).toBeGreaterThan(0);
    expect(freeze.frames).toBeGreaterThan(200);
    expect(freeze.longestMs).toBeLessThan(500);
    expect(server.readers).toEqual({ webrtc: 1 });
  } finally {
    await view.evaluate("stopViewer(true)").catch(() => {});
    await view.close();
  }
}, 40_000);

test("WHIP publisher behind 5 % loss each way: spate NACKs, the stream keeps its frames", async () => {
  const path = "live/lossy-whip";
  const pubRelay = await startUdpRelay({ targetPort: spate.ports.webrtc!, loss: 0.05, delayMs: 5, seed: 11 });
  const page = await webrtcPage(browser, pageServer);
  try {
    await page.evaluate(`publish(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, "h264", ${pubRelay.port})`);
    const video = async () => {
      const s = await spate.api(`/api/v1/streams/${path}`).catch(() => null);
      return s?.tracks?.find((t: { kind: string }) => t.kind === "video")?.frames ?? 0;
    };
    await waitFor("video frames", async () => (await video()) > 0, 15_000);
    const before = await video();
    await Bun.sleep(6000);
    const s = await spate.api(`/api/v1/streams/${path}`);
    const v = s.publisher.stats.tracks.find((t: { codec: string }) => t.codec === "h264");
    console.log(`WHIP behind 5 % loss: ${(await video()) - before} video frames in 6 s; publisher ${JSON.stringify({ nacksSent: s.publisher.stats.nacksSent, plisSent: s.publisher.stats.plisSent, video: v })}`);
    expect(pubRelay.stats.dropped).toBeGreaterThan(10);
    expect(s.publisher.stats.nacksSent).toBeGreaterThan(0);
    expect((await video()) - before).toBeGreaterThan(60);
  } finally {
    await page.evaluate("unpublish()").catch(() => {});
    await page.close();
    pubRelay.close();
  }
}, 40_000);
