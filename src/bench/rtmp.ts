/**
 * `spate bench rtmp`: one publisher sends the stamped synthetic stream to an RTMP URL, N viewers
 * play it back, and the run reports delivery, loss, latency, stalls, join time and CPU (the
 * timeline and the report are run.ts's).
 */
import { openRawPlayer, type RawPlayer } from "./raw-player.ts";
import { RtmpClient } from "../protocols/rtmp/client.ts";
import { MeasureWindow } from "./measured-viewer.ts";
import { BenchPublisher } from "./publisher.ts";
import type { BenchReport } from "./report.ts";
import { RtmpMediaSink } from "./rtmp-publisher.ts";
import { RtmpViewer, type ViewerTarget } from "./rtmp-viewer.ts";
import { BenchError, DEFAULT_DRAIN_MS, DEFAULT_SETUP_TIMEOUT_MS, DEFAULT_WARMUP_MS, buildReport, reportOrThrow, parseSchemeUrl, runTimeline, sleep, type BenchRunOptions, type Measured } from "./run.ts";
import { LatencyHistogram } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export { BenchError } from "./run.ts";

export interface RtmpBenchOptions extends BenchRunOptions {
  url: string;
  /** Extra viewers that play for a second and then stop reading (TCP window closed) for the whole run. */
  stalled?: number;
}

export function parseRtmpUrl(url: string): Omit<ViewerTarget, "setupTimeoutMs" | "window" | "latency"> {
  const u = parseSchemeUrl(url, ["rtmp"]);
  const segments = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (segments.length < 2) throw new Error(`the URL needs an app and a stream key (rtmp://host:port/app/key): ${url}`);
  const port = Number(u.port) || 1935;
  const hostname = u.hostname.replace(/^\[|\]$/g, "");
  return { hostname, port, app: segments[0]!, streamKey: segments.slice(1).join("/") + u.search, tcUrl: `rtmp://${u.host}/${segments[0]}` };
}

export async function runRtmpBench(o: RtmpBenchOptions): Promise<BenchReport> {
  const warmupMs = o.warmupMs ?? DEFAULT_WARMUP_MS;
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
  const publisher = new BenchPublisher(new RtmpMediaSink(client), stream, window);
  const viewers: RtmpViewer[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(new RtmpViewer(target));
  const stalled: RawPlayer[] = [];
  progress(
    `publishing ${o.bitrateMbps} Mbit/s at ${o.fps} fps to ${o.url}; ${o.viewers} viewers over ${o.rampMs} ms, ` +
      `${warmupMs} ms warm-up, then measuring for ${o.durationS} s`,
  );
  let m: Measured;
  try {
    m = await runTimeline({
      publisher,
      viewers,
      window,
      rampMs: o.rampMs,
      warmupMs,
      durationS: o.durationS,
      drainMs: o.drainMs ?? DEFAULT_DRAIN_MS,
      pid: o.pid,
      progress,
      signal: o.signal,
      afterRamp: o.stalled
        ? async () => {
            const t = target;
            stalled.push(...(await Promise.all(Array.from({ length: o.stalled! }, () => openRawPlayer(t.hostname, t.port, `${t.app}/${t.streamKey}`)))));
            await sleep(1000);
            for (const s of stalled) s.pause();
            progress(`${stalled.length} stalled viewers stopped reading`);
          }
        : undefined,
    });
  } finally {
    publisher.stop();
    for (const v of viewers) v.stop();
    for (const s of stalled) s.close();
    client.close();
  }
  const settings = { viewers: o.viewers, stalled: o.stalled ?? 0, durationS: o.durationS, bitrateMbps: o.bitrateMbps, fps: o.fps, gopS: o.gopS, rampMs: o.rampMs, warmupMs };
  const report = buildReport({ mode: "rtmp", url: o.url, settings, viewers, publisher, latency: target.latency, window, pid: o.pid }, m);
  return reportOrThrow(report, o.url);
}
