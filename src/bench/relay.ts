/**
 * `spate bench relay`: the added latency of the cluster relay per hop, at 1, 2 and 3 hops on
 * loopback. For each chain length H it starts H + 1 nodes in this process on one in-memory
 * registry, labelled so the locator grows a chain (n1 pulls from the origin n0, each next node
 * from the one before), publishes the synthetic stream over RTMP to n0 and puts one RTMP reader
 * on every relay node. Each frame carries the origin's ingest time and the sending node's send time
 * (the relay wire), so every node measures its hop (send at the node before -> receipt here) and
 * the path from ingest at the origin. All nodes share this process's one thread: a hop's latency
 * includes waiting for the other nodes' work; --processes (relay-processes.ts) runs each node on
 * its own. Both read one clock, as nodes on one machine do; across machines the end-to-end figure
 * also holds the clocks' offset (NTP keeps it to about a millisecond).
 */
import { MemoryRegistry, MemoryRegistryStore } from "../cluster/memory-registry.ts";
import { RelayIngest } from "../protocols/relay/ingest.ts";
import { RtmpClient } from "../protocols/rtmp/client.ts";
import { loadConfig } from "../server/config.ts";
import { startServer, type RunningServer } from "../server/server.ts";
import { MeasureWindow } from "./measured-viewer.ts";
import { BenchPublisher } from "./publisher.ts";
import { openRawPlayer, type RawPlayer } from "./raw-player.ts";
import { RtmpMediaSink } from "./rtmp-publisher.ts";
import { BenchError, sleep } from "./run.ts";
import { clusterFlags, randomSecret, startProcessNode, startRedisServer } from "./relay-processes.ts";
import { percentile } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export const RELAY_USAGE = `  relay   added latency of the cluster relay per hop on loopback: for each chain length in
          --hops (default 1,2,3; at most 3) it starts that many + 1 nodes in this process on one
          in-memory registry, publishes the stream over RTMP to the first and reads it on each;
          every node measures its hop (p50/p99) from the send time each relayed frame carries, and
          the last one the whole path from the origin's ingest time
          flags: --hops LIST, --duration S (default 10), --bitrate, --fps, --gop, --json;
          --processes: every node a spate serve process of its own on a throwaway redis-server
          (or --registry redis://HOST:PORT), figures from each node's API`;

const PATH = "bench/relay";
const WARMUP_MS = 2000;
const CHAIN_TIMEOUT_MS = 15_000;

export interface RelayBenchOptions {
  hops: number[];
  /** Every node a `spate serve` process of its own, on a redis-server registry. */
  processes?: boolean;
  /** With processes: this Redis instead of a throwaway redis-server. */
  registry?: string;
  durationS: number;
  bitrateMbps: number;
  fps: number;
  gopS: number;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface LatencyRow {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface RelayChainReport {
  hops: number;
  /** Per hop k (1..hops): node k's receipt minus node k-1's send, ms. */
  perHop: LatencyRow[];
  /** At the last node: receipt minus ingest at the origin, ms. */
  endToEnd: LatencyRow;
}

export interface RelayBenchReport {
  mode: "relay";
  processes: boolean;
  durationS: number;
  bitrateMbps: number;
  chains: RelayChainReport[];
}

/**
 * Labels that make the locator grow a chain: n0 alone in its region; n1 in region r, datacenter 1;
 * n2.. in datacenter 2 of region r, so n2 prefers n1 (same region) to the origin, and each later
 * node the newest holder of its datacenter (least loaded: the one with no downstream yet).
 */
function labels(k: number): string[] {
  if (k === 0) return ["--node-region", "origin", "--node-datacenter", "origin-1"];
  return ["--node-region", "r", "--node-datacenter", k === 1 ? "r-1" : "r-2"];
}

function row(samples: number[]): LatencyRow {
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return { p50: r3(percentile(samples, 50)), p99: r3(percentile(samples, 99)), max: r3(samples.length ? Math.max(...samples) : NaN), samples: samples.length };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > end) throw new BenchError(`timed out: ${what}`);
    await sleep(50);
  }
}

/** One node of a chain, in this process or its own. */
interface ChainNode {
  rtmp: number;
  /** The node's relay pull of PATH: its upstream and the frames it got so far (null: none yet). */
  relay(): Promise<{ upstream: string; frames: number } | null>;
  /** Measurement window: begin, poll about every 500 ms, then the figures of the window. */
  begin(): void;
  poll(): void;
  result(): Promise<{ hop: LatencyRow; endToEnd: LatencyRow }>;
  stop(): Promise<void>;
}

/** In this process: exact samples of the window, drained from the relay's latency windows. */
async function inProcessNode(k: number, store: MemoryRegistryStore, secret: string): Promise<ChainNode> {
  const argv = ["--node-id", `n${k}`, ...labels(k), "--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--webrtc-port", "0", "--cluster-secret", secret, "--log-level", "warn"];
  const server = await startServer(loadConfig({ argv }), { registry: (id) => new MemoryRegistry(id, store, { leaseMs: 5000 }) });
  const ingest = () => {
    const p = server.paths.get(PATH)?.publisher;
    return p instanceof RelayIngest ? p : null;
  };
  const hop: number[] = [];
  const e2e: number[] = [];
  let at: RelayIngest | null = null;
  let hopFrom = 0;
  let e2eFrom = 0;
  return {
    rtmp: server.ports.rtmp,
    relay: async () => ingest(),
    begin() {
      at = ingest();
      hopFrom = at?.hop.total ?? 0;
      e2eFrom = at?.endToEnd.total ?? 0;
    },
    poll() {
      if (!at) return;
      if (ingest() !== at) throw new BenchError(`n${k} re-attached during the run`);
      hopFrom = at.hop.drainInto(hop, hopFrom);
      e2eFrom = at.endToEnd.drainInto(e2e, e2eFrom);
    },
    result: async () => ({ hop: row(hop), endToEnd: row(e2e) }),
    stop: () => server.stop(),
  };
}

