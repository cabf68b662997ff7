/**
 * The relay between separate spate processes on one Redis registry (test/helpers/cluster.ts):
 * RTMP published to A is read on B over RTMP, SRT and LL-HLS (ffprobe decodes each); 100 readers
 * on B share one relay connection; a node without the cluster secret is refused; SIGKILL of a node
 * in the middle of a chain (A -> B -> C) and C re-attaches to A within 3 s while its reader's
 * ffmpeg output keeps decoding across the gap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openRawPlayer, type RawPlayer } from "../src/bench/raw-player.ts";
import { UPSTREAM_SILENCE_MS } from "../src/protocols/relay/listener.ts";
import { startCluster, type Cluster, type ClusterNode } from "./helpers/cluster.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { downloadSegments, waitSegments } from "./helpers/hls.ts";
import { sleep } from "./helpers/process.ts";
import { waitFor } from "./helpers/webrtc.ts";

const PATH = "live/relay";
let cluster: Cluster;
let pub: Publisher;

/** `get()` once `ok` holds for it (a failed request counts as not yet). */
const until = <T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000) =>
  waitFor(what, async () => { const v = await get().catch(() => null); return v !== null && ok(v) ? v : null; }, timeoutMs);

const stream = (n: ClusterNode, path = PATH) => n.api(`/api/v1/streams/${path}`);
const relay = async (n: ClusterNode) => (await n.api("/api/v1/server")).relay;

beforeAll(async () => {
  // A and B in one region's two datacenters, C beside B: C prefers B, its datacenter.
  cluster = await startCluster(
    [
      { id: "A", region: "eu", datacenter: "eu-1" },
      { id: "B", region: "eu", datacenter: "eu-2" },
      { id: "C", region: "eu", datacenter: "eu-2" },
      { id: "R", region: "eu", datacenter: "eu-1", flags: ["--cluster-secret", "not-the-cluster-secret"] },
    ],
    { flags: ["--streams-grace-ms", "8000"], relayLingerMs: 2000 },
  );
  pub = publishLavfi(cluster.node("A").rtmpUrl(PATH), { seconds: 120 });
  await until("live on A", () => stream(cluster.node("A")), (s) => s.state === "live" && s.tracks.length === 2);
}, 120_000);

afterAll(async () => {
  await pub?.stop(0);
  await cluster?.stop();
});

