/**
 * Start a real `spate serve` for an integration test: every port 0, logs at warn, wait for the
 * `{"event":"listening",...}` line, and always kill it in stop().
 *
 *   const spate = await startSpate();
 *   try { ... publishLavfi(spate.rtmpUrl("live/cam1")) ... } finally { await spate.stop(); }
 */
import { join } from "node:path";
import { describeExit, spawnBounded, type Exit, type Spawned } from "./process.ts";

export const ROOT = join(import.meta.dir, "..", "..");

export interface ListeningPorts {
  http: number;
  rtmp: number;
  rtmps?: number;
  srt?: number;
  webrtc?: number;
  [name: string]: number | undefined;
}

/** The ports of a `{"event":"listening",...}` line, or undefined for any other line. */
export function parseListeningLine(line: string): ListeningPorts | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (v.event !== "listening" || typeof v.http !== "number" || typeof v.rtmp !== "number") return undefined;
  const ports: ListeningPorts = { http: v.http, rtmp: v.rtmp };
  for (const [k, p] of Object.entries(v)) if (typeof p === "number") ports[k] = p;
  return ports;
}

export interface Spate {
  ports: ListeningPorts;
  pid: number;
  proc: Spawned["proc"];
  /** GET (or `init`) a path on the HTTP port and parse the JSON; throws with the body on non-2xx. */
  api<T = any>(path: string, init?: RequestInit): Promise<T>;
  /** A raw request to the HTTP port. */
  request(path: string, init?: RequestInit): Promise<Response>;
  httpUrl(path: string): string;
  rtmpUrl(streamPath: string): string;
  srtUrl(streamPath: string, mode: "publish" | "read"): string;
  stdout(): string;
  stderr(): string;
  /** Stops the server (SIGTERM, SIGKILL after graceMs, default 5 s); resolves with its exit. Safe to call twice. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface StartOptions {
  /** Extra environment (SPATE_LOG_LEVEL is "warn" unless given). */
  env?: Record<string, string>;
  /** How long to wait for the listening line. */
  timeoutMs?: number;
  /** Kill the server after this long whatever happens (default 10 minutes). */
  lifetimeMs?: number;
  /** The CLI entry to run (tests of the helper point it at a stub). */
  entry?: string;
  cwd?: string;
}

const ZERO_PORTS = ["--http-port", "0", "--rtmp-port", "0", "--rtmps-port", "0", "--srt-port", "0", "--webrtc-port", "0"];

export async function startSpate(flags: string[] = [], opts: StartOptions = {}): Promise<Spate> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let onListening!: (ports: ListeningPorts) => void;
  const listening = new Promise<ListeningPorts>((resolve) => (onListening = resolve));
  const child = spawnBounded([process.execPath, opts.entry ?? join(ROOT, "src/main.ts"), "serve", ...ZERO_PORTS, ...flags], {
    timeoutMs: opts.lifetimeMs ?? 600_000,
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, SPATE_LOG_LEVEL: "warn", ...opts.env },
    onStdoutLine: (line) => {
      const ports = parseListeningLine(line);
      if (ports) onListening(ports);
    },
  });

  let timer: Timer | undefined;
  const outcome = await Promise.race([
    listening,
    child.done.then((exit) => new Error(`spate exited before listening: ${describeExit("spate", exit)}`)),
    new Promise<Error>((resolve) => {
      timer = setTimeout(() => resolve(new Error(`spate did not print its listening line within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome instanceof Error) {
    const exit = await child.stop(1000);
    const stdout = exit.stdout.trim();
    throw new Error(`${outcome.message}${outcome.message.includes("stderr") ? "" : `\nstderr:\n${exit.stderr.trim().slice(-4000)}`}${stdout ? `\nstdout:\n${stdout.slice(-2000)}` : ""}`);
  }
  const ports = outcome;
  const httpUrl = (path: string) => `http://127.0.0.1:${ports.http}${path.startsWith("/") ? path : "/" + path}`;
  const request = (path: string, init?: RequestInit) => fetch(httpUrl(path), init);
  return {
    ports,
    pid: child.pid,
    proc: child.proc,
    request,
    httpUrl,
    async api(path, init) {
      const res = await request(path, init);
      const body = await res.text();
      if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${res.status} ${body.slice(0, 500)}`);
      return body ? JSON.parse(body) : undefined;
    },
    rtmpUrl: (streamPath) => `rtmp://127.0.0.1:${ports.rtmp}/${streamPath}`,
    srtUrl: (streamPath, mode) => `srt://127.0.0.1:${ports.srt}?streamid=${mode}:${streamPath}`,
    stdout: child.stdout,
    stderr: child.stderr,
    stop: (graceMs = 5000) => child.stop(graceMs),
  };
}