type Summary = { p50: number; p99: number; max: number; samples: number } | null;

/** Its own process: the figures are the node's API summary (its newest 1,024 frames). */
async function processNode(k: number, registry: string, secret: string): Promise<ChainNode> {
  const node = await startProcessNode(clusterFlags(`n${k}`, labels(k), registry, secret));
  const stats = async () => (await node.api<{ publisher: { protocol: string; stats: any } | null }>(`/api/v1/streams/${PATH}`).catch(() => null))?.publisher;
  const summary = (s: Summary): LatencyRow => (s ? { p50: s.p50, p99: s.p99, max: s.max, samples: s.samples } : { p50: NaN, p99: NaN, max: NaN, samples: 0 });
  return {
    rtmp: node.rtmp,
    async relay() {
      const p = await stats();
      return p?.protocol === "relay" ? { upstream: p.stats.upstream, frames: p.stats.frames } : null;
    },
    begin() {},
    poll() {},
    async result() {
      const p = await stats();
      return { hop: summary(p?.stats?.hopLatencyMs ?? null), endToEnd: summary(p?.stats?.endToEndLatencyMs ?? null) };
    },
    stop: () => node.stop(),
  };
}

async function runChain(hops: number, o: RelayBenchOptions): Promise<RelayChainReport> {
  const store = new MemoryRegistryStore();
  const secret = randomSecret();
  const redis = o.processes && !o.registry ? await startRedisServer() : null;
  const registry = o.registry ?? redis?.url ?? "";
  const nodes: ChainNode[] = [];
  const players: RawPlayer[] = [];
  let client: RtmpClient | null = null;
  let publisher: BenchPublisher | null = null;
  try {
    for (let k = 0; k <= hops; k++) nodes.push(o.processes ? await processNode(k, registry, secret) : await inProcessNode(k, store, secret));
    client = await RtmpClient.connect(`rtmp://127.0.0.1:${nodes[0]!.rtmp}/${PATH}`, { timeoutMs: 10_000 });
    await client.publish();
    publisher = new BenchPublisher(new RtmpMediaSink(client), new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS }), new MeasureWindow());
    publisher.start();
    for (let k = 1; k <= hops; k++) {
      players.push(await openRawPlayer("127.0.0.1", nodes[k]!.rtmp, PATH));
      const end = performance.now() + CHAIN_TIMEOUT_MS;
      for (;;) {
        const r = await nodes[k]!.relay();
        if (r && r.upstream === `n${k - 1}` && r.frames > 0) break;
        if (performance.now() > end) throw new BenchError(`timed out: n${k} relaying from n${k - 1} (${JSON.stringify(r)})`);
        await sleep(50);
      }
    }
    o.progress?.(`${hops} hop${hops > 1 ? "s" : ""}: chain n0 -> ${Array.from({ length: hops }, (_, i) => `n${i + 1}`).join(" -> ")} up${o.processes ? " (one process each)" : ""}; ${WARMUP_MS} ms warm-up, then ${o.durationS} s`);
    await sleep(WARMUP_MS);
    const relays = nodes.slice(1);
    for (const n of relays) n.begin();
    const endMs = performance.now() + o.durationS * 1000;
    while (performance.now() < endMs && !o.signal?.aborted) {
      await sleep(Math.min(500, Math.max(0, endMs - performance.now())));
      for (const n of relays) n.poll();
    }
    const results = await Promise.all(relays.map((n) => n.result()));
    return { hops, perHop: results.map((r) => r.hop), endToEnd: results[hops - 1]!.endToEnd };
  } finally {
    publisher?.stop();
    client?.close();
    for (const p of players) p.close();
    for (const n of nodes.reverse()) await n.stop();
    await redis?.stop();
  }
}

export async function runRelayBench(o: RelayBenchOptions): Promise<RelayBenchReport> {
  const chains: RelayChainReport[] = [];
  for (const h of o.hops) {
    if (o.signal?.aborted) break;
    chains.push(await runChain(h, o));
  }
  return { mode: "relay", processes: o.processes ?? false, durationS: o.durationS, bitrateMbps: o.bitrateMbps, chains };
}

export function relayReportText(r: RelayBenchReport): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");
  const where = r.processes ? "one process per node, Redis registry; each node's frames since its pull began, the newest 1,024 at most" : "nodes in one process; every frame of the window";
  const lines = [`relay latency on loopback, ${r.bitrateMbps} Mbit/s, ${r.durationS} s per chain (ms; ${where})`, "hops  hop        p50     p99     max  frames"];
  for (const c of r.chains) {
    c.perHop.forEach((h, i) => lines.push(`${String(c.hops).padEnd(6)}${`n${i}->n${i + 1}`.padEnd(9)}${f(h.p50).padStart(6)}  ${f(h.p99).padStart(6)}  ${f(h.max).padStart(6)}  ${h.samples}`));
    const e = c.endToEnd;
    lines.push(`${String(c.hops).padEnd(6)}${"ingest->".padEnd(9)}${f(e.p50).padStart(6)}  ${f(e.p99).padStart(6)}  ${f(e.max).padStart(6)}  ${e.samples}   (origin ingest to n${c.hops}; p99 per hop ${f(e.p99 / c.hops)})`);
  }
  return lines.join("\n") + "\n";
}
