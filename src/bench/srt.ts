/**
 * `spate bench srt`: one SRT caller publishes the stamped synthetic stream as MPEG-TS with stream id
 * `publish:PATH`, N SRT callers read it with `read:PATH`, and the run reports what `spate bench
 * rtmp` reports (run.ts's timeline and report), plus the SRT counters of all sessions.
 *
 * Latency is payload hand-out time (TSBPD play time) minus the stamped send time: it includes the
 * SRT latency of both hops (publisher → server, server → viewer), reported as is.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { parseStreamId } from "../protocols/srt/stream-id.ts";
import { MeasureWindow } from "./measured-viewer.ts";
import { BenchPublisher } from "./publisher.ts";
import type { BenchReport } from "./report.ts";
import { BenchError, DEFAULT_DRAIN_MS, DEFAULT_SETUP_TIMEOUT_MS, DEFAULT_WARMUP_MS, buildReport, reportOrThrow, parseSchemeUrl, runTimeline, type BenchRunOptions, type Measured } from "./run.ts";
import { SrtTicker } from "./srt-caller.ts";
import { SrtMediaSink } from "./srt-publisher.ts";
import { SrtMux, SrtMuxPool } from "./srt-mux.ts";
import { SrtViewer } from "./srt-viewer.ts";
import { LatencyHistogram } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";

export const DEFAULT_SRT_LATENCY_MS = 120;

export interface SrtBenchOptions extends BenchRunOptions {
  /** srt://host:port?streamid=publish:PATH (or read:PATH, or #!::r=PATH,...). */
  url: string;
  /** The stream path; overrides the URL's stream id. */
  path?: string;
  /** TSBPD latency asked for by every caller (the larger of both sides' wins). */
  latencyMs?: number;
  passphrase?: string;
  /** Readers on one shared socket (Linux, a server on 127.x); false gives each its own socket. */
  sharedSocket?: boolean;
}

export interface SrtTarget {
  hostname: string;
  port: number;
  path: string;
  /** `latency` (ms) and `passphrase` of the URL's query, when given. */
  latencyMs?: number;
  passphrase?: string;
}

/**
 * The host, port and stream path of an srt:// URL. The path comes from `path` when given, else from
 * the `streamid` parameter in any form the server reads (`publish:P`, `read:P`, `#!::r=P,...`).
 */
export function parseSrtUrl(url: string, path?: string): SrtTarget {
  const u = parseSchemeUrl(url, ["srt"]);
  const port = Number(u.port);
  if (!port) throw new Error(`the URL needs a port (srt://host:port?streamid=publish:PATH): ${url}`);
  const streamId = u.searchParams.get("streamid");
  let p = path;
  if (p === undefined && streamId !== null) {
    const req = parseStreamId(streamId);
    if (!req) throw new Error(`streamid ${JSON.stringify(streamId)} is not publish:PATH, read:PATH or #!::r=PATH`);
    p = req.path;
  }
  if (!p) throw new Error(`no stream path: give the URL a streamid (publish:PATH) or pass --path: ${url}`);
  const latency = u.searchParams.get("latency");
  const latencyMs = latency === null ? undefined : Number(latency);
  if (latencyMs !== undefined && !(Number.isInteger(latencyMs) && latencyMs >= 0)) throw new Error(`latency=${latency} is not a whole number of ms`);
  const passphrase = u.searchParams.get("passphrase") ?? undefined;
  return { hostname: u.hostname.replace(/^\[|\]$/g, ""), port, path: p, latencyMs, passphrase };
}

async function resolve(hostname: string): Promise<string> {
  if (isIP(hostname)) return hostname;
  if (hostname === "localhost") return "127.0.0.1";
  return (await lookup(hostname)).address;
}

