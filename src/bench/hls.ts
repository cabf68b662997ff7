/**
 * `spate bench hls`: one publisher sends the stamped synthetic stream over RTMP, N LL-HLS clients
 * follow the stream's media playlist with blocking reloads and part fetches (hls-viewer.ts), and the
 * run reports delivery, latency behind live, stalls, join time, CPU (run.ts's timeline and report)
 * and the request rates of the clients. The clients speak HTTP/1.1 on their own sockets
 * (http-client.ts), not through fetch: with two requests in flight per client, fetch cost the bench
 * more CPU than the server spent answering, and it queues past BUN_CONFIG_MAX_HTTP_REQUESTS.
 */
import { RtmpClient } from "../protocols/rtmp/client.ts";
import { CMAF_URLS } from "../protocols/cmaf/model.ts";
import { HlsRequestCounts, HlsViewer, type HlsViewerTarget } from "./hls-viewer.ts";
import { HttpAgent, originOf } from "./http-client.ts";
import { MeasureWindow } from "./measured-viewer.ts";
import { BenchPublisher } from "./publisher.ts";
import { type BenchReport, reportText } from "./report.ts";
import { RtmpMediaSink } from "./rtmp-publisher.ts";
import { BenchError, DEFAULT_DRAIN_MS, DEFAULT_SETUP_TIMEOUT_MS, DEFAULT_WARMUP_MS, buildReport, reportOrThrow, defaultPublishUrl, parseSchemeUrl, runTimeline, type BenchRunOptions, type Measured } from "./run.ts";
import { LatencyHistogram } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export { BenchError } from "./run.ts";

/** Blocking requests: the server answers within three target durations (RFC 8216bis §6.2.5.2). */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface HlsBenchOptions extends BenchRunOptions {
  /** The stream's LL-HLS URL: its folder (`http://host:8080/live/bench/`), index.m3u8 or stream.m3u8. */
  url: string;
  /** Where to publish (default rtmp://HOST:1935/PATH with the URL's host and path). */
  publishUrl?: string;
  requestTimeoutMs?: number;
}

/** The request side of an hls run: what the clients asked for, per second of the window. */
export interface HlsSection {
  playlistsPerSec: number;
  partsPerSec: number;
  requestsPerSec: number;
  errorsPerSec: number;
  /** Hinted parts answered 404 because their segment was cut first (then fetched by name), per second. */
  hintsGonePerSec: number;
  /** Mean time a blocking playlist reload waited for its part (ms). */
  meanReloadWaitMs: number;
  /** TCP connections the clients opened over the whole run (two per client when none was closed). */
  connections: number;
  /** Requests sent again because a kept-alive connection closed before answering. */
  retries: number;
  errors: { reason: string; count: number }[];
}

export type HlsBenchReport = BenchReport & { hls: HlsSection };

/** The media playlist URL and the stream path of an LL-HLS URL. */
export function parseHlsUrl(url: string): { playlistUrl: string; path: string; hostname: string } {
  const u = parseSchemeUrl(url, ["http", "https"]);
  let dir = u.pathname;
  if (dir.endsWith(`/${CMAF_URLS.multivariant}`) || dir.endsWith(`/${CMAF_URLS.mediaPlaylist}`)) dir = dir.slice(0, dir.lastIndexOf("/") + 1);
  else if (dir.endsWith(".m3u8")) throw new Error(`spate's playlists are ${CMAF_URLS.multivariant} and ${CMAF_URLS.mediaPlaylist}: ${url}`);
  if (!dir.endsWith("/")) dir += "/";
  const path = decodeURIComponent(dir.slice(1, -1));
  if (!path) throw new Error(`the URL needs a stream path (http://host:8080/live/cam1/): ${url}`);
  return { playlistUrl: new URL(dir + CMAF_URLS.mediaPlaylist, u).href, path, hostname: u.hostname.replace(/^\[|\]$/g, "") };
}

