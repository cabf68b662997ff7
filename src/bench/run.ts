/**
 * The timeline every bench mode runs, and the report it ends in. The mode has connected its
 * publisher and built its viewers; this starts them and measures:
 *
 *   publish; viewers join over `rampMs`; `warmupMs` more; then the measured window of `durationS`;
 *   then `drainMs` for frames still in flight.
 *
 * Frames count toward the window by their send time, bytes and CPU by wall time inside it. The
 * caller closes everything afterwards (also when this throws).
 */
import { wallMs } from "../core/errors.ts";
import type { MeasureWindow, MeasuredViewer } from "./measured-viewer.ts";
import type { BenchPublisher } from "./publisher.ts";
import { type BenchReport, countReasons } from "./report.ts";
import { type LatencyHistogram, ProcessCpuMeter, SelfCpuMeter, percentile } from "./stats.ts";

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

export const DEFAULT_WARMUP_MS = 2000;
export const DEFAULT_DRAIN_MS = 1000;
export const DEFAULT_SETUP_TIMEOUT_MS = 10_000;
/** How often the waits look at the run (all viewers failed, abort). */
const CHECK_MS = 250;
const PROGRESS_MS = 5000;

/** `url` parsed, with one of `schemes` ("rtmp", "http", ...); an Error naming what is wrong otherwise. */
export function parseSchemeUrl(url: string, schemes: readonly string[]): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (!schemes.includes(u.protocol.slice(0, -1))) throw new Error(`not an ${schemes.length > 1 ? `${schemes[0]}(s)` : schemes[0]}:// URL: ${url}`);
  return u;
}

/** Where an HTTP-played bench publishes when not told: RTMP on the default port of the URL's host, same path. */
export function defaultPublishUrl(hostname: string, path: string): string {
  return `rtmp://${hostname.includes(":") ? `[${hostname}]` : hostname}:1935/${path}`;
}