export async function runSrtBench(o: SrtBenchOptions): Promise<BenchReport> {
  const target = parseSrtUrl(o.url, o.path);
  const warmupMs = o.warmupMs ?? DEFAULT_WARMUP_MS;
  const setupTimeoutMs = o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
  const latencyMs = o.latencyMs ?? target.latencyMs ?? DEFAULT_SRT_LATENCY_MS;
  const passphrase = o.passphrase ?? target.passphrase;
  const progress = o.progress ?? (() => {});
  let address: string;
  try {
    address = await resolve(target.hostname);
  } catch (e) {
    throw new BenchError(`cannot resolve ${target.hostname}: ${(e as Error).message}`);
  }
  const ticker = new SrtTicker();
  const window = new MeasureWindow();
  const latency = new LatencyHistogram();
  const stream = new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS });
  const common = { address, port: target.port, latencyMs, passphrase, connectTimeoutMs: setupTimeoutMs };

  let sink: SrtMediaSink;
  try {
    sink = await SrtMediaSink.connect({ ...common, streamId: `publish:${target.path}` }, ticker);
  } catch (e) {
    throw new BenchError(`cannot publish to srt://${target.hostname}:${target.port} as publish:${target.path}: ${(e as Error).message}`);
  }
  const publisher = new BenchPublisher(sink, stream, window);
  // Readers share one socket (each from its own 127.0.0.x) when the server is on this machine.
  const muxes = SrtMux.usable(address) && o.sharedSocket !== false ? await SrtMuxPool.open(o.viewers) : null;
  const viewerTarget = { ...common, setupTimeoutMs, streamId: `read:${target.path}`, ticker, window, latency, muxes };
  const viewers: SrtViewer[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(new SrtViewer(viewerTarget));
  const negotiated = sink.caller.session.state;
  progress(
    `publishing ${o.bitrateMbps} Mbit/s at ${o.fps} fps as MPEG-TS to srt://${target.hostname}:${target.port} path ${target.path} ` +
      `(SRT latency ${negotiated.sndLatencyMs} ms); ${o.viewers} viewers over ${o.rampMs} ms, ${warmupMs} ms warm-up, then measuring for ${o.durationS} s`,
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
    });
  } finally {
    publisher.stop();
    for (const v of viewers) v.stop();
    sink.close();
    muxes?.close();
  }
  for (const v of viewers) v.sync();
  const settings = { viewers: o.viewers, stalled: 0, durationS: o.durationS, bitrateMbps: o.bitrateMbps, fps: o.fps, gopS: o.gopS, rampMs: o.rampMs, warmupMs };
  const report = buildReport({ mode: "srt", url: o.url, settings, viewers, publisher, latency, window, pid: o.pid }, m);
  report.srt = srtSection(latencyMs, sink, viewers);
  return reportOrThrow(report, o.url);
}

/** The SRT counters of the run: what the transport did under the figures above. */
function srtSection(latencyMs: number, sink: SrtMediaSink, viewers: SrtViewer[]): NonNullable<BenchReport["srt"]> {
  const pub = sink.caller.session.state;
  const sum = { lost: 0, dropped: 0, sendErrors: 0, damaged: 0, ccErrors: 0 };
  let viewerLatencyMs = NaN;
  for (const v of viewers) {
    const c = v.caller;
    if (!c) continue;
    const st = c.session.state;
    if (v.phase === "closed" && Number.isNaN(viewerLatencyMs)) viewerLatencyMs = st.rcvLatencyMs;
    sum.lost += st.counters.packetsLost;
    sum.dropped += st.counters.packetsDropped;
    sum.sendErrors += c.sendErrors;
    sum.damaged += v.damagedFrames;
    sum.ccErrors += v.scanner.ccErrors;
  }
  return {
    latencyMs,
    publisherLatencyMs: pub.sndLatencyMs,
    viewerLatencyMs,
    publisher: { packetsSent: pub.counters.packetsSent, packetsRetransmitted: pub.counters.packetsRetransmitted, packetsSendDropped: pub.counters.packetsSendDropped, sendErrors: sink.caller.sendErrors },
    viewers: { framesDamaged: sum.damaged, ccErrors: sum.ccErrors, packetsLost: sum.lost, packetsDropped: sum.dropped, sendErrors: sum.sendErrors },
  };
}
