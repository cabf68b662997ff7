/**
 * `spate bench relay --processes`: the relay chain with every node a `spate serve` process of its
 * own and a redis-server as the registry (as a cluster runs), instead of nodes sharing the bench's
 * thread. The figures come from each node's API: the relay's per-hop and origin-to-here latency
 * over its newest 1,024 frames.
 */
import type { Subprocess } from "bun";
import { randomBytes } from "node:crypto";
import { BenchError, sleep } from "./run.ts";

export interface ProcessNode {
  http: number;
  rtmp: number;
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Drains a child's output line by line (a full pipe would block it), handing each line to `onLine`. */
async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
    if (rest.length > 64 * 1024) rest = "";
  }
}

async function stopChild(p: Subprocess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGTERM");
  const killer = setTimeout(() => p.kill("SIGKILL"), 5000);
  await p.exited;
  clearTimeout(killer);
}

/** A throwaway redis-server on a free loopback port; resolves once it accepts connections. */
export async function startRedisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort();
  let proc: Subprocess;
  try {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], { stdout: "ignore", stderr: "ignore" });
  } catch (e) {
    throw new BenchError(`--processes needs redis-server on the PATH (or --registry redis://...): ${(e as Error).message}`);
  }
  const end = performance.now() + 10_000;
  for (;;) {
    const up = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (s) => (s.end(), true),
      () => false,
    );
    if (up) break;
    if (proc.exitCode !== null || performance.now() > end) {
      await stopChild(proc);
      throw new BenchError(`redis-server did not start on port ${port}`);
    }
    await sleep(25);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(proc) };
}

/** One `spate serve` with these flags (every port 0), once it printed its listening line. */
export async function startProcessNode(flags: string[]): Promise<ProcessNode> {
  // `bun src/main.ts bench ...` runs a script; a compiled `spate` binary is its own entry.
  const entry = Bun.main.endsWith(".ts") ? [process.execPath, Bun.main] : [process.execPath];
  const zero = ["--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--webrtc-port", "0"];
  const proc = Bun.spawn([...entry, "serve", ...zero, ...flags], { stdout: "pipe", stderr: "pipe", env: { ...process.env, SPATE_LOG_LEVEL: "warn" } });
  let errors = "";
  void lines(proc.stderr, (l) => void (errors = (errors + l + "\n").slice(-4000)));
  const ports = await new Promise<{ http: number; rtmp: number } | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), START_TIMEOUT_MS);
    void lines(proc.stdout, (l) => {
      if (!l.startsWith('{"event":"listening"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(l));
    }).then(() => resolve(null));
  });
  if (!ports) {
    await stopChild(proc);
    throw new BenchError(`spate serve ${flags.join(" ")} did not start: ${errors.trim()}`);
  }
  return {
    http: ports.http,
    rtmp: ports.rtmp,
    async api<T>(path: string) {
      const r = await fetch(`http://127.0.0.1:${ports.http}${path}`);
      if (!r.ok) throw new Error(`${path}: ${r.status}`);
      return (await r.json()) as T;
    },
    stop: () => stopChild(proc),
  };
}

export function clusterFlags(id: string, labels: string[], registry: string, secret: string): string[] {
  return ["--node-id", id, ...labels, "--cluster-registry", registry, "--cluster-secret", secret, "--cluster-lease-ms", "3000"];
}

export function randomSecret(): string {
  return randomBytes(16).toString("hex");
}
