/**
 * A throwaway redis-server for a test: a free loopback port (redis-server has no port 0), no
 * persistence, bounded start wait. stop() and start() again on the same port simulate an outage.
 *
 *   const redis = await startRedis();
 *   try { ... redis.url ... await redis.stop(); ... await redis.start(); } finally { await redis.close(); }
 */
import { freeTcpPort } from "./ports.ts";
import { describeExit, sleep, spawnBounded, type Spawned } from "./process.ts";

export interface Redis {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  /** Is the server process running? */
  readonly running: boolean;
  /** Stop the server (SIGKILL: nothing to save); resolves when it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Stop for good. Safe to call twice. */
  close(): Promise<void>;
}

export interface RedisOptions {
  /** How long to wait for the server to accept connections (default 10 s). */
  timeoutMs?: number;
}

export async function startRedis(opts: RedisOptions = {}): Promise<Redis> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let port = 0;
  let child: Spawned | undefined;

  const launch = async (): Promise<string | undefined> => {
    child = spawnBounded(
      ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"],
      { timeoutMs: 600_000 },
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
        const exit = await child.done;
        return describeExit("redis-server", exit);
      }
      if (await ping(port)) return undefined;
      await sleep(25);
    }
    await child.stop(500);
    return `redis-server did not accept connections on ${port} within ${timeoutMs} ms`;
  };

  let problem: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = freeTcpPort();
    problem = await launch();
    if (problem === undefined) break;
    if (!/in use/i.test(problem)) break; // another process took the port between our check and its bind: retry
  }
  if (problem !== undefined) throw new Error(problem);

  const isRunning = () => child !== undefined && child.proc.exitCode === null && child.proc.signalCode === null;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return isRunning();
    },
    async stop() {
      if (isRunning()) await child!.stop(0);
    },
    async start() {
      if (isRunning()) return;
      const again = await launch();
      if (again !== undefined) throw new Error(again);
    },
    async close() {
      if (child) await child.stop(0);
    },
  };
}

/** One PING over a raw socket: true when the server answers +PONG. */
async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, s?: { end(): void }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s?.end();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 500);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write("PING\r\n"),
        data: (s, d) => finish(Buffer.from(d).toString().startsWith("+PONG"), s),
        error: () => finish(false),
        close: () => finish(false),
        connectError: () => finish(false),
      },
    }).catch(() => finish(false));
  });
}
