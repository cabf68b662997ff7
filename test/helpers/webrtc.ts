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
import type { Browser } from "./browser.ts";

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
