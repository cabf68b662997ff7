/**
 * Ingest to egress, live: headless Chromium publishes a noise canvas (H.264 or VP8, multi-packet
 * frames at the bitrate REMB allows) over WHIP to a spate in this process; a WHEP client without a
 * browser (test/helpers/whep-client.ts) receives. For every video frame: the time from its first
 * (and its last) packet reaching the WHIP ingest (decrypted, before the reorder buffer) to the viewer
 * decrypting the frame's first (last) packet — spate's own work plus one loopback hop, all on this
 * process's clock. Run once with forwarding (straight WHIP → WHEP) and once with it turned off (the
 * publisher refuses the RTP writer: every frame is depacketized and packetized again, the path
 * before), same machine, same minute.
 *
 *   bun bench/whip-latency.ts [h264|vp8] [seconds]
 */
import { WhipIngest } from "../src/protocols/webrtc/ingest.ts";
import { decodeRtp, RtpPacket } from "../src/protocols/webrtc/wire/rtp.ts";
import { defaultConfig } from "../src/server/config.ts";
import { startServer } from "../src/server/server.ts";
import { launchChromium } from "../test/helpers/browser.ts";
import { serveWebRtcPage, waitFor, webrtcPage } from "../test/helpers/webrtc.ts";
import { WhepClient } from "../test/helpers/whep-client.ts";

const codec = process.argv[2] ?? "h264";
const seconds = Number(process.argv[3] ?? 10);

/** A 640x360 canvas of fresh noise every frame: every frame is big (many packets). */
const PUBLISH_NOISE = (url: string, codec: string) => `(async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 640; canvas.height = 360;
  const g = canvas.getContext("2d");
  const img = g.createImageData(640, 360);
  setInterval(() => { const d = new Uint32Array(img.data.buffer); for (let i = 0; i < d.length; i += 4) d[i] = d[i + 1] = d[i + 2] = d[i + 3] = (Math.random() * 0xffffffff) | 0xff000000; g.putImageData(img, 0, 0); }, 33);
  const media = canvas.captureStream(30);
  pc = new RTCPeerConnection();
  const tr = pc.addTransceiver(media.getVideoTracks()[0], { direction: "sendonly" });
  tr.setCodecPreferences(RTCRtpSender.getCapabilities("video").codecs.filter((c) => c.mimeType.toLowerCase() === "video/${codec}" && ("${codec}" !== "h264" || /packetization-mode=1/.test(c.sdpFmtpLine || ""))));
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(${JSON.stringify(url)}, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (r.status !== 201) throw new Error("WHIP POST " + r.status);
  location_ = new URL(r.headers.get("location"), ${JSON.stringify(url)}).href;
  await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
})()`;

/**
 * Per RTP timestamp of the video: when its first and last (marker) packet was seen, and how many
 * packets. The video is the payload type that first sends 20 packets over 500 bytes (Opus never does).
 */
class FrameTimes {
  readonly first = new Map<number, number>();
  readonly last = new Map<number, number>();
  readonly packets = new Map<number, number>();
  private readonly big = new Map<number, number>();
  private videoPt = -1;
  private readonly p = new RtpPacket();
  clear(): void {
    this.first.clear();
    this.last.clear();
    this.packets.clear();
  }
  add(buf: Uint8Array, len: number): void {
    const now = performance.now();
    try {
      if (decodeRtp(buf.subarray(0, len), this.p) === 0 || this.p.payload.length === 0) return;
    } catch {
      return;
    }
    if (this.videoPt < 0) {
      if (this.p.payload.length > 500) this.big.set(this.p.payloadType, (this.big.get(this.p.payloadType) ?? 0) + 1);
      if ((this.big.get(this.p.payloadType) ?? 0) >= 20) this.videoPt = this.p.payloadType;
      return;
    }
    if (this.p.payloadType !== this.videoPt) return;
    const ts = this.p.timestamp;
    if (!this.first.has(ts)) this.first.set(ts, now);
    this.packets.set(ts, (this.packets.get(ts) ?? 0) + 1);
    if (this.p.marker) this.last.set(ts, now);
  }
}

