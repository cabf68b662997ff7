/**
 * Straight WHIP → WHEP: headless Chromium publishes H.264 + Opus over WHIP to a spate running in
 * this process; a WHEP viewer without a browser (test/helpers/whep-client.ts) records every RTP
 * payload it decrypts, and a Chromium WHEP viewer decodes. The publisher's packets are tapped where
 * the WHIP session hands them to the ingest (decrypted, before anything of ours reads them): after
 * the viewer's packetized catch-up from the newest keyframe, every video and audio payload the
 * viewer gets is byte for byte the publisher's, in the publisher's order, and the stream's RTP writer
 * counts them as forwarded, not packetized. Chromium decodes for 10 s with nothing lost. And a
 * Chromium viewer behind a link that drops 5 % each way: its NACKs for forwarded packets are
 * answered from the packet history, video plays on.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { WhipIngest } from "../src/protocols/webrtc/ingest.ts";
import { decodeRtp, RtpPacket } from "../src/protocols/webrtc/wire/rtp.ts";
import { defaultConfig } from "../src/server/config.ts";
import { startServer, type RunningServer } from "../src/server/server.ts";
import { launchChromium, type Browser } from "./helpers/browser.ts";
import { startUdpRelay } from "./helpers/udp-relay.ts";
import { serveWebRtcPage, waitFor, webrtcPage, type WebRtcPageServer } from "./helpers/webrtc.ts";
import { WhepClient } from "./helpers/whep-client.ts";

let server: RunningServer;
let browser: Browser;
let pageServer: WebRtcPageServer;
const originalOnRtp = WhipIngest.prototype.onRtp;

/**
 * Payloads by SSRC in sequence-number order (a packet that came late on the loopback sorted in, a
 * duplicate kept once), capped (a runaway test must not eat the memory).
 */
