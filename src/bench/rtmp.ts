/**
 * `spate bench rtmp`: one publisher sends the stamped synthetic stream to an RTMP URL, N viewers
 * play it back, and the run reports delivery, loss, latency, stalls, join time and CPU.
 *
 * Timeline: publish; viewers join over `rampMs`; `warmupMs` more; then the measured window of
 * `durationS`; then `drainMs` for frames still in flight; then everything closes. Frames count
 * toward the window by their send time, bytes and CPU by wall time inside it.
 */
import { openRawPlayer, type RawPlayer } from "./raw-player.ts";
import { wallMs } from "../core/errors.ts";
import { RtmpClient } from "../protocols/rtmp/client.ts";
import { type BenchReport, countReasons } from "./report.ts";
import { BenchPublisher } from "./rtmp-publisher.ts";
import { MeasureWindow, RtmpViewer, type ViewerTarget } from "./rtmp-viewer.ts";
import { LatencyHistogram, ProcessCpuMeter, SelfCpuMeter, percentile } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export interface RtmpBenchOptions {
  url: string;
  viewers: number;
  durationS: number;
  bitrateMbps: number;
  fps: number;
  gopS: number;
  rampMs: number;
  /** Extra viewers that play for a second and then stop reading (TCP window closed) for the whole run. */
  stalled?: number;
  /** Also measure this process's CPU (the server's). */
  pid?: number;
  warmupMs?: number;
  drainMs?: number;
  /** Limit for connecting and starting to publish or play. */
  setupTimeoutMs?: number;
  /** Progress lines (to stderr in the CLI). */
  progress?: (line: string) => void;
  /** Ends the run early (the window closes at that moment), e.g. on SIGINT. */
  signal?: AbortSignal;
}

/** Nothing to measure: the publisher could not start, or no viewer could play. */
export class BenchError extends Error {
  constructor(
    message: string,
    readonly report?: BenchReport,
  ) {
    super(message);
    this.name = "BenchError";
  }
}

const DEFAULT_WARMUP_MS = 2000;
const DEFAULT_DRAIN_MS = 1000;
const DEFAULT_SETUP_TIMEOUT_MS = 10_000;
/** How often the waits look at the run (all viewers failed, abort). */
const CHECK_MS = 250;
const PROGRESS_MS = 5000;

export function parseRtmpUrl(url: string): Omit<ViewerTarget, "setupTimeoutMs" | "window" | "latency"> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (u.protocol !== "rtmp:") throw new Error(`not an rtmp:// URL: ${url}`);
  const segments = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (segments.length < 2) throw new Error(`the URL needs an app and a stream key (rtmp://host:port/app/key): ${url}`);
  const port = Number(u.port) || 1935;
  const hostname = u.hostname.replace(/^\[|\]$/g, "");
  return { hostname, port, app: segments[0]!, streamKey: segments.slice(1).join("/") + u.search, tcUrl: `rtmp://${u.host}/${segments[0]}` };
}

