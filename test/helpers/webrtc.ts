/**
 * A WHIP publisher and a WHEP viewer inside headless Chromium: a tiny page served on 127.0.0.1 (a
 * secure context, so getUserMedia gives the fake camera and microphone) from another origin than
 * spate's, so CORS is exercised too. The page's script is plain JavaScript (the project compiles
 * without DOM types); tests drive it with `page.evaluate("expression")`.
 *
 *   const page = await webrtcPage(browser);
 *   await page.evaluate(`publish(${JSON.stringify(url)}, "h264")`);
 */
import type { Page } from "playwright-core";
import { launchChromium, type Browser } from "./browser.ts";
import { startSpate, type Spate } from "./server.ts";

const SCRIPT = String.raw`
let pc = null, location_ = null, viewer = null, viewerLocation = null, postAt = 0, firstFrameAt = 0;

async function publish(url, codec, relayPort) {
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 30 } });
  pc = new RTCPeerConnection();
  for (const track of media.getTracks()) {
    const tr = pc.addTransceiver(track, { direction: "sendonly" });
    if (track.kind === "video") {
      const all = RTCRtpSender.getCapabilities("video").codecs;
      let want = all.filter((c) => c.mimeType.toLowerCase() === "video/" + codec);
      if (codec === "h264") {
        const cb = want.filter((c) => /packetization-mode=1/.test(c.sdpFmtpLine || "") && /profile-level-id=42e01f/i.test(c.sdpFmtpLine || ""));
        if (cb.length) want = cb;
      }
      if (!want.length) throw new Error("no " + codec + " encoder in this Chromium");
      tr.setCodecPreferences(want);
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (r.status !== 201) throw new Error("WHIP POST " + r.status + ": " + (await r.text()));
  location_ = new URL(r.headers.get("location"), url).href;
  const answer = await r.text();
  await pc.setRemoteDescription({ type: "answer", sdp: relayPort ? throughRelay(answer, relayPort) : answer });
  return { location: location_, etag: r.headers.get("etag") };
}

/**
 * Publishes a canvas that shows the wall clock (Date.now(), low 32 bits) as 32 black/white cells
 * of 40x40 px (two rows of 16), redrawn every 10 ms; a viewer in the same browser reads it back.
 */
async function publishClock(url, codec) {
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext("2d");
  const draw = () => {
    const t = Date.now() >>> 0;
    g.fillStyle = "#808080";
    g.fillRect(0, 0, 640, 360);
    for (let i = 0; i < 32; i++) {
      g.fillStyle = (t >>> (31 - i)) & 1 ? "#ffffff" : "#000000";
      g.fillRect((i % 16) * 40, 100 + Math.floor(i / 16) * 40, 40, 40);
    }
  };
  draw();
  setInterval(draw, 10);
  const media = canvas.captureStream(30);
  pc = new RTCPeerConnection();
  const tr = pc.addTransceiver(media.getVideoTracks()[0], { direction: "sendonly" });
  const want = RTCRtpSender.getCapabilities("video").codecs.filter((c) => c.mimeType.toLowerCase() === "video/" + codec && (codec !== "h264" || /packetization-mode=1/.test(c.sdpFmtpLine || "")));
  tr.setCodecPreferences(want);
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (r.status !== 201) throw new Error("WHIP POST " + r.status + ": " + (await r.text()));
  location_ = new URL(r.headers.get("location"), url).href;
  await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
}

/** Reads the clock cells of each frame the viewer's video presents: latency samples in ms. */
async function measureClock(ms) {
  const video = document.querySelector("video");
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  const samples = [];
  let bad = 0;
  const read = () => {
    if (video.videoWidth === 0) return;
    g.drawImage(video, 0, 0, 640, 360);
    const px = g.getImageData(0, 100, 640, 80).data;
    let t = 0;
    for (let i = 0; i < 32; i++) {
      const x = (i % 16) * 40 + 20, y = Math.floor(i / 16) * 40 + 20;
      const lum = px[(y * 640 + x) * 4 + 1];
      t = t * 2 + (lum > 128 ? 1 : 0);
    }
    const d = ((Date.now() >>> 0) - t + 4294967296) % 4294967296;
    if (d < 5000) samples.push(d); else bad++;
  };
  const end = performance.now() + ms;
  if (video.requestVideoFrameCallback) {
    await new Promise((resolve) => {
      const onFrame = () => { read(); if (performance.now() < end) video.requestVideoFrameCallback(onFrame); else resolve(); };
      video.requestVideoFrameCallback(onFrame);
      setTimeout(resolve, ms + 1000);
    });
  } else {
    while (performance.now() < end) { read(); await new Promise((r) => setTimeout(r, 10)); }
  }
  samples.sort((a, b) => a - b);
  const q = (f) => samples.length ? samples[Math.min(samples.length - 1, Math.floor(f * samples.length))] : -1;
  return { n: samples.length, bad, p50: q(0.5), p90: q(0.9), max: samples.length ? samples[samples.length - 1] : -1 };
}

async function publisherStats() {
  const out = { video: null, audio: null, state: pc ? pc.connectionState : "none" };
  if (!pc) return out;
  for (const s of (await pc.getStats()).values()) {
    if (s.type === "outbound-rtp") out[s.kind] = { packetsSent: s.packetsSent, bytesSent: s.bytesSent, framesEncoded: s.framesEncoded, encoder: s.encoderImplementation, targetBitrate: s.targetBitrate };
  }
  return out;
}

async function unpublish() {
  const r = location_ ? await fetch(location_, { method: "DELETE" }) : null;
  if (pc) pc.close();
  pc = null;
  return r ? r.status : 0;
}

/** The answer's candidates replaced by one on 127.0.0.1:port (a relay in front of spate). */
function throughRelay(sdp, port) {
  const out = [];
  for (const line of sdp.split("\r\n")) {
    if (line.startsWith("a=candidate:")) continue;
    out.push(line);
    if (line.startsWith("a=ice-pwd:")) out.push("a=candidate:1 1 udp 2130706431 127.0.0.1 " + port + " typ host");
  }
  return out.join("\r\n");
}

let watch = null;
/** Polls getStats every 50 ms; records the longest time without a new decoded frame after the first. */
function startFreezeWatch() {
  const w = { lastFrames: 0, lastChange: 0, longestMs: 0, timer: 0 };
  w.timer = setInterval(async () => {
    const v = (await viewerStats()).video;
    const now = performance.now();
    if (!v || !v.framesDecoded) return;
    if (v.framesDecoded !== w.lastFrames) {
      if (w.lastChange) w.longestMs = Math.max(w.longestMs, now - w.lastChange);
      w.lastFrames = v.framesDecoded;
      w.lastChange = now;
    }
  }, 50);
  watch = w;
}
function freezeReport() {
  clearInterval(watch.timer);
  return { longestMs: Math.max(watch.longestMs, performance.now() - watch.lastChange), frames: watch.lastFrames };
}

async function play(url, relayPort) {
  viewer = new RTCPeerConnection();
  viewer.addTransceiver("video", { direction: "recvonly" });
  viewer.addTransceiver("audio", { direction: "recvonly" });
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  document.body.appendChild(video);
  const ms = new MediaStream();
  viewer.ontrack = (e) => { ms.addTrack(e.track); video.srcObject = ms; };
  await viewer.setLocalDescription(await viewer.createOffer());
  postAt = performance.now();
  firstFrameAt = 0;
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: viewer.localDescription.sdp });
  if (r.status !== 201) throw new Error("WHEP POST " + r.status + ": " + (await r.text()));
  viewerLocation = new URL(r.headers.get("location"), url).href;
  const answer = await r.text();
  await viewer.setRemoteDescription({ type: "answer", sdp: relayPort ? throughRelay(answer, relayPort) : answer });
  return { location: viewerLocation };
}

async function viewerStats() {
  const out = { video: null, audio: null, state: viewer ? viewer.connectionState : "none" };
  if (!viewer) return out;
  for (const s of (await viewer.getStats()).values()) {
    if (s.type === "inbound-rtp") {
      out[s.kind] = {
        packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded, keyFramesDecoded: s.keyFramesDecoded,
        totalSamplesReceived: s.totalSamplesReceived, concealedSamples: s.concealedSamples, nackCount: s.nackCount, pliCount: s.pliCount,
        freezeCount: s.freezeCount, decoder: s.decoderImplementation, frameWidth: s.frameWidth,
      };
    }
  }
  return out;
}

/** ms from the WHEP POST to the first decoded frame, polling getStats every 20 ms. */
async function timeToFirstFrame(timeoutMs) {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const v = (await viewerStats()).video;
    if (v && v.framesDecoded > 0) return performance.now() - postAt;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

async function stopViewer(useDelete) {
  const r = useDelete && viewerLocation ? await fetch(viewerLocation, { method: "DELETE" }) : null;
  if (viewer) viewer.close();
  viewer = null;
  return r ? r.status : 0;
}
`;

