/**
 * `spate bench relay`: the added latency of the cluster relay per hop, at 1, 2 and 3 hops on
 * loopback. For each chain length H it starts H + 1 nodes in this process on one in-memory
 * registry, labelled so the locator grows a chain (n1 pulls from the origin n0, each next node
 * from the one before), publishes the synthetic stream over RTMP to n0 and puts one RTMP reader
 * on every relay node. Each frame carries the origin's ingest time and the sending node's send time
 * (the relay wire), so every node measures its hop (send at the node before -> receipt here) and
 * the path from ingest at the origin. All nodes share this process's one thread: a hop's latency
 * includes waiting for the other nodes' work, so the figures are an upper bound of separate nodes.
 */
import { randomBytes } from "node:crypto";
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
import { percentile } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export const RELAY_USAGE = `  relay   added latency of the cluster relay per hop on loopback: for each chain length in
          --hops (default 1,2,3; at most 3) it starts that many + 1 nodes in this process on one
          in-memory registry, publishes the stream over RTMP to the first and reads it on each;
          every node measures its hop (p50/p99) from the send time each relayed frame carries, and
          the last one the whole path from the origin's ingest time
          flags: --hops LIST, --duration S (default 10), --bitrate, --fps, --gop, --json`;

const PATH = "bench/relay";
const WARMUP_MS = 2000;
const CHAIN_TIMEOUT_MS = 15_000;

export interface RelayBenchOptions {
  hops: number[];
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

async function runChain(hops: number, o: RelayBenchOptions): Promise<RelayChainReport> {
  const store = new MemoryRegistryStore();
  const secret = randomBytes(16).toString("hex");
  const nodes: RunningServer[] = [];
  const players: RawPlayer[] = [];
  let client: RtmpClient | null = null;
  let publisher: BenchPublisher | null = null;
  try {
    for (let k = 0; k <= hops; k++) {
      const argv = ["--node-id", `n${k}`, ...labels(k), "--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--webrtc-port", "0", "--cluster-secret", secret, "--log-level", "warn"];
      nodes.push(await startServer(loadConfig({ argv }), { registry: (id) => new MemoryRegistry(id, store, { leaseMs: 5000 }) }));
    }
    client = await RtmpClient.connect(`rtmp://127.0.0.1:${nodes[0]!.ports.rtmp}/${PATH}`, { timeoutMs: 10_000 });
    await client.publish();
    publisher = new BenchPublisher(new RtmpMediaSink(client), new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS }), new MeasureWindow());
    publisher.start();
    const ingest = (k: number) => nodes[k]!.paths.get(PATH)?.publisher;
    for (let k = 1; k <= hops; k++) {
      players.push(await openRawPlayer("127.0.0.1", nodes[k]!.ports.rtmp, PATH));
      await until(`n${k} relaying from n${k - 1}`, () => {
        const p = ingest(k);
        return p instanceof RelayIngest && p.upstream === `n${k - 1}` && p.frames > 0;
      }, CHAIN_TIMEOUT_MS);
    }
    o.progress?.(`${hops} hop${hops > 1 ? "s" : ""}: chain n0 -> ${Array.from({ length: hops }, (_, i) => `n${i + 1}`).join(" -> ")} up; ${WARMUP_MS} ms warm-up, then ${o.durationS} s`);
    await sleep(WARMUP_MS);
    const relays = nodes.slice(1).map((_, i) => ingest(i + 1) as RelayIngest);
    const hopSamples = relays.map(() => [] as number[]);
    const e2e: number[] = [];
    const hopFrom = relays.map((r) => r.hop.total);
    let e2eFrom = relays[hops - 1]!.endToEnd.total;
    const endMs = performance.now() + o.durationS * 1000;
    while (performance.now() < endMs && !o.signal?.aborted) {
      await sleep(Math.min(500, Math.max(0, endMs - performance.now())));
      relays.forEach((r, i) => (hopFrom[i] = r.hop.drainInto(hopSamples[i]!, hopFrom[i]!)));
      e2eFrom = relays[hops - 1]!.endToEnd.drainInto(e2e, e2eFrom);
    }
    for (const r of relays) if (nodes[relays.indexOf(r) + 1]!.paths.get(PATH)?.publisher !== r) throw new BenchError("a relay re-attached during the run");
    return { hops, perHop: hopSamples.map(row), endToEnd: row(e2e) };
  } finally {
    publisher?.stop();
    client?.close();
    for (const p of players) p.close();
    for (const n of nodes.reverse()) await n.stop();
  }
}

export async function runRelayBench(o: RelayBenchOptions): Promise<RelayBenchReport> {
  const chains: RelayChainReport[] = [];
  for (const h of o.hops) {
    if (o.signal?.aborted) break;
    chains.push(await runChain(h, o));
  }
  return { mode: "relay", durationS: o.durationS, bitrateMbps: o.bitrateMbps, chains };
}

export function relayReportText(r: RelayBenchReport): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");
  const lines = [`relay latency on loopback, ${r.bitrateMbps} Mbit/s, ${r.durationS} s per chain (ms; every video and audio frame)`, "hops  hop        p50     p99     max  frames"];
  for (const c of r.chains) {
    c.perHop.forEach((h, i) => lines.push(`${String(c.hops).padEnd(6)}${`n${i}->n${i + 1}`.padEnd(9)}${f(h.p50).padStart(6)}  ${f(h.p99).padStart(6)}  ${f(h.max).padStart(6)}  ${h.samples}`));
    const e = c.endToEnd;
    lines.push(`${String(c.hops).padEnd(6)}${"ingest->".padEnd(9)}${f(e.p50).padStart(6)}  ${f(e.p99).padStart(6)}  ${f(e.max).padStart(6)}  ${e.samples}   (origin ingest to n${c.hops}; p99 per hop ${f(e.p99 / c.hops)})`);
  }
  return lines.join("\n") + "\n";
}