/** What every load bench (rtmp, srt, hls, webrtc) takes besides its URL and its own options. */
export interface BenchRunOptions {
  viewers: number;
  durationS: number;
  bitrateMbps: number;
  fps: number;
  gopS: number;
  rampMs: number;
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

export interface Timeline {
  publisher: BenchPublisher;
  viewers: MeasuredViewer[];
  window: MeasureWindow;
  rampMs: number;
  warmupMs: number;
  durationS: number;
  drainMs: number;
  pid?: number;
  progress: (line: string) => void;
  signal?: AbortSignal;
  /** Runs once every viewer has been started, before the warm-up ends (RTMP's stalled viewers). */
  afterRamp?: () => Promise<void>;
}

/** What the timeline measured, for buildReport. */
export interface Measured {
  aborted: string | null;
  /** 0 when the window never opened. */
  windowMs: number;
  deliveredBytes: number;
  publishedBytes: number;
  benchCpu: number;
  serverCpu: number;
}

/** Starts the publisher and the viewers and runs the timeline to its end (or the abort). */
export async function runTimeline(t: Timeline): Promise<Measured> {
  const { publisher, viewers, window } = t;
  publisher.start();
  const t0 = wallMs();
  window.startMs = t0 + t.rampMs + t.warmupMs;
  window.endMs = window.startMs + t.durationS * 1000;
  let aborted: string | null = null;
  const onAbort = () => (aborted ??= "interrupted");
  t.signal?.addEventListener("abort", onAbort);
  const m: Measured = { aborted: null, windowMs: 0, deliveredBytes: 0, publishedBytes: 0, benchCpu: NaN, serverCpu: NaN };
  const totalBytes = () => viewers.reduce((sum, v) => sum + v.bytes, 0);
  const playing = () => viewers.filter((v) => v.phase === "playing").length;
  const check = () => {
    if (aborted === null && viewers.length > 0 && wallMs() > t0 + t.rampMs && viewers.every((v) => v.phase === "failed")) aborted = "no viewer could play";
    return aborted !== null;
  };
  try {
    // Ramp: start each viewer at its slot, a few per timer tick.
    let started = 0;
    while (started < viewers.length && aborted === null) {
      const due = t.rampMs <= 0 ? viewers.length : Math.min(viewers.length, Math.floor(((wallMs() - t0) / t.rampMs) * viewers.length) + 1);
      while (started < due) viewers[started++]!.start();
      if (started < viewers.length) await sleep(Math.min(10, t.rampMs / viewers.length));
    }
    if (t.afterRamp && aborted === null) await t.afterRamp();
    await sleepUntil(window.startMs, check);
    if (aborted !== null) return { ...m, aborted };
    const selfCpu = new SelfCpuMeter();
    const serverCpu = t.pid !== undefined ? new ProcessCpuMeter(t.pid) : null;
    const now = wallMs();
    const bytesAtStart = totalBytes();
    const publishedAtStart = publisher.bytesSent;
    selfCpu.start(now);
    serverCpu?.start(now);
    t.progress(`measuring: ${playing()} of ${viewers.length} viewers playing`);
    let nextProgress = now + PROGRESS_MS;
    while (wallMs() < window.endMs && !check()) {
      await sleepUntil(Math.min(window.endMs, nextProgress), check);
      if (wallMs() >= nextProgress && wallMs() < window.endMs - 1000) {
        const mbps = ((totalBytes() - bytesAtStart) * 8) / (wallMs() - window.startMs) / 1000;
        t.progress(`${Math.round((window.endMs - wallMs()) / 1000)} s left: ${playing()} playing, ${mbps.toFixed(1)} Mbit/s delivered`);
        nextProgress += PROGRESS_MS;
      }
    }
    const end = Math.min(wallMs(), window.endMs);
    window.endMs = end; // shortened when aborted
    m.aborted = aborted;
    m.windowMs = end - window.startMs;
    m.deliveredBytes = totalBytes() - bytesAtStart;
    m.publishedBytes = publisher.bytesSent - publishedAtStart;
    m.benchCpu = selfCpu.stop(end);
    m.serverCpu = serverCpu?.stop(end) ?? NaN;
    for (const v of viewers) v.closeWindow(end);
    await sleep(t.drainMs); // frames sent inside the window still in flight
    return m;
  } finally {
    t.signal?.removeEventListener("abort", onAbort);
  }
}

export interface ReportInput {
  mode: string;
  url: string;
  settings: BenchReport["settings"];
  viewers: MeasuredViewer[];
  publisher: BenchPublisher;
  latency: LatencyHistogram;
  window: MeasureWindow;
  pid?: number;
}

export function buildReport(r: ReportInput, m: Measured): BenchReport {
  const { viewers, publisher: pub, latency } = r;
  const connected = viewers.filter((v) => v.phase === "playing" || v.phase === "closed");
  let expected = 0;
  let received = 0;
  let lost = 0;
  for (const v of viewers) {
    const e = v.expectedFrames(pub.windowFirstSeq, pub.windowLastSeq);
    const got = Math.min(e, v.winReceived);
    expected += e;
    received += got;
    lost += e - got;
  }
  const joins = connected.map((v) => v.joinMs).filter(Number.isFinite);
  const windowS = m.windowMs / 1000;
  const deliveredMbps = windowS > 0 ? (m.deliveredBytes * 8) / windowS / 1e6 : NaN;
  return {
    mode: r.mode,
    url: r.url,
    settings: r.settings,
    windowS,
    aborted: m.aborted,
    viewers: {
      requested: viewers.length,
      connected: connected.length,
      failed: viewers.filter((v) => v.phase === "failed").length,
      dropped: viewers.filter((v) => v.phase === "closed" && v.closedAtMs < r.window.endMs).length,
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
    cpu: { benchPercent: m.benchCpu, serverPercent: r.pid !== undefined ? m.serverCpu : null, serverPid: r.pid ?? null },
  };
}

/** The report, or a BenchError carrying it when viewers were asked for and none could play. */
export function reportOrThrow(report: BenchReport, url: string): BenchReport {
  if (report.viewers.requested > 0 && report.viewers.connected === 0) {
    const why = report.viewers.errors[0]?.reason ?? "unknown";
    throw new BenchError(`no viewer could play ${url}: ${why}`, report);
  }
  return report;
}

export function sleep(ms: number): Promise<void> {
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