const q = (xs: number[], f: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(f * s.length))]! * 100) / 100 : -1;
};

async function measure(forward: boolean) {
  const original = WhipIngest.prototype.setRtpWriter;
  if (!forward) WhipIngest.prototype.setRtpWriter = function () {};
  const originalOnRtp = WhipIngest.prototype.onRtp;
  const published = new FrameTimes();
  WhipIngest.prototype.onRtp = function (buf: Uint8Array, len: number): void {
    published.add(buf, len);
    originalOnRtp.call(this, buf, len);
  };
  const config = defaultConfig();
  config.http.port = config.rtmp.port = config.srt.port = config.webrtc.port = 0;
  config.http.host = config.webrtc.host = "127.0.0.1";
  config.log.level = "warn";
  const server = await startServer(config);
  const pages = serveWebRtcPage();
  const browser = await launchChromium();
  const url = (p: string) => `http://127.0.0.1:${server.ports.http}${p}`;
  const path = `live/latency-${codec}-${forward ? "forward" : "packetize"}`;
  try {
    const pub = await webrtcPage(browser, pages);
    await pub.evaluate(PUBLISH_NOISE(url(`/${path}/whip`), codec));
    await waitFor("published", async () => {
      const r = await fetch(url(`/api/v1/streams/${path}`));
      return r.ok && ((await r.json()) as { tracks: { frames: number }[] }).tracks.some((t) => t.frames > 30);
    }, 20_000);
    const received = new FrameTimes();
    const client = await WhepClient.start(url(`/${path}/whep`));
    client.onPacket = (plain, n) => received.add(plain, n);
    await Bun.sleep(2000); // joined, past the catch-up
    published.clear();
    received.clear();
    await Bun.sleep(seconds * 1000);
    const stats = (await (await fetch(url(`/api/v1/streams/${path}`))).json()) as { publisher: { stats: { rtpWriter: unknown } } };
    await client.stop();
    await pub.close();
    // Match frames: the viewer's RTP time is the publisher's plus one constant offset; find it.
    const votes = new Map<number, number>();
    const pubTs = [...published.first.keys()];
    for (const v of received.first.keys()) for (const p of pubTs.slice(0, 200)) votes.set((v - p) >>> 0, (votes.get((v - p) >>> 0) ?? 0) + 1);
    const delta = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    const first: number[] = [];
    const last: number[] = [];
    const packets: number[] = [];
    for (const [ts, t0] of published.first) {
      const r0 = received.first.get((ts + delta) >>> 0);
      if (r0 === undefined) continue;
      first.push(r0 - t0);
      packets.push(published.packets.get(ts) ?? 0);
      const t1 = published.last.get(ts);
      const r1 = received.last.get((ts + delta) >>> 0);
      if (t1 !== undefined && r1 !== undefined) last.push(r1 - t1);
    }
    return {
      mode: forward ? "forward" : "packetize",
      frames: first.length,
      packetsPerFrame: Math.round((packets.reduce((a, b) => a + b, 0) / Math.max(1, packets.length)) * 10) / 10,
      firstPacketMs: { p50: q(first, 0.5), p90: q(first, 0.9), max: q(first, 1) },
      lastPacketMs: { p50: q(last, 0.5), p90: q(last, 0.9), max: q(last, 1) },
      rtpWriter: stats.publisher.stats.rtpWriter,
    };
  } finally {
    WhipIngest.prototype.setRtpWriter = original;
    WhipIngest.prototype.onRtp = originalOnRtp;
    await browser.close();
    pages.stop();
    await server.stop();
  }
}

for (const forward of [false, true, false, true]) console.log(JSON.stringify({ codec, ...(await measure(forward)) }));
process.exit(0);
