/**
 * SRT through the server with real peers: ffmpeg (libsrt) and srt-live-transmit publish and read,
 * across protocols (SRT in → RTMP out, RTMP in → SRT out), encrypted, refused, and through a lossy
 * relay. What the readers write is checked with ffprobe and with our own TS demuxer (continuity).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TsDemuxer } from "../src/formats/mpegts/demuxer.ts";
import { decodeErrors, ffprobe, publishLavfi, readToFile, tempFile } from "./helpers/ffmpeg.ts";
import { sleep, spawnBounded } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { startUdpRelay } from "./helpers/udp-relay.ts";
import { freeUdpPort } from "./helpers/ports.ts";

let spate: Spate;
const PASS = "spate-srt-secret";

beforeAll(async () => {
  spate = await startSpate(["--streams-grace-ms", "500", "--srt-latency-ms", "200"]);
});
afterAll(async () => {
  await spate?.stop();
});

const srtUrl = (port: number, streamid: string, extra = "") => `srt://127.0.0.1:${port}?streamid=${streamid}&latency=200000&pkt_size=1316${extra}`;

async function waitLive(path: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await spate.request(`/api/v1/streams/${path}`);
    if (r.ok) {
      const s = (await r.json()) as any;
      if (s.state === "live" && s.tracks.some((t: any) => t.kind === "video" && t.width)) return s;
    }
    await sleep(100);
  }
  throw new Error(`${path} not live within ${timeoutMs} ms`);
}

const videoFrames = async (path: string) => ((await spate.api(`/api/v1/streams/${path}`)).tracks.find((t: any) => t.kind === "video")?.frames ?? 0) as number;

/** Our demuxer over a file of raw TS: continuity errors and frames per kind. */
function tsCheck(file: string) {
  const scratch = new Uint8Array(4 << 20);
  const frames = { video: 0, audio: 0 };
  const d = new TsDemuxer({ onTrack() {}, reserve: () => scratch, onFrame: (t) => void frames[t.kind]++ });
  d.push(new Uint8Array(readFileSync(file)));
  d.end();
  return { ccErrors: d.stats.ccErrors, frames };
}

/** srt-live-transmit reading into a file of raw TS (the transport's bytes, unchanged); its latency is in ms, ffmpeg's in µs. */
function slt(url: string, file: string, timeoutMs: number) {
  const u = url.replace("latency=200000", "latency=200");
  return spawnBounded(["sh", "-c", `exec srt-live-transmit -q "${u}" file://con > ${file}`], { timeoutMs });
}

