/**
 * Issue 6 acceptance: Redis stopped for 10 s and started again — flowing streams never stop, new
 * lookups fail with a clear error meanwhile and work again after it returns (the nodes re-announce
 * what they hold into the empty, restarted Redis). Three processes on one redis-server: RTMP
 * published to A (eu-1), read on B (eu-1) through the relay; a reader arrives on C (eu-2) during
 * the outage.
 */
import { afterAll, expect, test } from "bun:test";
import { openRawPlayer, type RawPlayer } from "../src/bench/raw-player.ts";
import { startCluster, type Cluster, type ClusterNode } from "./helpers/cluster.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";

const PATH = "live/outage";
const OUTAGE_MS = 10_000;
let cluster: Cluster | undefined;
let pub: Publisher | undefined;
let onC: RawPlayer | undefined;

afterAll(async () => {
  onC?.close();
  await pub?.stop(0);
  await cluster?.stop();
});

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = performance.now() + timeoutMs;
  let v: T | null = null;
  while (performance.now() < end) {
    v = await get().catch(() => null);
    if (v !== null && ok(v)) return v;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(v)?.slice(0, 500)}`);
}

const stream = (n: ClusterNode) => n.api(`/api/v1/streams/${PATH}`);

test("Redis stopped for 10 s: B's relayed stream never stops; lookups on C fail clearly, then work after the restart", async () => {
  cluster = await startCluster([
    { id: "A", region: "eu", datacenter: "eu-1" },
    { id: "B", region: "eu", datacenter: "eu-1" },
    { id: "C", region: "eu", datacenter: "eu-2" },
  ]);
  const [a, b, c] = [cluster.node("A"), cluster.node("B"), cluster.node("C")];
  pub = publishLavfi(a.rtmpUrl(PATH), { seconds: 120 });
  await until("live on A", () => stream(a), (s) => s.state === "live" && s.tracks.length === 2, 20_000);

  const file = tempFile("outage-b.flv");
  const reading = readToFile(b.rtmpUrl(PATH), file, { seconds: 18, timeoutMs: 90_000 });
  await until("B relaying from A", () => stream(b), (s) => s.publisher?.stats?.upstream === "A" && s.publisher.stats.frames > 60, 20_000);

  await cluster.redis.stop();
  const stoppedAt = performance.now();
  // B's frames, sampled through the outage: the relay keeps flowing without the registry
  let lastFrames = (await stream(b)).publisher.stats.frames as number;
  let lastRiseMs = performance.now();
  let longestStallMs = 0;
  let samples = 0;
  let rises = 0;
  const framesAtStop = lastFrames;
  let sawUnavailable = false;
  let cStarted = false;
  while (performance.now() - stoppedAt < OUTAGE_MS) {
    await sleep(250);
    const frames = (await stream(b)).publisher.stats.frames as number;
    const now = performance.now();
    samples++;
    if (frames > lastFrames) [lastFrames, lastRiseMs, rises] = [frames, now, rises + 1];
    longestStallMs = Math.max(longestStallMs, now - lastRiseMs);
    if (!cStarted && now - stoppedAt > 2000) {
      // a new reader on C: its node must look the path up
      onC = await openRawPlayer("127.0.0.1", c.ports.rtmp, PATH);
      cStarted = true;
    }
    if (!sawUnavailable) {
      const res = await c.request("/api/v1/cluster");
      const body = await res.text();
      sawUnavailable = res.status === 503 && body.includes("cluster registry unavailable");
    }
  }
  console.log(
    `redis outage ${OUTAGE_MS} ms: B relayed ${lastFrames - framesAtStop} frames; its frame count rose at ${rises} of ${samples} samples 250 ms apart (longest stall seen ${Math.round(longestStallMs)} ms)`,
  );
  expect(sawUnavailable).toBe(true);
  expect(longestStallMs).toBeLessThan(2000);
  const onCDuring = await stream(c).catch(() => null);
  expect(onCDuring?.state === "live").toBe(false);

  await cluster.redis.start();
  const restartedAt = performance.now();
  const cLive = await until("C pulling after the restart", () => stream(c), (s) => s.state === "live" && (s.publisher?.stats?.frames ?? 0) > 30, 20_000);
  console.log(`redis restarted: C live ${Math.round(performance.now() - restartedAt)} ms later, upstream ${cLive.publisher.stats.upstream}`);
  expect(["A", "B"]).toContain(cLive.publisher.stats.upstream);
  expect(onC!.received()).toBeGreaterThan(10_000);

  const view = await until("the tree in the API", () => c.api("/api/v1/cluster"), (v) => v.streams?.[0]?.nodes?.length === 3, 10_000);
  const tree = Object.fromEntries(view.streams[0].nodes.map((n: { nodeId: string; upstream: string | null }) => [n.nodeId, n.upstream]));
  expect(tree.A).toBeNull();
  expect(tree.B).toBe("A");
  expect(["A", "B"]).toContain(tree.C);

  await reading;
  const probe = await ffprobe(file);
  assertMonotonicDts(probe.video!.packets, { label: "B video across the outage" });
  assertMonotonicDts(probe.audio!.packets, { label: "B audio across the outage" });
  expect(probe.video!.packets.length).toBeGreaterThanOrEqual(18 * 30 * 0.9);
  expect(await decodeErrors(file)).toBe("");
}, 180_000);
