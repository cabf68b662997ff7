/**
 * The player page's default mode in headless Chromium: WebRTC (WHEP) first, LL-HLS when WHEP fails.
 *  - ffmpeg publishes H.264 (no B-frames) + AAC over RTMP: the page plays over WHEP (frames decoded,
 *    currentTime advancing), says in one line that the AAC audio needs LL-HLS, and DELETEs its
 *    session when the page goes away;
 *  - a spate whose WebRTC candidate browsers cannot reach (a wrong --webrtc-public-address, as
 *    behind a NAT nobody configured): ICE never connects, the page falls back to LL-HLS and plays;
 *  - ?player=hls plays LL-HLS without trying WHEP;
 *  - a Chromium WHIP publisher (H.264 + Opus): the page plays WHEP with its audio, no notice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { launchChromium, type Browser } from "./helpers/browser.ts";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { serveWebRtcPage, waitFor, webrtcPage } from "./helpers/webrtc.ts";

interface PageState {
  mode: string;
  player: string | null;
  playing: boolean;
  latencySec: number | null;
  latencySource: string | null;
  currentTime: number;
  framesDecoded: number;
  audioPackets: number;
  audio: string | null;
  audioNotice: string | null;
  fallback: string | null;
  retries: number;
  library: string | null;
  errors: number;
  error: string | null;
  whepSession: string | null;
}

const RTMP_PATH = "live/page-rtmp";
let spate: Spate;
let publisher: Publisher;
let browser: Browser;

const readState = (page: Page) => page.evaluate(() => ({ ...(globalThis as any).spate }) as PageState);

async function waitForLive(server: Spate, path: string, kinds: string[], pub?: Publisher): Promise<void> {
  await waitFor(
    `${kinds.join(" + ")} live on ${path}${pub ? `; ffmpeg: ${pub.stderr().slice(-500)}` : ""}`,
    async () => {
      const r = await server.request(`/api/v1/streams/${path}`);
      if (!r.ok) return void (await r.body?.cancel());
      const s = (await r.json()) as { state: string; tracks: { kind: string; frames: number }[] };
      return s.state === "live" && kinds.every((k) => s.tracks.some((t) => t.kind === k && t.frames > 0));
    },
    15_000,
    200,
  );
}

/** Opens the page and waits until it plays over `player`; the failure message carries the page's state and log. */
async function openPlaying(url: string, player: string, timeoutMs: number): Promise<Page> {
  const page = await browser.open(url);
  try {
    await page.waitForFunction((p) => (globalThis as any).spate?.playing === true && (globalThis as any).spate.player === p, player, { timeout: timeoutMs, polling: 100 });
  } catch (e) {
    const state = await readState(page).catch(() => null);
    throw new Error(`${url} did not play over ${player}: ${(e as Error).message}\npage state: ${JSON.stringify(state)}\nbrowser log:\n${browser.logTail()}`);
  }
  return page;
}

/** Samples the page for `seconds`: currentTime and frames must advance. */
async function progress(page: Page, seconds: number): Promise<{ first: PageState; last: PageState }> {
  const first = await readState(page);
  await sleep(seconds * 1000);
  const last = await readState(page);
  return { first, last };
}

interface RecordingProxy {
  url: string;
  /** "METHOD /path" of every request, in order. */
  seen: string[];
  stop(): void;
}

/** An HTTP proxy in front of spate that records each request it forwards. */
function recordingProxy(target: Spate): RecordingProxy {
  const seen: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push(`${req.method} ${url.pathname}`);
      const headers = new Headers(req.headers);
      headers.delete("host");
      headers.set("accept-encoding", "identity");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      return fetch(target.httpUrl(url.pathname + url.search), { method: req.method, headers, body, redirect: "manual" });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => void server.stop(true) };
}

beforeAll(async () => {
  spate = await startSpate();
  // H.264 without B-frames (-bf 0) and AAC, a keyframe every second.
  publisher = publishLavfi(spate.rtmpUrl(RTMP_PATH), { size: "640x360", rate: 25, gop: 25, seconds: 300 });
  await waitForLive(spate, RTMP_PATH, ["video", "audio"], publisher);
  browser = await launchChromium();
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop(2000);
  await spate?.stop();
});

