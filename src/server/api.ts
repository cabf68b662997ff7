import type { PathTable } from "../core/path-table.ts";
import type { Stream } from "../core/stream.ts";
import type { Track } from "../core/track.ts";
import type { WebRtcMetrics } from "../protocols/webrtc/listener.ts";

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
export function metricsText(paths: PathTable, startedMs: number, now: number, webrtc?: WebRtcMetrics): string {
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
  if (webrtc) webrtcMetrics(lines, webrtc);
  return lines.join("\n") + "\n";
}

/** The WebRTC port's counters: read here at scrape time, bumped as plain fields on the hot path. */
function webrtcMetrics(lines: string[], m: WebRtcMetrics): void {
  const l = m.listener;
  const t = m.totals;
  const c = t.session;
  const metric = (name: string, help: string, type: string, values: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`);
  };
  metric("spate_webrtc_sessions", "Live WebRTC sessions, by kind.", "gauge", [['{kind="whip"}', t.sessionsWhip], ['{kind="whep"}', t.sessionsWhep]]);
  metric("spate_webrtc_sessions_total", "WebRTC sessions opened, by kind.", "counter", [['{kind="whip"}', l.whipOpened], ['{kind="whep"}', l.whepOpened]]);
  metric("spate_webrtc_datagrams_received_total", "Datagrams received on the WebRTC UDP port.", "counter", [["", l.datagrams]]);
  metric("spate_webrtc_packets_total", "SRTP/SRTCP packets decrypted (in) and sent (out).", "counter", [
    ['{direction="in",type="rtp"}', c.rtpIn], ['{direction="in",type="rtcp"}', c.rtcpIn],
    ['{direction="out",type="rtp"}', c.rtpOut], ['{direction="out",type="rtcp"}', c.rtcpOut],
  ]);
  metric("spate_webrtc_bytes_total", "Bytes of session datagrams (DTLS, SRTP, SRTCP) received and sent.", "counter", [['{direction="in"}', c.bytesIn], ['{direction="out"}', c.bytesOut]]);
  metric("spate_webrtc_srtp_failures_total", "SRTP/SRTCP packets that failed to unprotect (authentication, replay) or protect.", "counter", [['{op="unprotect"}', c.unprotectFailed], ['{op="protect"}', c.protectFailed]]);
  metric("spate_webrtc_dropped_total", "Datagrams dropped, by reason.", "counter", [
    ['{reason="unknown_address"}', l.unknownAddress], ['{reason="unknown_ufrag"}', l.unknownUfrag], ['{reason="bad_integrity"}', l.badIntegrity],
    ['{reason="malformed_stun"}', l.malformedStun], ['{reason="unknown_kind"}', l.unknownKind], ['{reason="session_not_ready"}', c.dropped],
  ]);
  metric("spate_webrtc_stun_requests_total", "STUN Binding requests received (ICE checks).", "counter", [["", l.stunRequests]]);
  metric("spate_webrtc_stun_answered_total", "ICE checks authenticated and answered.", "counter", [["", l.stunAnswered]]);
  metric("spate_webrtc_ice_restarts_total", "ICE restarts asked for by PATCH (RFC 9725 §4.3.2).", "counter", [["", l.iceRestarts]]);
  metric("spate_webrtc_consent_expired_total", "Sessions closed because ICE checks stopped (RFC 7675), or never came.", "counter", [['{reason="expired"}', l.consentExpired], ['{reason="no_check"}', l.noCheck]]);
  metric("spate_webrtc_dtls_handshakes_total", "DTLS handshakes completed.", "counter", [["", c.dtlsConnected]]);
  metric("spate_webrtc_dtls_failures_total", "DTLS handshakes that failed.", "counter", [["", c.dtlsFailed]]);
  metric("spate_webrtc_nack_packets_total", "Packets named by NACKs: received from viewers and answered from the history or missed, and asked of publishers.", "counter", [
    ['{event="received"}', t.nacksAnswered + t.nacksMissed], ['{event="answered"}', t.nacksAnswered], ['{event="missed"}', t.nacksMissed], ['{event="sent"}', t.nacksSent],
  ]);
  metric("spate_webrtc_plis_sent_total", "PLIs sent to WHIP publishers.", "counter", [["", t.plisSent]]);
  metric("spate_webrtc_keyframe_requests_total", "Keyframe requests of WHEP viewers (PLI, FIR, or a join mid-GOP).", "counter", [["", t.keyframeRequests]]);
  metric("spate_webrtc_send_dropped_total", "Datagrams the kernel did not take.", "counter", [["", m.sendDropped]]);
}
