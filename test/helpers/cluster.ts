/**
 * A cluster for an end-to-end test: K `spate serve` processes on loopback, each with its labels
 * (node id, region, datacenter), one shared redis-server as the registry, and one shared secret.
 *
 *   const cluster = await startCluster(SIX_NODES);
 *   try {
 *     publishLavfi(cluster.node("A").rtmpUrl("live/cam1"));
 *     await cluster.node("B").api("/api/v1/cluster");
 *     await cluster.node("C").kill(); // SIGKILL, as a crash
 *   } finally { await cluster.stop(); }
 */
import { randomBytes } from "node:crypto";
import { startRedis, type Redis } from "./redis.ts";
import type { Exit } from "./process.ts";
import { startSpate, type Spate } from "./server.ts";

export interface NodeSpec {
  id: string;
  region: string;
  datacenter: string;
  /** More `spate serve` flags for this node. */
  flags?: string[];
  env?: Record<string, string>;
}

/** Issue 6's topology: region eu (eu-1: A, B; eu-2: C), region us (us-1: D, E; us-2: F). */
export const SIX_NODES: NodeSpec[] = [
  { id: "A", region: "eu", datacenter: "eu-1" },
  { id: "B", region: "eu", datacenter: "eu-1" },
  { id: "C", region: "eu", datacenter: "eu-2" },
  { id: "D", region: "us", datacenter: "us-1" },
  { id: "E", region: "us", datacenter: "us-1" },
  { id: "F", region: "us", datacenter: "us-2" },
];

export interface ClusterNode extends Spate {
  spec: NodeSpec;
  /** SIGKILL, as a crash: nothing is withdrawn, its claims expire with their lease. */
  kill(): Promise<Exit>;
}

export interface ClusterOptions {
  /** cluster.leaseMs of every node (default 1500: a dead node's claims go within 1.5 s). */
  leaseMs?: number;
  /** cluster.relayLingerMs of every node (default: the config's). */
  relayLingerMs?: number;
  /** Flags for every node. */
  flags?: string[];
  /** Environment for every node (SPATE_LOG_LEVEL is "warn" unless given). */
  env?: Record<string, string>;
  /** How long each node may take to print its listening line (default 30 s: six nodes start on two cores). */
  timeoutMs?: number;
}

export interface Cluster {
  redis: Redis;
  secret: string;
  nodes: ClusterNode[];
  /** The node with this id (throws for an unknown one). */
  node(id: string): ClusterNode;
  /** Start one more node on the same registry (or a node again after kill(), with the same labels). */
  addNode(spec: NodeSpec): Promise<ClusterNode>;
  /** Stop every node (SIGTERM, then SIGKILL) and the redis-server. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startCluster(specs: NodeSpec[], opts: ClusterOptions = {}): Promise<Cluster> {
  const redis = await startRedis();
  const secret = randomBytes(24).toString("hex");
  const nodes: ClusterNode[] = [];

  const addNode = async (spec: NodeSpec): Promise<ClusterNode> => {
    const flags = [
      "--node-id", spec.id,
      "--node-region", spec.region,
      "--node-datacenter", spec.datacenter,
      "--cluster-registry", redis.url,
      "--cluster-lease-ms", String(opts.leaseMs ?? 1500),
      ...(opts.relayLingerMs === undefined ? [] : ["--cluster-relay-linger-ms", String(opts.relayLingerMs)]),
      ...(opts.flags ?? []),
      ...(spec.flags ?? []),
    ];
    const spate = await startSpate(flags, {
      env: { ...opts.env, ...spec.env, SPATE_CLUSTER_SECRET: secret },
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    const node: ClusterNode = {
      ...spate,
      spec,
      kill: () => {
        spate.proc.kill("SIGKILL");
        return spate.stop(0);
      },
    };
    const i = nodes.findIndex((n) => n.spec.id === spec.id);
    if (i >= 0) nodes[i] = node;
    else nodes.push(node);
    return node;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.close();
  };

  try {
    // one at a time: six Bun processes starting together on two cores would each take seconds
    for (const spec of specs) await addNode(spec);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    redis,
    secret,
    nodes,
    node(id) {
      const n = nodes.find((x) => x.spec.id === id);
      if (!n) throw new Error(`no node ${id} in the cluster (${nodes.map((x) => x.spec.id).join(", ")})`);
      return n;
    },
    addNode,
    stop,
  };
}