export async function runRtmpBench(o: RtmpBenchOptions): Promise<BenchReport> {
  const warmupMs = o.warmupMs ?? DEFAULT_WARMUP_MS;
  const drainMs = o.drainMs ?? DEFAULT_DRAIN_MS;
  const setupTimeoutMs = o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
  const progress = o.progress ?? (() => {});
  const window = new MeasureWindow();
  const target: ViewerTarget = { ...parseRtmpUrl(o.url), setupTimeoutMs, window, latency: new LatencyHistogram() };
  const stream = new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS });

  let client: RtmpClient;
  try {
    client = await RtmpClient.connect(o.url, { timeoutMs: setupTimeoutMs });
  } catch (e) {
    throw new BenchError(`cannot connect to ${o.url}: ${(e as Error).message}`);
  }
  try {
    await client.publish();
  } catch (e) {
    client.close();
    throw new BenchError(`cannot publish to ${o.url}: ${(e as Error).message}`);
  }
  const publisher = new BenchPublisher(client, stream, window);
  publisher.start();
  const t0 = wallMs();
  window.startMs = t0 + o.rampMs + warmupMs;
  window.endMs = window.startMs + o.durationS * 1000;
  progress(
    `publishing ${o.bitrateMbps} Mbit/s at ${o.fps} fps to ${o.url}; ${o.viewers} viewers over ${o.rampMs} ms, ` +
      `${warmupMs} ms warm-up, then measuring for ${o.durationS} s`,
  );

  const viewers: RtmpViewer[] = [];
  const stalled: RawPlayer[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(new RtmpViewer(target));
  let aborted: string | null = null;
  const onAbort = () => (aborted ??= "interrupted");
  o.signal?.addEventListener("abort", onAbort);
  const allFailed = () => viewers.length > 0 && viewers.every((v) => v.phase === "failed");
  const selfCpu = new SelfCpuMeter();
  const serverCpu = o.pid !== undefined ? new ProcessCpuMeter(o.pid) : null;
  let bytesAtStart = 0;
  let publishedAtStart = 0;
  let bytesAtEnd = 0;
  let publishedAtEnd = 0;
  let measured = false;
  let benchCpu = NaN;
  let serverCpuPercent = NaN;
  const totalBytes = () => viewers.reduce((sum, v) => sum + v.bytes, 0);

  try {
    // Ramp: start each viewer at its slot, a few per timer tick.
    let started = 0;
    while (started < viewers.length && aborted === null) {
      const due = o.rampMs <= 0 ? viewers.length : Math.min(viewers.length, Math.floor(((wallMs() - t0) / o.rampMs) * viewers.length) + 1);
      while (started < due) viewers[started++]!.start();
      if (started < viewers.length) await sleep(Math.min(10, o.rampMs / viewers.length));
    }
    if (o.stalled) {
      const t = target;
      stalled.push(...(await Promise.all(Array.from({ length: o.stalled }, () => openRawPlayer(t.hostname, t.port, `${t.app}/${t.streamKey}`)))));
      await sleep(1000);
      for (const s of stalled) s.pause();
      progress(`${stalled.length} stalled viewers stopped reading`);
    }
    const playing = () => viewers.filter((v) => v.phase === "playing").length;
    const check = () => {
      if (aborted === null && allFailed() && wallMs() > t0 + o.rampMs) aborted = "no viewer could play";
      return aborted !== null;
    };
    await sleepUntil(window.startMs, check);
    if (aborted === null) {
      measured = true;
      const now = wallMs();
      bytesAtStart = totalBytes();
      publishedAtStart = publisher.bytesSent;
      selfCpu.start(now);
      serverCpu?.start(now);
      progress(`measuring: ${playing()} of ${viewers.length} viewers playing`);
      let nextProgress = now + PROGRESS_MS;
      while (wallMs() < window.endMs && !check()) {
        await sleepUntil(Math.min(window.endMs, nextProgress), check);
        if (wallMs() >= nextProgress && wallMs() < window.endMs - 1000) {
          const mbps = ((totalBytes() - bytesAtStart) * 8) / (wallMs() - window.startMs) / 1000;
          progress(`${Math.round((window.endMs - wallMs()) / 1000)} s left: ${playing()} playing, ${mbps.toFixed(1)} Mbit/s delivered`);
          nextProgress += PROGRESS_MS;
        }
      }
      const end = Math.min(wallMs(), window.endMs);
      window.endMs = end; // shortened when aborted
      bytesAtEnd = totalBytes();
      publishedAtEnd = publisher.bytesSent;
      benchCpu = selfCpu.stop(end);
      serverCpuPercent = serverCpu?.stop(end) ?? NaN;
      for (const v of viewers) v.closeWindow(end);
      await sleep(drainMs); // frames sent inside the window still in flight
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    publisher.stop();
    for (const v of viewers) v.stop();
    for (const s of stalled) s.close();
    client.close();
  }

  const windowMs = measured ? window.endMs - window.startMs : 0;
  const report = buildReport(o, warmupMs, windowMs, window.endMs, aborted, viewers, publisher, target.latency, {
    deliveredBytes: bytesAtEnd - bytesAtStart,
    publishedBytes: publishedAtEnd - publishedAtStart,
    benchCpu,
    serverCpu: serverCpuPercent,
  });
  if (viewers.length > 0 && report.viewers.connected === 0) {
    const why = report.viewers.errors[0]?.reason ?? "unknown";
    throw new BenchError(`no viewer could play ${o.url}: ${why}`, report);
  }
  return report;
}

function buildReport(
  o: RtmpBenchOptions,
  warmupMs: number,
  windowMs: number,
  windowEndMs: number,
  aborted: string | null,
  viewers: RtmpViewer[],
  pub: BenchPublisher,
  latency: LatencyHistogram,
  m: { deliveredBytes: number; publishedBytes: number; benchCpu: number; serverCpu: number },
): BenchReport {
  const connected = viewers.filter((v) => v.phase === "playing" || v.phase === "closed");
  let expected = 0;
  let received = 0;
  let lost = 0;
  for (const v of viewers) {
    const e = v.expectedFrames(pub.windowFirstSeq, pub.windowLastSeq);
    const r = Math.min(e, v.winReceived);
    expected += e;
    received += r;
    lost += e - r;
  }
  const joins = connected.map((v) => v.joinMs).filter(Number.isFinite);
  const windowS = windowMs / 1000;
  const deliveredMbps = windowS > 0 ? (m.deliveredBytes * 8) / windowS / 1e6 : NaN;
  return {
    mode: "rtmp",
    url: o.url,
    settings: { viewers: o.viewers, stalled: o.stalled ?? 0, durationS: o.durationS, bitrateMbps: o.bitrateMbps, fps: o.fps, gopS: o.gopS, rampMs: o.rampMs, warmupMs },
    windowS,
    aborted,
    viewers: {
      requested: viewers.length,
      connected: connected.length,
      failed: viewers.filter((v) => v.phase === "failed").length,
      dropped: viewers.filter((v) => v.phase === "closed" && v.closedAtMs < windowEndMs).length,
      withoutVideo: connected.filter((v) => v.firstSeq < 0).length,
      errors: countReasons(viewers.map((v) => v.error)),
    },
    publisher: {
      framesSent: pub.videoFramesSent,
      framesInWindow: pub.windowFirstSeq < 0 ? 0 : pub.windowLastSeq - pub.windowFirstSeq + 1,
      publishedMbps: windowS > 0 ? (m.publishedBytes * 8) / windowS / 1e6 : NaN,
      stalls: pub.stalls,
      stallMs: pub.stallMs,
      skippedFrames: pub.skippedFrames,
      maxBufferedBytes: pub.maxBufferedBytes,
      error: pub.error,
    },
    deliveredMbps,
    perViewerMbps: connected.length > 0 ? deliveredMbps / connected.length : NaN,
    frames: {
      expected,
      received,
      lost,
      lossPercent: expected > 0 ? (lost / expected) * 100 : NaN,
      duplicates: viewers.reduce((s, v) => s + v.duplicates, 0),
      unstamped: viewers.reduce((s, v) => s + v.unstamped, 0),
    },
    latencyMs: {
      p50: latency.percentile(50),
      p95: latency.percentile(95),
      p99: latency.percentile(99),
      max: latency.count > 0 ? latency.maxMs : NaN,
      mean: latency.meanMs,
      samples: latency.count,
    },
    stalls: {
      count: viewers.reduce((s, v) => s + v.stalls, 0),
      viewers: viewers.filter((v) => v.stalls > 0).length,
      maxGapMs: viewers.reduce((s, v) => Math.max(s, v.maxGapMs), 0),
    },
    joinMs: { p50: percentile(joins, 50), p99: percentile(joins, 99), max: joins.length ? Math.max(...joins) : NaN },
    cpu: { benchPercent: m.benchCpu, serverPercent: o.pid !== undefined ? m.serverCpu : null, serverPid: o.pid ?? null },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits until wall time `untilMs`, returning early when `stop()` says so. */
async function sleepUntil(untilMs: number, stop: () => boolean): Promise<void> {
  for (;;) {
    const left = untilMs - wallMs();
    if (left <= 0 || stop()) return;
    await sleep(Math.min(CHECK_MS, left));
  }
}