describe("SRT with ffmpeg and srt-live-transmit", () => {
  test("ffmpeg publishes H.264 + AAC; ffmpeg and srt-live-transmit read it back; RTMP reads it too", async () => {
    const pub = publishLavfi(srtUrl(spate.ports.srt!, "publish:live/s1"), { seconds: 8, size: "640x360", format: "mpegts" });
    await waitLive("live/s1");
    const f0 = await videoFrames("live/s1");
    const viaSlt = tempFile("s1-slt.ts");
    const sltRun = slt(srtUrl(spate.ports.srt!, "read:live/s1"), viaSlt, 20_000);
    const ff = readToFile(srtUrl(spate.ports.srt!, "read:live/s1"), tempFile("s1-ff.ts"), { seconds: 60, timeoutMs: 30_000 });
    const rtmp = readToFile(spate.rtmpUrl("live/s1"), tempFile("s1-rtmp.flv"), { seconds: 60, timeoutMs: 30_000 });
    expect((await pub.done).code).toBe(0);
    const sent = (await videoFrames("live/s1")) - f0; // frames the server got while the readers were there
    await Promise.all([ff, rtmp]);
    await Promise.race([sltRun.done, sleep(2000)]); // the last packets' play-out, then it is stopped
    await sltRun.stop();
    for (const file of [tempFile("s1-ff.ts"), tempFile("s1-rtmp.flv")]) {
      const p = await ffprobe(file);
      console.log(`${file}: ${p.video?.packets.length} video packets of ${sent} sent while reading`);
      expect(p.video?.codec).toBe("h264");
      expect(p.audio?.codec).toBe("aac");
      expect(p.video?.width).toBe(640);
      expect(p.video!.packets.length).toBeGreaterThanOrEqual(Math.floor(sent * 0.95));
      expect(await decodeErrors(file)).toBe("");
    }
    const raw = tsCheck(viaSlt);
    expect(raw.ccErrors).toBe(0);
    expect(raw.frames.video).toBeGreaterThanOrEqual(Math.floor(sent * 0.95));
    expect(raw.frames.audio).toBeGreaterThan(0);
  }, 60_000);

  test("RTMP in → SRT out", async () => {
    const pub = publishLavfi(spate.rtmpUrl("live/s2"), { seconds: 6, size: "320x240" });
    await waitLive("live/s2");
    const file = tempFile("s2.ts");
    const read = readToFile(srtUrl(spate.ports.srt!, "#!::r=live/s2,m=request"), file, { seconds: 60, timeoutMs: 30_000 });
    expect((await pub.done).code).toBe(0);
    await read;
    const p = await ffprobe(file);
    expect(p.video?.height).toBe(240);
    expect(p.audio?.codec).toBe("aac");
    expect(p.video!.packets.length).toBeGreaterThan(100);
    expect(await decodeErrors(file)).toBe("");
  }, 60_000);

  test("an unknown path to read, or a live one to publish, is refused at once", async () => {
    const t0 = Date.now();
    const exit = await readToFile(srtUrl(spate.ports.srt!, "read:live/nobody"), tempFile("none.ts"), { seconds: 5, check: false, timeoutMs: 15_000 });
    expect(exit.code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    const pub = publishLavfi(srtUrl(spate.ports.srt!, "publish:live/s3"), { size: "320x240", format: "mpegts" });
    try {
      await waitLive("live/s3");
      const second = await publishLavfi(srtUrl(spate.ports.srt!, "publish:live/s3"), { seconds: 2, size: "320x240", format: "mpegts" }).done;
      expect(second.code).not.toBe(0);
      expect((await spate.api("/api/v1/streams/live/s3")).publisher.protocol).toBe("srt");
    } finally {
      await pub.stop();
    }
  }, 60_000);
});

describe("SRT encryption", () => {
  let enc: Spate;
  beforeAll(async () => {
    enc = await startSpate(["--srt-passphrase", PASS, "--srt-latency-ms", "200"]);
  });
  afterAll(async () => {
    await enc?.stop();
  });

  for (const pbkeylen of [16, 32]) {
    test(`pbkeylen ${pbkeylen}: ffmpeg publishes, srt-live-transmit and ffmpeg read`, async () => {
      const extra = `&passphrase=${PASS}&pbkeylen=${pbkeylen}`;
      const path = `live/enc${pbkeylen}`;
      const pub = publishLavfi(srtUrl(enc.ports.srt!, `publish:${path}`, extra), { seconds: 5, size: "320x240", format: "mpegts" });
      const until = Date.now() + 10_000;
      while (!(await enc.request(`/api/v1/streams/${path}`)).ok && Date.now() < until) await sleep(100);
      const s = await enc.api(`/api/v1/streams/${path}`);
      expect(s.publisher.stats.encrypted).toBe(true);
      const raw = tempFile(`enc${pbkeylen}.ts`);
      const sltRun = slt(srtUrl(enc.ports.srt!, `read:${path}`, extra), raw, 20_000);
      const file = tempFile(`enc${pbkeylen}-ff.ts`);
      const ff = readToFile(srtUrl(enc.ports.srt!, `read:${path}`, extra), file, { seconds: 60, timeoutMs: 30_000 });
      // A wrong passphrase is refused, and the others go on being served.
      const wrong = await readToFile(srtUrl(enc.ports.srt!, `read:${path}`, `&passphrase=not-the-secret&pbkeylen=${pbkeylen}`), tempFile("wrong.ts"), {
        seconds: 3,
        check: false,
        timeoutMs: 15_000,
      });
      expect(wrong.code).not.toBe(0);
      expect((await pub.done).code).toBe(0);
      await ff;
      await Promise.race([sltRun.done, sleep(2000)]);
      await sltRun.stop();
      expect((await ffprobe(file)).video!.packets.length).toBeGreaterThan(60);
      expect(await decodeErrors(file)).toBe("");
      const check = tsCheck(raw);
      expect(check.ccErrors).toBe(0);
      expect(check.frames.video).toBeGreaterThan(60);
    }, 60_000);
  }

  test("pbkeylen 24: srt-live-transmit publishes encrypted (ffmpeg's TS over UDP into it), ffmpeg reads", async () => {
    const path = "live/enc24";
    const udpPort = await freeUdpPort();
    const extra = `&passphrase=${PASS}&pbkeylen=24`;
    const publishUrl = srtUrl(enc.ports.srt!, `publish:${path}`, extra).replace("latency=200000", "latency=200");
    const relay = spawnBounded(["srt-live-transmit", "-q", `udp://127.0.0.1:${udpPort}`, publishUrl], { timeoutMs: 30_000 });
    try {
      await sleep(300); // srt-live-transmit binds its UDP input before the source starts
      const src = publishLavfi(`udp://127.0.0.1:${udpPort}?pkt_size=1316`, { seconds: 6, size: "320x240", format: "mpegts" });
      const until = Date.now() + 10_000;
      while (!(await enc.request(`/api/v1/streams/${path}`)).ok && Date.now() < until) await sleep(100);
      const s = await enc.api(`/api/v1/streams/${path}`);
      expect(s.publisher.stats.encrypted).toBe(true);
      const file = tempFile("enc24-ff.ts");
      await readToFile(srtUrl(enc.ports.srt!, `read:${path}`, extra), file, { seconds: 3, timeoutMs: 20_000 });
      await src.done;
      expect((await ffprobe(file)).video!.packets.length).toBeGreaterThan(40);
      expect(await decodeErrors(file)).toBe("");
    } finally {
      await relay.stop();
    }
  }, 60_000);
});

describe("SRT through a lossy link", () => {
  for (const loss of [0.05, 0.1]) {
    test(`${loss * 100} % loss both ways + 30 ms delay, latency 200 ms, publisher → server`, async () => {
      const relay = await startUdpRelay({ targetPort: spate.ports.srt!, loss, delayMs: 30, seed: 42 });
      const path = `loss/p${loss * 100}`;
      try {
        const pub = publishLavfi(srtUrl(relay.port, `publish:${path}`), { seconds: 10, size: "640x360", format: "mpegts", extraArgs: ["-b:v", "1500k"] });
        await waitLive(path);
        const raw = tempFile(`loss${loss * 100}.ts`);
        const reader = slt(srtUrl(spate.ports.srt!, `read:${path}`), raw, 30_000);
        // The publisher's SRT statistics, the last seen before it leaves.
        let st: any = {};
        let done = false;
        void pub.done.then(() => (done = true));
        while (!done) {
          const p = (await spate.api(`/api/v1/streams/${path}`)).publisher;
          if (p?.stats) st = p.stats;
          await sleep(250);
        }
        expect((await pub.done).code).toBe(0);
        await Promise.race([reader.done, sleep(2000)]);
        await reader.stop();
        // What the reader wrote: every frame present (pts steps of one frame), no continuity error.
        const probe = await ffprobe(raw);
        const pts = probe.video!.packets.map((p) => p.pts!).sort((a, b) => a - b);
        let gaps = 0;
        for (let i = 1; i < pts.length; i++) if (pts[i]! - pts[i - 1]! !== 3000) gaps++;
        const check = tsCheck(raw);
        const report = {
          relay: relay.stats,
          ingest: { lost: st.packetsLost, dropped: st.packetsDropped, ccErrors: st.ts?.ccErrors },
          reader: { frames: pts.length, gaps, ccErrors: check.ccErrors },
        };
        console.log(`SRT ${loss * 100} % loss: ${JSON.stringify(report)}`);
        if (loss <= 0.05) {
          expect(st.packetsLost).toBeGreaterThan(0); // the relay did lose packets...
          expect(st.packetsDropped).toBe(0); // ...and every one was retransmitted in time
          expect(st.ts.ccErrors).toBe(0);
          expect(check.ccErrors).toBe(0);
          expect(gaps).toBe(0);
          expect(pts.length).toBeGreaterThan(200);
        }
      } finally {
        relay.close();
      }
    }, 60_000);
  }
});
