/**
 * The result of a bench run, the same shape for every mode: JSON with --json, a short table
 * otherwise. Numbers that could not be measured are NaN here and null in the JSON (which rounds to
 * 3 decimals).
 */
export interface BenchReport {
  mode: string;
  url: string;
  settings: {
    viewers: number;
    /** Extra viewers that stopped reading (--stalled); not in the figures below. */
    stalled: number;
    durationS: number;
    bitrateMbps: number;
    fps: number;
    gopS: number;
    rampMs: number;
    warmupMs: number;
  };
  /** The measured window: after ramp-up and warm-up. Shorter than asked when the run was cut short. */
  windowS: number;
  /** Why the run ended early, or null. */
  aborted: string | null;
  viewers: {
    requested: number;
    /** Reached NetStream.Play.Start (or the protocol's equivalent). */
    connected: number;
    failed: number;
    /** Connected, then closed before the window ended. */
    dropped: number;
    /** Connected but no stamped video frame ever arrived. */
    withoutVideo: number;
    /** Failure and drop reasons, most frequent first. */
    errors: { reason: string; count: number }[];
  };
  publisher: {
    framesSent: number;
    framesInWindow: number;
    publishedMbps: number;
    stalls: number;
    stallMs: number;
    skippedFrames: number;
    maxBufferedBytes: number;
    error: string | null;
  };
  deliveredMbps: number;
  perViewerMbps: number;
  frames: { expected: number; received: number; lost: number; lossPercent: number; duplicates: number; unstamped: number };
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number; samples: number };
  stalls: { count: number; viewers: number; maxGapMs: number };
  joinMs: { p50: number; p99: number; max: number };
  cpu: { benchPercent: number; serverPercent: number | null; serverPid: number | null };
  /** SRT mode: the latency asked for and negotiated (the latencies above include it), and the sessions' counters. */
  srt?: {
    latencyMs: number;
    /** TSBPD latency the server receives the publisher with, and the viewers receive with. */
    publisherLatencyMs: number;
    viewerLatencyMs: number;
    publisher: { packetsSent: number; packetsRetransmitted: number; packetsSendDropped: number; sendErrors: number };
    /**
     * Summed over viewers: frames of the window that arrived with TS packets missing (not in
     * frames.lost, which counts frames whose start never came), TS continuity gaps, SRT gaps
     * detected, packets skipped as too late, datagrams not sent.
     */
    viewers: { framesDamaged: number; ccErrors: number; packetsLost: number; packetsDropped: number; sendErrors: number };
  };
}

export function reportJson(r: BenchReport): string {
  const round = (v: number) => (!Number.isFinite(v) ? null : Number.isInteger(v) ? v : Math.round(v * 1000) / 1000);
  return JSON.stringify(r, (_k, v) => (typeof v === "number" ? round(v) : v), 2);
}

const num = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

export function reportText(r: BenchReport): string {
  const v = r.viewers;
  const p = r.publisher;
  const f = r.frames;
  const l = r.latencyMs;
  const s = r.settings;
  const lines = [
    `spate bench ${r.mode}  ${r.url}`,
    row("viewers", `${v.requested} requested, ${v.connected} connected, ${v.failed} failed, ${v.dropped} dropped${v.withoutVideo ? `, ${v.withoutVideo} without video` : ""}${s.stalled ? `; plus ${s.stalled} stalled` : ""}`),
    row("window", `${num(r.windowS)} s measured, after ${num(s.rampMs / 1000)} s ramp-up and ${num(s.warmupMs / 1000)} s warm-up${r.aborted ? ` (cut short: ${r.aborted})` : ""}`),
    row("delivered", `${num(r.deliveredMbps)} Mbit/s to all viewers, ${num(r.perViewerMbps, 2)} per viewer (published ${num(p.publishedMbps, 2)})`),
    row("frames", `${f.expected} expected, ${f.received} received, ${f.lost} lost (${num(f.lossPercent, 3)} %)${f.duplicates ? `, ${f.duplicates} duplicates` : ""}${f.unstamped ? `, ${f.unstamped} unstamped` : ""}`),
    row("latency ms", `p50 ${num(l.p50, 2)}  p95 ${num(l.p95, 2)}  p99 ${num(l.p99, 2)}  max ${num(l.max, 2)}  (${l.samples} frames)`),
    row("stalls", `${r.stalls.count} (> 500 ms without a frame) in ${r.stalls.viewers} viewers${r.stalls.count ? `, longest ${num(r.stalls.maxGapMs, 0)} ms` : ""}`),
    row("join ms", `p50 ${num(r.joinMs.p50)}  p99 ${num(r.joinMs.p99)}  max ${num(r.joinMs.max)}  (play to first frame)`),
    row("publisher", `${p.framesInWindow} frames in window, ${p.stalls} stalls (${num(p.stallMs, 0)} ms), ${p.skippedFrames} skipped${p.error ? `; ${p.error}` : ""}`),
    row("cpu", `bench ${num(r.cpu.benchPercent, 0)} % of a core${r.cpu.serverPid !== null ? `, server (pid ${r.cpu.serverPid}) ${num(r.cpu.serverPercent ?? NaN, 0)} % of a core` : ""}`),
  ];
  if (r.srt) {
    const t = r.srt;
    lines.push(row("srt", `latency ${t.latencyMs} ms asked, ${t.publisherLatencyMs} publisher → server, ${num(t.viewerLatencyMs, 0)} server → viewers (both in the latencies above)`));
    lines.push(row("srt pub", `${t.publisher.packetsSent} packets, ${t.publisher.packetsRetransmitted} retransmitted, ${t.publisher.packetsSendDropped} dropped unacknowledged${t.publisher.sendErrors ? `, ${t.publisher.sendErrors} UDP send errors` : ""}`));
    lines.push(row("srt view", `${t.viewers.framesDamaged} frames damaged (TS packets missing), ${t.viewers.ccErrors} TS continuity gaps; SRT ${t.viewers.packetsLost} packets lost (then retransmitted or dropped), ${t.viewers.packetsDropped} dropped too late${t.viewers.sendErrors ? `, ${t.viewers.sendErrors} UDP send errors` : ""}`));
  }
  for (const e of v.errors.slice(0, 5)) lines.push(row("error", `${e.count} x ${e.reason}`));
  if (r.cpu.benchPercent > 90) lines.push(row("note", "the bench used most of a core: its own delays are in the latencies"));
  return lines.join("\n");
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(11)} ${text}`;
}

/** Reasons and their counts, most frequent first. */
export function countReasons(reasons: Iterable<string | null>): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of reasons) if (r) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}