describe("relay between processes", () => {
  test("B reads A's stream over RTMP, SRT and LL-HLS", async () => {
    const b = cluster.node("B");
    const [flv, ts] = [tempFile("relay-b.flv"), tempFile("relay-b.ts")];
    await Promise.all([
      readToFile(b.rtmpUrl(PATH), flv, { seconds: 4, timeoutMs: 40_000 }),
      readToFile(b.srtUrl(PATH, "read"), ts, { seconds: 4, timeoutMs: 40_000 }),
    ]);
    for (const file of [flv, ts]) {
      const probe = await ffprobe(file);
      expect(probe.video?.codec).toBe("h264");
      expect(probe.audio?.codec).toBe("aac");
      expect(probe.video!.packets.length).toBeGreaterThanOrEqual(80);
      assertMonotonicDts(probe.video!.packets, { label: `${file} video` });
      assertMonotonicDts(probe.audio!.packets, { label: `${file} audio` });
    }
    const pl = await waitSegments(b, PATH, 2, 20_000);
    const hls = await ffprobe(await downloadSegments(b, PATH, pl, tempFile("relay-b.mp4")));
    expect(hls.video?.codec).toBe("h264");
    expect(hls.video!.packets.length).toBeGreaterThanOrEqual(30);

    const s = await stream(b);
    expect(s.publisher).toMatchObject({ protocol: "relay", stats: { upstream: "A", hops: 1 } });
    expect((await relay(b)).upstreamDials).toBe(1);
  }, 90_000);

  test("100 readers on B: one relay connection into B", async () => {
    const [a, b] = [cluster.node("A"), cluster.node("B")];
    const dialsBefore = (await relay(b)).upstreamDials;
    const players: RawPlayer[] = [];
    try {
      for (let i = 0; i < 100; i++) players.push(await openRawPlayer("127.0.0.1", b.ports.rtmp, PATH));
      await until("100 RTMP readers on B", () => stream(b), (s) => (s.readers.rtmp ?? 0) >= 100);
      await sleep(1000);
      expect(players.filter((p) => p.received() > 10_000).length).toBe(100);
      const onB = await relay(b);
      expect(onB.pulls).toBe(1);
      expect(onB.upstreamDials).toBe(Math.max(dialsBefore, 1)); // the pull already there, or the one these readers started
      expect((await relay(a)).downstreamConnections).toBe(1);
      expect((await stream(a)).readers.relay).toBe(1);
    } finally {
      for (const p of players) p.close();
    }
  }, 60_000);

  test("a node without the cluster secret is refused", async () => {
    const [a, r] = [cluster.node("A"), cluster.node("R")];
    const refusedBefore = (await relay(a)).downstreamRefused;
    const reading = readToFile(r.rtmpUrl(PATH), tempFile("relay-r.flv"), { seconds: 2, timeoutMs: 5000, check: false });
    await until("a refusal on A or B", async () => (await relay(a)).downstreamRefused + (await relay(cluster.node("B"))).downstreamRefused, (n) => n > refusedBefore);
    const s = await stream(r);
    expect(s.state).not.toBe("live");
    expect(s.tracks).toEqual([]);
    await reading;
  }, 30_000);

  test("SIGKILL of the middle node: C re-attaches to A within 3 s, its reader decodes across the gap", async () => {
    const [b, c] = [cluster.node("B"), cluster.node("C")];
    const onB = await openRawPlayer("127.0.0.1", b.ports.rtmp, PATH); // B holds the stream: C's nearest holder
    await until("B relaying", () => stream(b), (s) => s.publisher?.protocol === "relay" && s.publisher.stats.frames > 30);
    const file = tempFile("relay-c.flv");
    const reading = readToFile(c.rtmpUrl(PATH), file, { seconds: 9, timeoutMs: 60_000 });
    const onC = await until("C pulling from B", () => stream(c), (s) => s.publisher?.stats?.upstream === "B" && s.publisher.stats.frames > 60);
    expect(onC.publisher.stats.hops).toBe(2);
    await sleep(1500);
    await b.kill();
    onB.close();
    const after = await until("C pulling from A", () => stream(c), (s) => s.publisher?.stats?.upstream === "A" && s.publisher.stats.lastReattachMs >= 0, 10_000);
    console.log(`C re-attached to A ${after.publisher.stats.lastReattachMs} ms after B's connection broke`);
    expect(after.publisher.stats.lastReattachMs).toBeLessThan(3000);
    expect(after.publisher.stats.hops).toBe(1);
    await reading;
    const probe = await ffprobe(file);
    assertMonotonicDts(probe.video!.packets, { label: "video across the re-attach" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio across the re-attach" });
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(150);
    const errors = await decodeErrors(file);
    expect(errors).toBe("");
  }, 90_000);

  test("a hung middle node (SIGSTOP): C notices the silence and re-attaches to A, its reader decodes on", async () => {
    const c = cluster.node("C");
    await until("C's pull gone after the linger", () => relay(c), (r) => r.pulls === 0);
    const b = await cluster.addNode({ id: "B", region: "eu", datacenter: "eu-2" }); // B again, after the SIGKILL
    const onB = await openRawPlayer("127.0.0.1", b.ports.rtmp, PATH);
    const file = tempFile("relay-c-hung.flv");
    try {
      await until("B relaying", () => stream(b), (s) => s.publisher?.protocol === "relay" && s.publisher.stats.frames > 30);
      const reading = readToFile(c.rtmpUrl(PATH), file, { seconds: 8, timeoutMs: 60_000 });
      await until("C pulling from B", () => stream(c), (s) => s.publisher?.stats?.upstream === "B" && s.publisher.stats.frames > 30);
      await sleep(1000);
      b.proc.kill("SIGSTOP");
      const stoppedAt = performance.now();
      await until("C pulling from A", () => stream(c), (s) => s.publisher?.stats?.upstream === "A", 10_000);
      const ms = Math.round(performance.now() - stoppedAt);
      console.log(`C pulled from A again ${ms} ms after B hung (silence limit ${UPSTREAM_SILENCE_MS} ms)`);
      expect(ms).toBeLessThan(UPSTREAM_SILENCE_MS + 3000);
      await reading;
      const probe = await ffprobe(file);
      assertMonotonicDts(probe.video!.packets, { label: "video across the hang" });
      expect(probe.video!.packets.length).toBeGreaterThanOrEqual(120);
      expect(await decodeErrors(file)).toBe("");
    } finally {
      b.proc.kill("SIGCONT");
      onB.close();
    }
  }, 90_000);
});