describe("player page: WHEP first, LL-HLS fallback", () => {
  test("RTMP H.264 + AAC: plays over WHEP, says the AAC audio needs LL-HLS, DELETEs its session on pagehide", async () => {
    const proxy = recordingProxy(spate);
    try {
      await playsRtmpOverWhep(proxy);
    } finally {
      proxy.stop();
    }
  }, 40_000);

  async function playsRtmpOverWhep(proxy: RecordingProxy) {
    const page = await openPlaying(`${proxy.url}/${RTMP_PATH}/`, "whep", 15_000);
    const { first, last } = await progress(page, 4);
    console.log(
      `player page over WHEP (RTMP H.264 + AAC): frames ${first.framesDecoded} -> ${last.framesDecoded}, currentTime +${(last.currentTime - first.currentTime).toFixed(2)} s, ` +
        `behind live ${last.latencySec?.toFixed(3)} s (${last.latencySource}); notice: ${JSON.stringify(last.audioNotice)}; status ${JSON.stringify(await page.locator("#status").textContent())}`,
    );
    expect(last.player).toBe("whep");
    expect(last.fallback).toBeNull();
    expect(last.framesDecoded - first.framesDecoded).toBeGreaterThan(40); // 25 fps for 4 s
    expect(last.currentTime - first.currentTime).toBeGreaterThan(2);
    expect(last.latencySec).not.toBeNull();
    expect(await page.locator("#mode").textContent()).toBe("WebRTC (WHEP)");

    expect(last.audio).toBe("unavailable");
    expect(await page.locator("#status").textContent()).toBe("playing"); // nothing to unmute
    const notice = page.locator("#notice");
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toContain("AAC");
    expect(await notice.locator("a").getAttribute("href")).toBe("./?player=hls");
    expect((await spate.api("/api/v1/server")).webrtc.sessions.whep).toBe(1);
    expect(browser.log.filter((l) => /Content Security Policy|\[pageerror\]/.test(l)), browser.logTail()).toEqual([]);

    // pagehide DELETEs the session. Closing the peer connection alone also ends it soon (DTLS
    // close_notify), so the DELETE is checked where it arrives, at the proxy the page talks to.
    await page.goto("about:blank");
    const goneAfterMs = performance.now();
    await waitFor("the WHEP session to be deleted", async () => (await spate.api("/api/v1/server")).webrtc.sessions.whep === 0, 3000, 50);
    console.log(`WHEP session gone ${(performance.now() - goneAfterMs).toFixed(0)} ms after the page was left`);
    await waitFor("the DELETE", () => proxy.seen.includes(`DELETE ${new URL(last.whepSession!).pathname}`), 3000, 50);
  }

  test("?player=hls plays LL-HLS and never posts to WHEP", async () => {
    const page = await openPlaying(spate.httpUrl(`/${RTMP_PATH}/?player=hls`), "hls", 20_000);
    const { first, last } = await progress(page, 3);
    console.log(`?player=hls: ${last.library}, currentTime +${(last.currentTime - first.currentTime).toFixed(2)} s, behind live ${last.latencySec?.toFixed(2)} s`);
    expect(last.library).toMatch(/^hls\.js 1\./);
    expect(last.currentTime - first.currentTime).toBeGreaterThan(1.5);
    expect(last.whepSession).toBeNull();
    expect(browser.log.filter((l) => l.includes(`/${RTMP_PATH}/whep`))).toEqual([]);
    expect((await spate.api("/api/v1/server")).webrtc.sessions.whep).toBe(0);
    await page.goto("about:blank");
  }, 40_000);

  test("WebRTC unreachable (a wrong --webrtc-public-address): ICE never connects, the page falls back to LL-HLS and plays", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there, so the answer's only candidate is dead.
    const unreachable = await startSpate(["--webrtc-public-address", "192.0.2.1"]);
    const path = "live/page-fallback";
    const pub = publishLavfi(unreachable.rtmpUrl(path), { size: "320x180", rate: 25, gop: 25, seconds: 120 });
    try {
      await waitForLive(unreachable, path, ["video"], pub);
      const page = await openPlaying(unreachable.httpUrl(`/${path}/`), "hls", 30_000);
      const { first, last } = await progress(page, 3);
      console.log(`fallback: ${JSON.stringify(last.fallback)}; then ${last.library}, currentTime +${(last.currentTime - first.currentTime).toFixed(2)} s`);
      expect(last.fallback).toMatch(/no video frame within|connection failed/);
      expect(last.currentTime - first.currentTime).toBeGreaterThan(1.5);
      expect(await page.locator("#mode").textContent()).toContain("LL-HLS (WebRTC failed:");
      // The failed attempt's session was DELETEd, not left to time out.
      expect((await unreachable.api("/api/v1/server")).webrtc.sessions.whep).toBe(0);
      await page.goto("about:blank");
    } finally {
      await pub.stop(2000);
      await unreachable.stop();
    }
  }, 60_000);

  test("?player=whep while the publisher is away: WHEP 404s are retried with backoff until it is back, then it plays", async () => {
    const path = "live/page-retry";
    let pub = publishLavfi(spate.rtmpUrl(path), { size: "320x180", rate: 25, gop: 25, seconds: 60, tone: false });
    try {
      await waitForLive(spate, path, ["video"], pub);
      await pub.stop(2000);
      // Within the grace period the path is known (the page is served) but nothing is live: WHEP answers 404.
      await waitFor("the stream to wait for its publisher", async () => (await spate.api(`/api/v1/streams/${path}`)).state === "waiting", 5000, 100);
      const page = await browser.open(spate.httpUrl(`/${path}/?player=whep`));
      await waitFor("two WHEP attempts", async () => (await readState(page)).retries >= 2, 10_000, 100);
      const waiting = await readState(page);
      console.log(`?player=whep with nothing live: ${waiting.retries} retries so far, last error ${JSON.stringify(waiting.error)}`);
      expect(waiting.error).toContain("WHEP 404");
      expect(waiting.playing).toBe(false);
      expect(waiting.player).toBe("whep");

      pub = publishLavfi(spate.rtmpUrl(path), { size: "320x180", rate: 25, gop: 25, seconds: 60, tone: false });
      await page.waitForFunction(() => (globalThis as any).spate.framesDecoded > 0, undefined, { timeout: 20_000, polling: 200 });
      const back = await readState(page);
      console.log(`publisher back: playing over ${back.player} after ${waiting.retries}+ retries, frames ${back.framesDecoded}`);
      expect(back.player).toBe("whep");
      // A stream without audio: the answer refuses the audio section and there is nothing to tell.
      await waitFor("the page to check the audio", async () => (await readState(page)).audio, 5000, 100);
      expect((await readState(page)).audio).toBe("none");
      expect(await page.locator("#notice").isVisible()).toBe(false);
      await page.goto("about:blank");
    } finally {
      await pub.stop(2000);
    }
  }, 60_000);

  test("Chromium WHIP publisher (H.264 + Opus): the page plays WHEP with sound, no notice", async () => {
    const path = "live/page-whip";
    const pageServer = serveWebRtcPage();
    const pub = await webrtcPage(browser, pageServer);
    try {
      await pub.evaluate(`publish(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, "h264")`);
      await waitForLive(spate, path, ["video", "audio"]);
      const page = await openPlaying(spate.httpUrl(`/${path}/`), "whep", 15_000);
      await waitFor("audio packets at the page", async () => (await readState(page)).audioPackets > 0, 5000);
      const { first, last } = await progress(page, 2);
      const status = await page.locator("#status").textContent();
      console.log(
        `player page over WHEP (WHIP H.264 + Opus): frames +${last.framesDecoded - first.framesDecoded}, audio packets +${last.audioPackets - first.audioPackets}, ` +
          `behind live ${last.latencySec?.toFixed(3)} s (${last.latencySource}); muted ${await page.evaluate(() => (globalThis as any).document.getElementById("video").muted)}; status ${JSON.stringify(status)}`,
      );
      expect(last.audio).toBe("webrtc");
      expect(last.audioPackets).toBeGreaterThan(first.audioPackets);
      expect(last.framesDecoded).toBeGreaterThan(first.framesDecoded);
      expect(last.audioNotice).toBeNull();
      // Never muted without saying so: headless Chromium refuses sound without a click, so the page plays muted and tells.
      const muted = await page.evaluate(() => (globalThis as any).document.getElementById("video").muted as boolean);
      expect(muted ? status : "sound on").toMatch(/^sound on$|unmute/);
      expect(await page.locator("#notice").isVisible()).toBe(false);
      await page.goto("about:blank");
    } finally {
      await pub.evaluate("unpublish()").catch(() => {});
      await pub.close();
      pageServer.stop();
    }
  }, 40_000);
});
