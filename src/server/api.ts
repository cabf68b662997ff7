import type { PathTable } from "../core/path-table.ts";
import type { Stream } from "../core/stream.ts";
import type { Track } from "../core/track.ts";

/** The JSON of one stream, for /api/v1/streams. */
export function streamJson(s: Stream, now: number) {
  return {
    path: s.path,
    state: s.state,
    uptimeMs: Math.round(now - s.createdMs),
    liveMs: s.state === "live" ? Math.round(now - s.liveSinceMs) : 0,
    publisher: s.publisher
      ? { protocol: s.publisher.protocol, remoteAddress: s.publisher.remoteAddress, ...(s.publisher.stats ? { stats: s.publisher.stats() } : {}) }
      : null,
    tracks: s.tracks.filter(Boolean).map(trackJson),
    readers: Object.fromEntries(s.readers),
    readerCount: s.readerCount,
    writers: s.writerFormats,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    droppedViewers: s.droppedViewers,
    viewerSkips: s.viewerSkips,
    ring: { frames: s.ring.head - s.ring.tail, bytes: s.ring.buf.length, evicted: s.ring.evicted, grown: s.ring.grown },
  };
}

function trackJson(t: Track) {
  return {
    id: t.id,
    kind: t.kind,
    codec: t.codec,
    codecString: t.info.codecString ?? null,
    ...(t.kind === "video"
      ? { width: t.info.width ?? null, height: t.info.height ?? null, frameRate: t.info.frameRate ?? round1(t.measuredFps) }
      : { sampleRate: t.info.sampleRate ?? t.clockRate, channels: t.info.channels ?? null }),
    bitrate: Math.round(t.bitrate),
    frames: t.frames,
    bytes: t.bytes,
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Once a second: measured bitrate and frame rate per track (never computed per frame). */
export function sampleRates(paths: PathTable, dtMs: number): void {
  for (const s of paths.streams.values()) {
    let bitrate = 0;
    for (const t of s.tracks) {
      if (!t) continue;
      t.bitrate = ((t.bytes - t.sampledBytes) * 8 * 1000) / dtMs;
      t.measuredFps = ((t.frames - t.sampledFrames) * 1000) / dtMs;
      t.sampledBytes = t.bytes;
      t.sampledFrames = t.frames;
      bitrate += t.bitrate;
    }
    s.bitrate = bitrate;
  }
}

/** Prometheus text exposition of the counters. */
export function metricsText(paths: PathTable, startedMs: number, now: number): string {
  const lines = [
    "# HELP spate_uptime_seconds Seconds since the server started.",
    "# TYPE spate_uptime_seconds gauge",
    `spate_uptime_seconds ${((now - startedMs) / 1000).toFixed(1)}`,
    "# HELP spate_streams Streams known, by state.",
    "# TYPE spate_streams gauge",
  ];
  const states: Record<string, number> = { idle: 0, live: 0, waiting: 0 };
  for (const s of paths.streams.values()) states[s.state] = (states[s.state] ?? 0) + 1;
  for (const [k, v] of Object.entries(states)) lines.push(`spate_streams{state="${k}"} ${v}`);
  const per = (name: string, help: string, type: string, get: (s: Stream) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of paths.streams.values()) lines.push(`${name}{path="${s.path}"} ${get(s)}`);
  };
  per("spate_stream_bytes_in_total", "Payload bytes received from the publisher.", "counter", (s) => s.bytesIn);
  per("spate_stream_bytes_out_total", "Bytes sent to readers.", "counter", (s) => s.bytesOut);
  per("spate_stream_readers", "Readers attached.", "gauge", (s) => s.readerCount);
  per("spate_stream_dropped_viewers_total", "Viewers disconnected for being too slow.", "counter", (s) => s.droppedViewers);
  per("spate_stream_viewer_skips_total", "Times a lagging viewer skipped to the newest keyframe.", "counter", (s) => s.viewerSkips);
  return lines.join("\n") + "\n";
}