export async function runHlsBench(o: HlsBenchOptions): Promise<HlsBenchReport> {
  const warmupMs = o.warmupMs ?? DEFAULT_WARMUP_MS;
  const setupTimeoutMs = o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
  const progress = o.progress ?? (() => {});
  const { playlistUrl, path, hostname } = parseHlsUrl(o.url);
  const publishUrl = o.publishUrl ?? defaultPublishUrl(hostname, path);

  const window = new MeasureWindow();
  const latency = new LatencyHistogram();
  const counts = new HlsRequestCounts();
  const agent = new HttpAgent(originOf(new URL(playlistUrl)));
  const target: HlsViewerTarget = { playlistUrl, agent, setupTimeoutMs, requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, window, latency, counts };
  const stream = new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS });

  let client: RtmpClient;
  try {
    client = await RtmpClient.connect(publishUrl, { timeoutMs: setupTimeoutMs });
    await client.publish();
  } catch (e) {
    agent.close();
    throw new BenchError(`cannot publish to ${publishUrl}: ${(e as Error).message}`);
  }
  const publisher = new BenchPublisher(new RtmpMediaSink(client), stream, window);
  const viewers: HlsViewer[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(new HlsViewer(target));
  progress(
    `publishing ${o.bitrateMbps} Mbit/s at ${o.fps} fps to ${publishUrl}; ${o.viewers} LL-HLS clients of ${playlistUrl} over ${o.rampMs} ms, ` +
      `${warmupMs} ms warm-up, then measuring for ${o.durationS} s`,
  );
  let m: Measured;
  try {
    m = await runTimeline({ publisher, viewers, window, rampMs: o.rampMs, warmupMs, durationS: o.durationS, drainMs: o.drainMs ?? DEFAULT_DRAIN_MS, pid: o.pid, progress, signal: o.signal });
  } finally {
    publisher.stop();
    for (const v of viewers) v.stop();
    agent.close();
    client.close();
  }
  for (const v of viewers) v.sync();
  const settings = { viewers: o.viewers, stalled: 0, durationS: o.durationS, bitrateMbps: o.bitrateMbps, fps: o.fps, gopS: o.gopS, rampMs: o.rampMs, warmupMs };
  const report = buildReport({ mode: "hls", url: playlistUrl, settings, viewers, publisher, latency, window, pid: o.pid }, m) as HlsBenchReport;
  report.hls = hlsSection(counts, agent, m.windowMs / 1000);
  return reportOrThrow(report, playlistUrl) as HlsBenchReport;
}

function hlsSection(c: HlsRequestCounts, agent: HttpAgent, windowS: number): HlsSection {
  const rate = (n: number) => (windowS > 0 ? n / windowS : NaN);
  return {
    playlistsPerSec: rate(c.playlists),
    partsPerSec: rate(c.parts),
    requestsPerSec: rate(c.playlists + c.parts + c.inits),
    errorsPerSec: rate(c.errors),
    hintsGonePerSec: rate(c.hintsGone),
    meanReloadWaitMs: c.playlists > 0 ? c.playlistWaitMs / c.playlists : NaN,
    connections: agent.connects,
    retries: agent.retries,
    errors: [...c.reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
  };
}

/** reportText plus the request rows of an hls run. */
export function hlsReportText(r: HlsBenchReport): string {
  const h = r.hls;
  const n = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  const lines = [
    reportText(r),
    `  ${"requests".padEnd(11)} ${n(h.requestsPerSec)}/s: ${n(h.playlistsPerSec)} playlist reloads/s, ${n(h.partsPerSec)} parts/s, ${n(h.errorsPerSec, 2)} errors/s, ${n(h.hintsGonePerSec, 2)} hinted parts gone/s; a blocking reload waited ${n(h.meanReloadWaitMs)} ms on average`,
    `  ${"connections".padEnd(11)} ${h.connections} opened by the clients (${h.retries} requests sent again after a kept-alive connection closed)`,
    `  ${"latency".padEnd(11)} is a part's arrival minus its frames' send time: it includes filling the part, not a player's hold-back`,
  ];
  for (const e of h.errors.slice(0, 5)) lines.push(`  ${"http".padEnd(11)} ${e.count} x ${e.reason}`);
  return lines.join("\n");
}
