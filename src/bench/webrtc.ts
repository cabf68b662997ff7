/**
 * `spate bench webrtc`: one publisher sends the stamped synthetic stream over RTMP, N WHEP viewers
 * (whep-viewer.ts: ICE checks, DTLS client, SRTP decrypt, H.264 depacketizer) play its video, and
 * the run reports delivery, latency, loss, stalls, join time and CPU (run.ts's timeline and report)
 * with the WebRTC counts: DTLS handshakes, SRTP authentication failures, RTP packets and gaps.
 * The AAC track cannot go to WebRTC: the server rejects the offer's audio section.
 */
import { readFileSync } from "node:fs";
import { RtmpClient } from "../protocols/rtmp/client.ts";
import { MeasureWindow } from "./measured-viewer.ts";
import { BenchPublisher } from "./publisher.ts";
import { type BenchReport, reportText } from "./report.ts";
import { RtmpMediaSink } from "./rtmp-publisher.ts";
import { BenchError, DEFAULT_DRAIN_MS, DEFAULT_SETUP_TIMEOUT_MS, DEFAULT_WARMUP_MS, buildReport, reportOrThrow, defaultPublishUrl, parseSchemeUrl, runTimeline, type BenchRunOptions, type Measured } from "./run.ts";
import { LatencyHistogram } from "./stats.ts";
import { SyntheticStream } from "./synthetic.ts";
import { WhepCounts, WhepViewer, type WhepViewerTarget } from "./whep-viewer.ts";

export { BenchError } from "./run.ts";


export interface WebrtcBenchOptions extends BenchRunOptions {
  /** The stream's WHEP endpoint: http://host:8080/PATH/whep. */
  url: string;
  /** Where to publish (default rtmp://HOST:1935/PATH with the URL's host and path). */
  publishUrl?: string;
}

/** Whole-run WebRTC counts of all viewers. */
export interface WebrtcSection {
  dtlsHandshakes: number;
  srtpAuthFailures: number;
  packets: number;
  packetsLost: number;
  windowPackets: number;
  windowPacketsLost: number;
  otherPackets: number;
  /**
   * UDP datagrams the kernel dropped for a full receive buffer over the run, on the whole machine
   * (Linux /proc/net/snmp RcvbufErrors; null elsewhere): a bench too busy to read its sockets shows here.
   */
  rcvbufErrors: number | null;
}

/** Linux: the Udp RcvbufErrors counter of /proc/net/snmp, or NaN. */
function udpRcvbufErrors(): number {
  try {
    const lines = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Udp: "));
    const i = lines[0]!.split(" ").indexOf("RcvbufErrors");
    return i < 0 ? NaN : Number(lines[1]!.split(" ")[i]);
  } catch {
    return NaN;
  }
}

export type WebrtcBenchReport = BenchReport & { webrtc: WebrtcSection };

/** The stream path and host of a WHEP URL (http://host:8080/PATH/whep). */
export function parseWhepUrl(url: string): { whepUrl: string; path: string; hostname: string } {
  const u = parseSchemeUrl(url, ["http", "https"]);
  if (!u.pathname.endsWith("/whep")) throw new Error(`a WHEP URL ends in /whep (http://host:8080/live/cam1/whep): ${url}`);
  const path = decodeURIComponent(u.pathname.slice(1, -"/whep".length));
  if (!path) throw new Error(`the URL needs a stream path (http://host:8080/live/cam1/whep): ${url}`);
  return { whepUrl: u.href, path, hostname: u.hostname.replace(/^\[|\]$/g, "") };
}

export async function runWebrtcBench(o: WebrtcBenchOptions): Promise<WebrtcBenchReport> {
  const warmupMs = o.warmupMs ?? DEFAULT_WARMUP_MS;
  const setupTimeoutMs = o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
  const progress = o.progress ?? (() => {});
  const { whepUrl, path, hostname } = parseWhepUrl(o.url);
  const publishUrl = o.publishUrl ?? defaultPublishUrl(hostname, path);

  const window = new MeasureWindow();
  const latency = new LatencyHistogram();
  const counts = new WhepCounts();
  const target: WhepViewerTarget = { whepUrl, setupTimeoutMs, window, latency, counts };
  const stream = new SyntheticStream({ bitrateMbps: o.bitrateMbps, fps: o.fps, gopSeconds: o.gopS });

  let client: RtmpClient;
  try {
    client = await RtmpClient.connect(publishUrl, { timeoutMs: setupTimeoutMs });
    await client.publish();
  } catch (e) {
    throw new BenchError(`cannot publish to ${publishUrl}: ${(e as Error).message}`);
  }
  const publisher = new BenchPublisher(new RtmpMediaSink(client), stream, window);
  const viewers: WhepViewer[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(new WhepViewer(target));
  progress(
    `publishing ${o.bitrateMbps} Mbit/s at ${o.fps} fps to ${publishUrl}; ${o.viewers} WHEP viewers of ${whepUrl} over ${o.rampMs} ms, ` +
      `${warmupMs} ms warm-up, then measuring for ${o.durationS} s`,
  );
  const rcvbufAtStart = udpRcvbufErrors();
  let m: Measured;
  try {
    m = await runTimeline({ publisher, viewers, window, rampMs: o.rampMs, warmupMs, durationS: o.durationS, drainMs: o.drainMs ?? DEFAULT_DRAIN_MS, pid: o.pid, progress, signal: o.signal });
  } finally {
    publisher.stop();
    for (const v of viewers) v.stop();
    client.close();
  }
  const settings = { viewers: o.viewers, stalled: 0, durationS: o.durationS, bitrateMbps: o.bitrateMbps, fps: o.fps, gopS: o.gopS, rampMs: o.rampMs, warmupMs };
  const report = buildReport({ mode: "webrtc", url: whepUrl, settings, viewers, publisher, latency, window, pid: o.pid }, m) as WebrtcBenchReport;
  const rcvbufErrors = udpRcvbufErrors() - rcvbufAtStart;
  report.webrtc = { ...counts, rcvbufErrors: Number.isFinite(rcvbufErrors) ? rcvbufErrors : null };
  return reportOrThrow(report, whepUrl) as WebrtcBenchReport;
}

/** reportText plus the WebRTC rows. */
export function webrtcReportText(r: WebrtcBenchReport): string {
  const w = r.webrtc;
  const pct = (got: number, lost: number) => (got + lost > 0 ? ((lost / (got + lost)) * 100).toFixed(3) : "-");
  return [
    reportText(r),
    `  ${"webrtc".padEnd(11)} ${w.dtlsHandshakes} DTLS handshakes, ${w.srtpAuthFailures} SRTP auth failures${w.otherPackets ? `, ${w.otherPackets} packets of other payload types` : ""}${w.rcvbufErrors !== null ? `; ${w.rcvbufErrors} UDP datagrams dropped for a full receive buffer (whole machine, whole run)` : ""}`,
    `  ${"video rtp".padEnd(11)} in the window ${w.windowPackets} packets received, ${w.windowPacketsLost} lost by sequence gaps (${pct(w.windowPackets, w.windowPacketsLost)} %); whole run ${w.packets} received, ${w.packetsLost} lost (${pct(w.packets, w.packetsLost)} %)`,
    `  ${"latency".padEnd(11)} is a frame's last packet decrypted and depacketized minus its send time (RTMP in, WebRTC out)`,
  ].join("\n");
}
