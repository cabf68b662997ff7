/**
 * `spate bench srt` against a real `spate serve` (started here, every port 0): the publisher and
 * the viewers go through the server's SRT listener, ingest, TS writer and egress.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startSpate, type Spate } from "../../test/helpers/server.ts";
import { runBench } from "./cli.ts";
import { reportJson, reportText } from "./report.ts";
import { BenchError } from "./run.ts";
import { parseSrtUrl, runSrtBench } from "./srt.ts";

const QUICK = { bitrateMbps: 2.5, fps: 30, gopS: 1, rampMs: 200, warmupMs: 1000, drainMs: 1000, setupTimeoutMs: 2000 };

describe("parseSrtUrl", () => {
  test("the path from each stream id form, or from --path", () => {
    expect(parseSrtUrl("srt://127.0.0.1:9000?streamid=publish:live/a")).toEqual({ hostname: "127.0.0.1", port: 9000, path: "live/a", latencyMs: undefined, passphrase: undefined });
    expect(parseSrtUrl("srt://h:1?streamid=read:live/b").path).toBe("live/b");
    expect(parseSrtUrl("srt://h:1?streamid=%23!::r=live/c,m=publish").path).toBe("live/c");
    expect(parseSrtUrl("srt://h:1?streamid=publish:live/a", "other/x").path).toBe("other/x");
    expect(parseSrtUrl("srt://h:1", "live/p").path).toBe("live/p");
    expect(parseSrtUrl("srt://[::1]:1?streamid=read:a&latency=200&passphrase=0123456789")).toMatchObject({ hostname: "::1", latencyMs: 200, passphrase: "0123456789" });
  });

  test("what is refused", () => {
    expect(() => parseSrtUrl("srt://h:1")).toThrow("no stream path");
    expect(() => parseSrtUrl("srt://h?streamid=read:a")).toThrow("needs a port");
    expect(() => parseSrtUrl("srt://h:1?streamid=play:a")).toThrow("is not publish:PATH");
    expect(() => parseSrtUrl("rtmp://h:1/a/b")).toThrow("not an srt://");
    expect(() => parseSrtUrl("srt://h:1?streamid=read:a&latency=x")).toThrow("latency=x");
  });
});

describe("runSrtBench against spate serve", () => {
  let spate: Spate;
  beforeAll(async () => {
    spate = await startSpate();
  });
  afterAll(async () => {
    await spate?.stop();
  });

  test("5 viewers for 3 s: every frame arrives, latency measured (it includes both SRT hops)", async () => {
    const r = await runSrtBench({ ...QUICK, url: spate.srtUrl("bench/e2e", "publish"), viewers: 5, durationS: 3, pid: spate.pid });
    expect(r.mode).toBe("srt");
    expect(r.viewers).toMatchObject({ requested: 5, connected: 5, failed: 0, dropped: 0, withoutVideo: 0 });
    expect(r.publisher.framesInWindow).toBeGreaterThanOrEqual(85);
    expect(r.frames.expected).toBe(5 * r.publisher.framesInWindow);
    expect(r.frames).toMatchObject({ lost: 0, duplicates: 0, unstamped: 0 });
    expect(r.latencyMs.samples).toBe(r.frames.received);
    // Two hops of 120 ms TSBPD each: nothing arrives before 240 ms after it was sent.
    expect(r.latencyMs.p50).toBeGreaterThan(240);
    expect(r.latencyMs.p99).toBeLessThan(1000);
    expect(r.deliveredMbps).toBeGreaterThan(5 * 2.4);
    expect(r.deliveredMbps).toBeLessThan(5 * 3);
    expect(r.cpu.serverPercent).toBeGreaterThan(0);
    expect(r.srt).toMatchObject({ latencyMs: 120, publisherLatencyMs: 120, viewerLatencyMs: 120 });
    expect(r.srt!.publisher.packetsSent).toBeGreaterThan(0);
    expect(reportText(r)).toContain("5 connected");
    expect(JSON.parse(reportJson(r)).srt.viewers).toMatchObject({ framesDamaged: 0, ccErrors: 0, packetsDropped: 0 });
  }, 30_000);

  test("the larger latency wins, and a stream id in the #! form works", async () => {
    const url = `srt://127.0.0.1:${spate.ports.srt}?streamid=%23!::r=bench/latency,m=publish`;
    const r = await runSrtBench({ ...QUICK, url, viewers: 2, durationS: 1, latencyMs: 300 });
    expect(r.viewers.connected).toBe(2);
    expect(r.frames.lost).toBe(0);
    expect(r.srt).toMatchObject({ latencyMs: 300, publisherLatencyMs: 300, viewerLatencyMs: 300 });
    expect(r.latencyMs.p50).toBeGreaterThan(600);
  }, 30_000);

  test("a path someone publishes already: BenchError naming the 1409 refusal", async () => {
    const first = runSrtBench({ ...QUICK, url: spate.srtUrl("bench/busy", "publish"), viewers: 0, durationS: 2 });
    await Bun.sleep(300);
    const e = await runSrtBench({ ...QUICK, url: spate.srtUrl("bench/busy", "publish"), viewers: 1, durationS: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BenchError);
    expect((e as Error).message).toContain("cannot publish");
    expect((e as Error).message).toContain("1409");
    expect((await first).publisher.framesSent).toBeGreaterThan(0);
  }, 30_000);

  test("CLI: report on stdout, exit 0; bad usage exit 2", async () => {
    let out = "";
    let err = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    const url = spate.srtUrl("bench/cli", "read");
    expect(await runBench(["srt", "--url", url, "--viewers", "1", "--duration", "0.5", "--ramp-ms", "0", "--json"], io)).toBe(0);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ mode: "srt", url, viewers: { connected: 1 }, frames: { lost: 0 } });
    expect(err).toContain("path bench/cli");
    expect(await runBench(["srt", "--url", `srt://127.0.0.1:${spate.ports.srt}`, "--viewers", "1", "--duration", "1"], io)).toBe(2);
    expect(err).toContain("no stream path");
    expect(await runBench(["srt", "--url", url, "--viewers", "1", "--duration", "1", "--passphrase", "short"], io)).toBe(2);
    expect(err).toContain("10 to 79 characters");
  }, 30_000);
});

test("nothing listening: BenchError once the handshake times out", async () => {
  const probe = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const port = probe.port;
  probe.close();
  const e = await runSrtBench({ ...QUICK, url: `srt://127.0.0.1:${port}?streamid=publish:x`, viewers: 1, durationS: 1, setupTimeoutMs: 600 }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(BenchError);
  expect((e as Error).message).toContain("no answer to the handshake in 600 ms");
});

describe("runSrtBench with encryption", () => {
  let spate: Spate;
  beforeAll(async () => {
    spate = await startSpate(["--srt-passphrase", "bench-passphrase"]);
  });
  afterAll(async () => {
    await spate?.stop();
  });

  test("--passphrase: publisher and viewers encrypt, every frame arrives", async () => {
    const r = await runSrtBench({ ...QUICK, url: spate.srtUrl("bench/aes", "publish"), viewers: 2, durationS: 1, passphrase: "bench-passphrase" });
    expect(r.viewers.connected).toBe(2);
    expect(r.frames).toMatchObject({ lost: 0, unstamped: 0 });
    expect(r.frames.received).toBeGreaterThan(50);
  }, 30_000);

  test("a wrong passphrase is refused at the handshake", async () => {
    const e = await runSrtBench({ ...QUICK, url: spate.srtUrl("bench/aes2", "publish"), viewers: 1, durationS: 1, passphrase: "not-the-passphrase" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BenchError);
    expect((e as Error).message).toContain("rejected");
  }, 30_000);
});