const HTML = `<!doctype html><meta charset="utf-8"><title>spate webrtc test</title><body><script>${SCRIPT}</script></body>`;

export interface WebRtcPageServer {
  url: string;
  stop(): void;
}

/** Serves the test page on 127.0.0.1 (any free port). */
export function serveWebRtcPage(): WebRtcPageServer {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(HTML, { headers: { "content-type": "text/html" } }) });
  return { url: `http://127.0.0.1:${server.port}/`, stop: () => void server.stop(true) };
}

export async function webrtcPage(browser: Browser, server: WebRtcPageServer): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(server.url, { waitUntil: "load" });
  return page;
}

/** Polls `fn` every `everyMs` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** What most browser WebRTC tests share: a spate, the page server and one Chromium. */
export interface WebRtcRig {
  spate: Spate;
  browser: Browser;
  pageServer: WebRtcPageServer;
}

export async function startWebRtcRig(flags: string[] = []): Promise<WebRtcRig> {
  const spate = await startSpate(flags);
  const pageServer = serveWebRtcPage();
  return { spate, pageServer, browser: await launchChromium() };
}

export async function stopWebRtcRig(r: Partial<WebRtcRig>): Promise<void> {
  await r.browser?.close();
  r.pageServer?.stop();
  await r.spate?.stop();
}
