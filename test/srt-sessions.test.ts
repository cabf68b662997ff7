/**
 * SRT session lifecycle on the server: caller mode (a path pulled from an srt-live-transmit
 * listener while someone watches it), peers that vanish without a shutdown, and many short
 * connections leaving nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UdpSrtEndpoint } from "../src/protocols/srt/udp-harness.ts";
import { decodeErrors, ffprobe, makeTempDir, publishLavfi, readToFile, tempFile } from "./helpers/ffmpeg.ts";
import { freeUdpPort } from "./helpers/ports.ts";
import { sleep, spawnBounded } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await get();
  while (!ok(v) && Date.now() < until) {
    await sleep(100);
    v = await get();
  }
  if (!ok(v)) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
  return v;
}

describe("SRT caller mode", () => {
  test("a path pulled from an srt-live-transmit listener starts with its first reader and stops after the last", async () => {
    const udpPort = await freeUdpPort();
    const srtPort = await freeUdpPort();
    // ffmpeg → UDP → srt-live-transmit, which listens for SRT callers (the remote end we pull from).
    const remote = spawnBounded(["srt-live-transmit", "-q", `udp://:${udpPort}`, `srt://:${srtPort}?mode=listener&latency=200`], { timeoutMs: 120_000 });
    const feed = publishLavfi(`udp://127.0.0.1:${udpPort}?pkt_size=1316`, { size: "320x240", format: "mpegts" });
    const dir = makeTempDir("spate-pull-");
    const config = join(dir, "spate.json");
    writeFileSync(config, JSON.stringify({ srt: { pull: { "pull/cam": `srt://127.0.0.1:${srtPort}?latency=200` } } }));
    const spate = await startSpate(["--config", config]);
    try {
      expect((await spate.request("/api/v1/streams/pull/cam")).status).toBe(404); // nothing pulled yet
      const file = tempFile("pull.flv");
      const reading = readToFile(spate.rtmpUrl("pull/cam"), file, { seconds: 4, timeoutMs: 30_000 });
      const live = await waitFor("pulling", () => spate.request("/api/v1/streams/pull/cam").then((r) => (r.ok ? r.json() : null)) as Promise<any>, (s) => s?.state === "live", 10_000);
      expect(live.publisher.protocol).toBe("srt");
      await reading;
      const probe = await ffprobe(file);
      expect(probe.video?.width).toBe(320);
      expect(probe.video!.packets.length).toBeGreaterThan(60);
      expect(await decodeErrors(file)).toBe("");
      // The reader left: after the linger the pull stops and the path is gone.
      await waitFor("pull stopped", () => spate.request("/api/v1/streams/pull/cam").then((r) => r.status), (st) => st === 404, 15_000);
      const server = await spate.api("/api/v1/server");
      expect(server.connections.srt).toBe(0);
    } finally {
      await feed.stop();
      await remote.stop();
      await spate.stop();
    }
  }, 60_000);
});

describe("SRT sessions come and go", () => {
  let spate: Spate;
  let pub: ReturnType<typeof publishLavfi>;
  beforeAll(async () => {
    spate = await startSpate();
    pub = publishLavfi(`srt://127.0.0.1:${spate.ports.srt}?streamid=publish:live/cycle&pkt_size=1316`, { size: "320x240", format: "mpegts" });
    await waitFor("live", () => spate.request("/api/v1/streams/live/cycle").then((r) => r.status), (s) => s === 200, 10_000);
  });
  afterAll(async () => {
    await pub?.stop();
    await spate?.stop();
  });

  test("a reader that vanishes without shutdown is cleaned up within 5 s", async () => {
    const reader = spawnBounded(["sh", "-c", `exec srt-live-transmit -q "srt://127.0.0.1:${spate.ports.srt}?streamid=read:live/cycle" file://con > /dev/null`], { timeoutMs: 30_000 });
    await waitFor("reader", () => spate.api("/api/v1/streams/live/cycle").then((s) => s.readers.srt ?? 0), (n) => n === 1, 5000);
    reader.proc.kill("SIGKILL");
    const t0 = Date.now();
    await waitFor("reader gone", () => spate.api("/api/v1/streams/live/cycle").then((s) => s.readers.srt ?? 0), (n) => n === 0, 8000);
    const ms = Date.now() - t0;
    console.log(`vanished SRT reader cleaned up after ${ms} ms`);
    expect(ms).toBeLessThan(5000);
  }, 30_000);

  test("200 connect/disconnect cycles leave no session behind, memory flat", async () => {
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        let connected = false;
        const { endpoint, session } = await UdpSrtEndpoint.dial(spate.ports.srt!, { streamId: "read:live/cycle", onConnected: () => (connected = true) });
        const until = Date.now() + 3000;
        while (!connected && Date.now() < until) await sleep(2);
        expect(connected).toBe(true);
        if (i % 2 === 0) session.close(performance.now() * 1000); // half say goodbye first
        endpoint.close();
      }
      return waitFor("sessions back to the publisher alone", () => spate.api("/api/v1/server"), (s) => s.connections.srt === 1, 10_000);
    };
    await cycles(100); // warm-up: JIT, heap sized
    const warm = rssMb(spate.pid);
    const server = await cycles(200);
    expect(server.connections.srt).toBe(1);
    expect((await spate.api("/api/v1/streams/live/cycle")).readers.srt ?? 0).toBe(0);
    await sleep(1000);
    const after = rssMb(spate.pid);
    console.log(`server RSS ${warm.toFixed(1)} MB after 100 warm-up cycles, ${after.toFixed(1)} MB after 200 more`);
    expect(after - warm).toBeLessThan(25);
  }, 90_000);
});