class PayloadLog {
  private readonly logs = new Map<number, { last: number; bySeq: Map<number, Uint8Array> }>();
  private readonly p = new RtpPacket();
  add(buf: Uint8Array, len: number): void {
    try {
      if (decodeRtp(buf.subarray(0, len), this.p) === 0) return;
    } catch {
      return;
    }
    if (this.p.payload.length === 0) return; // padding-only probes are not forwarded
    let l = this.logs.get(this.p.ssrc);
    if (!l) this.logs.set(this.p.ssrc, (l = { last: this.p.sequenceNumber, bySeq: new Map() }));
    const seq = l.last + ((((this.p.sequenceNumber - l.last) & 0xffff) << 16) >> 16);
    if (seq > l.last) l.last = seq;
    if (l.bySeq.size < 20_000) l.bySeq.set(seq, this.p.payload.slice());
  }
  clear(): void {
    this.logs.clear();
  }
  get bySsrc(): Map<number, Uint8Array[]> {
    const out = new Map<number, Uint8Array[]>();
    for (const [ssrc, l] of this.logs) out.set(ssrc, [...l.bySeq.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
    return out;
  }
}

const published = new PayloadLog();

beforeAll(async () => {
  WhipIngest.prototype.onRtp = function (buf: Uint8Array, len: number): void {
    published.add(buf, len);
    originalOnRtp.call(this, buf, len);
  };
  const config = defaultConfig();
  config.http.port = 0;
  config.http.host = "127.0.0.1";
  config.rtmp.port = 0;
  config.srt.port = 0;
  config.webrtc.port = 0;
  config.webrtc.host = "127.0.0.1";
  config.log.level = "warn";
  server = await startServer(config);
  pageServer = serveWebRtcPage();
  browser = await launchChromium();
});

afterAll(async () => {
  WhipIngest.prototype.onRtp = originalOnRtp;
  await browser?.close();
  pageServer?.stop();
  await server?.stop();
});

const url = (path: string) => `http://127.0.0.1:${server.ports.http}${path}`;
const api = async (path: string) => (await (await fetch(url(path))).json()) as any;

interface WriterCounts {
  packetsForwarded: number;
  packetsPacketized: number;
}

/**
 * The viewer's payloads from the end back to where they stop being the publisher's, in the
 * publisher's order: `catchUp` payloads before that (the packetized join; an Opus frame or a small
 * H.264 NAL unit packetized comes out the same, so the run may reach into it). The publisher's list
 * runs on past the viewer's last packet and repeats payloads (Opus frames of a steady tone): the
 * alignment is the one with the longest run.
 */
function checkForwarded(viewer: Uint8Array[], publisher: Uint8Array[]): { catchUp: number; forwarded: number } {
  const last = viewer[viewer.length - 1]!;
  let best = 0;
  for (let end = publisher.length - 1; end >= 0; end--) {
    if (Buffer.compare(publisher[end]!, last) !== 0) continue;
    let n = 0;
    while (n < viewer.length && end - n >= 0 && Buffer.compare(viewer[viewer.length - 1 - n]!, publisher[end - n]!) === 0) n++;
    best = Math.max(best, n);
  }
  expect(best).toBeGreaterThan(0);
  return { catchUp: viewer.length - best, forwarded: best };
}

for (const codec of ["h264", "vp8"]) test(`Chromium WHIP (${codec} + Opus) -> WHEP: the publisher's own payloads, forwarded not packetized; Chromium decodes 10 s, nothing lost`, async () => {
  const path = `live/passthrough-${codec}`;
  const pub = await webrtcPage(browser, pageServer);
  const view = await webrtcPage(browser, pageServer);
  let client: WhepClient | null = null;
  published.clear(); // the fake microphone's tone makes the same Opus bytes in every test
  try {
    await pub.evaluate(`publish(${JSON.stringify(url(`/${path}/whip`))}, "${codec}")`);
    await waitFor("published video and audio", async () => {
      const r = await fetch(url(`/api/v1/streams/${path}`));
      if (!r.ok) return false;
      const s = (await r.json()) as { tracks: { kind: string; frames: number }[] };
      return ["video", "audio"].every((k) => s.tracks.some((t) => t.kind === k && t.frames > 10));
    }, 15_000);

    // The WHEP viewer that records payloads (its join starts with the packetized catch-up).
    const received = new PayloadLog();
    client = await WhepClient.start(url(`/${path}/whep`));
    client.onPacket = (plain, n) => received.add(plain, n);
    await waitFor("the WHEP client's first packets", () => client!.packets() > 50, 10_000);

    // Chromium watches too: it joins at a forwarded keyframe.
    await view.evaluate(`play(${JSON.stringify(url(`/${path}/whep`))})`);
    expect((await view.evaluate("timeToFirstFrame(8000)")) as number).toBeGreaterThan(0);
    const before = (await api(`/api/v1/streams/${path}`)).publisher.stats.rtpWriter as WriterCounts;
    const samples: { framesDecoded: number; packetsLost: number; pliCount: number; keyFramesDecoded: number }[] = [];
    for (let i = 0; i <= 5; i++) {
      samples.push(((await view.evaluate("viewerStats()")) as { video: (typeof samples)[number] }).video);
      if (i < 5) await Bun.sleep(2000);
    }
    const after = (await api(`/api/v1/streams/${path}`)).publisher.stats;
    const counts = after.rtpWriter as WriterCounts;
    console.log(`${codec}: Chromium viewer over 10 s: ${JSON.stringify(samples[samples.length - 1])}; RTP writer before ${JSON.stringify(before)}, after ${JSON.stringify(counts)}`);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.framesDecoded).toBeGreaterThan(samples[i - 1]!.framesDecoded);
    expect(samples[samples.length - 1]!.framesDecoded - samples[0]!.framesDecoded).toBeGreaterThan(100);
    expect(samples[samples.length - 1]!.packetsLost).toBe(0);
    // The passthrough path: packets forwarded all along, none packetized while both viewers watched.
    expect(counts.packetsForwarded - before.packetsForwarded).toBeGreaterThan(300);
    expect(counts.packetsPacketized).toBe(before.packetsPacketized);
    for (const t of after.tracks as { packetsForwarded: number; forwardRefused: number }[]) {
      expect(t.packetsForwarded).toBeGreaterThan(0);
      expect(t.forwardRefused).toBe(0);
    }

    // Byte for byte: every viewer payload after its catch-up is the publisher's next one.
    expect(client.lost()).toBe(0);
    expect(client.unprotectFailed).toBe(0);
    let forwarded = 0;
    const publishedBySsrc = published.bySsrc;
    for (const [ssrc, payloads] of received.bySsrc) {
      const pubSsrc = [...publishedBySsrc.values()].filter((l) => l.some((p) => Buffer.compare(p, payloads[payloads.length - 1]!) === 0));
      expect(pubSsrc.length).toBe(1);
      const r = checkForwarded(payloads, pubSsrc[0]!);
      console.log(`${codec}: viewer SSRC ${ssrc}: ${r.catchUp} packetized catch-up packets, then ${r.forwarded} of the publisher's payloads byte for byte`);
      expect(r.catchUp).toBeLessThanOrEqual(counts.packetsPacketized);
      forwarded += r.forwarded;
    }
    expect(received.bySsrc.size).toBe(2);
    expect(forwarded).toBeGreaterThan(500);
  } finally {
    await client?.stop();
    await view.evaluate("stopViewer(true)").catch(() => {});
    await pub.evaluate("unpublish()").catch(() => {});
    await pub.close();
    await view.close();
  }
}, 60_000);

test("Chromium WHIP (H.264) -> Chromium WHEP behind 5 % loss each way: NACKs for forwarded packets answered from the history, no freeze over 500 ms in 10 s", async () => {
  const path = "live/passthrough-lossy";
  const relay = await startUdpRelay({ targetPort: server.ports.webrtc!, loss: 0.05, delayMs: 5, seed: 11 });
  const pub = await webrtcPage(browser, pageServer);
  const view = await webrtcPage(browser, pageServer);
  try {
    await pub.evaluate(`publish(${JSON.stringify(url(`/${path}/whip`))}, "h264")`);
    await waitFor("published video", async () => {
      const r = await fetch(url(`/api/v1/streams/${path}`));
      return r.ok && ((await r.json()) as { tracks: { kind: string; frames: number }[] }).tracks.some((t) => t.kind === "video" && t.frames > 10);
    }, 15_000);
    const nacks0 = (await api("/api/v1/server")).webrtc as { nacksAnswered: number; nacksMissed: number };
    await view.evaluate(`play(${JSON.stringify(url(`/${path}/whep`))}, ${relay.port})`);
    expect((await view.evaluate("timeToFirstFrame(8000)")) as number).toBeGreaterThan(0);
    const before = (await api(`/api/v1/streams/${path}`)).publisher.stats.rtpWriter as WriterCounts;
    await view.evaluate("startFreezeWatch()");
    await Bun.sleep(10_000);
    const freeze = (await view.evaluate("freezeReport()")) as { longestMs: number; frames: number };
    const stats = ((await view.evaluate("viewerStats()")) as { video: { nackCount: number; packetsLost: number; framesDecoded: number } }).video;
    const after = (await api(`/api/v1/streams/${path}`)).publisher.stats.rtpWriter as WriterCounts;
    const nacks = (await api("/api/v1/server")).webrtc as { nacksAnswered: number; nacksMissed: number };
    console.log(`5 % loss, forwarded: longest gap ${freeze.longestMs.toFixed(0)} ms; viewer ${JSON.stringify(stats)}; NACKed packets answered ${nacks.nacksAnswered - nacks0.nacksAnswered}, missed ${nacks.nacksMissed - nacks0.nacksMissed}; relay ${JSON.stringify(relay.stats)}; writer ${JSON.stringify(after)}`);
    expect(relay.stats.dropped).toBeGreaterThan(20);
    expect(stats.nackCount).toBeGreaterThan(0);
    expect(nacks.nacksAnswered - nacks0.nacksAnswered).toBeGreaterThan(0);
    expect(after.packetsForwarded - before.packetsForwarded).toBeGreaterThan(100);
    expect(after.packetsPacketized).toBe(before.packetsPacketized);
    expect(freeze.frames).toBeGreaterThan(100);
    expect(freeze.longestMs).toBeLessThan(500);
  } finally {
    await view.evaluate("stopViewer(true)").catch(() => {});
    await pub.evaluate("unpublish()").catch(() => {});
    await pub.close();
    await view.close();
    relay.close();
  }
}, 60_000);
