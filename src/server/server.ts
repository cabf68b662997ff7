import pkg from "../../package.json" with { type: "json" };
import { wallMs } from "../core/errors.ts";
import { configureLog, log } from "../core/log.ts";
import { isValidPath, PathTable, type SourceProvider } from "../core/path-table.ts";
import { failure, preflight } from "../protocols/cmaf/http.ts";
import { Segmenters } from "../protocols/cmaf/segmenters.ts";
import { DashEgress, isDashFile, timeResponse } from "../protocols/dash/egress.ts";
import { HlsEgress, isHlsFile } from "../protocols/hls/egress.ts";
import { SrtListener } from "../protocols/srt/listener.ts";
import { RtmpListener } from "../protocols/rtmp/listener.ts";
import { serverDtlsCertificate } from "../protocols/webrtc/dtls/certificate.ts";
import { startWhep } from "../protocols/webrtc/egress.ts";
import { WebRtcHttp } from "../protocols/webrtc/http.ts";
import { WhipIngest } from "../protocols/webrtc/ingest.ts";
import { WebRtcListener } from "../protocols/webrtc/listener.ts";
import type { Stream } from "../core/stream.ts";
import { metricsText, sampleRates, streamJson } from "./api.ts";
import type { Config } from "./config.ts";
import { handlePlayer } from "./player.ts";

export interface RunningServer {
  ports: { http: number; rtmp: number; rtmps?: number; srt?: number; webrtc?: number };
  paths: PathTable;
  stop(): Promise<void>;
}

const SAMPLE_MS = 1000;

/** The composition root: the path table, the listeners and the HTTP routes. */
export async function startServer(config: Config): Promise<RunningServer> {
  if (config.log.format !== "auto") configureLog({ json: config.log.format === "json" });
  configureLog({ level: config.log.level });
  const startedMs = wallMs();
  // Rings keep what a viewer may lag behind before it is skipped, plus a second of margin.
  const sources: SourceProvider[] = [];
  const paths = new PathTable({ ...config.streams, retainMs: config.streams.maxViewerLagMs + 1000, sources });
  const rtmpOpts = {
    chunkSize: config.rtmp.chunkSize,
    maxViewerLagMs: config.streams.maxViewerLagMs,
    viewerDropMs: config.streams.viewerDropMs,
    maxSkips: config.streams.maxSkips,
  };
  const rtmp = new RtmpListener(paths, { ...rtmpOpts, protocol: "rtmp", host: config.rtmp.host, port: config.rtmp.port }, log.child("rtmp"));
  rtmp.start();
  let rtmps: RtmpListener | null = null;
  if (config.rtmps.cert && config.rtmps.key) {
    rtmps = new RtmpListener(
      paths,
      { ...rtmpOpts, protocol: "rtmps", host: config.rtmps.host, port: config.rtmps.port, tls: { cert: config.rtmps.cert, key: config.rtmps.key } },
      log.child("rtmps"),
    );
    rtmps.start();
  }

  const srt = new SrtListener(paths, config.srt, log.child("srt"));
  await srt.listen();
  sources.push(srt);

  const ports: RunningServer["ports"] = { http: 0, rtmp: rtmp.port };
  if (rtmps) ports.rtmps = rtmps.port;
  ports.srt = srt.port;

  // WebRTC: one UDP port for every WHIP and WHEP session; the DTLS certificate made once, up front.
  const webrtc = new WebRtcListener(
    { host: config.webrtc.host, port: config.webrtc.port, socketBufferBytes: config.webrtc.socketBufferBytes, consentTimeoutMs: config.webrtc.consentTimeoutMs },
    log.child("webrtc"),
  );
  await webrtc.listen();
  await serverDtlsCertificate();
  ports.webrtc = webrtc.port;
  const webrtcHttp = new WebRtcHttp({
    listener: webrtc,
    certificate: serverDtlsCertificate,
    host: config.webrtc.host,
    publicAddress: config.webrtc.publicAddress,
    startWhip: (session, n) => void new WhipIngest(session, n.media, paths, () => webrtc.now(), config.webrtc.keyframeIntervalMs),
    startWhep: startWhep(paths),
  });

  // LL-HLS and DASH: one CMAF segmenter per watched stream, two front ends.
  const segmenters = new Segmenters({ ...config.hls }, paths);
  const hls = new HlsEgress(segmenters);
  const dash = new DashEgress(segmenters, config.dash);
  const withCmaf = (s: Stream, now: number) => ({ ...streamJson(s, now), cmaf: segmenters.stats(s) });

  const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { "cache-control": "no-store" } });
  const notFound = (what: string) => json({ error: `${what} not found` }, 404);
  const streamPath = (url: string) => decodeURIComponent(new URL(url).pathname.slice("/api/v1/streams/".length)).replace(/\/+$/, "");

  /**
   * `/{stream path}/{file}` for the LL-HLS and DASH files (CMAF_URLS); null for anything else, such
   * as `/{path}/` (the player page) or an unknown file name (404).
   */
  const mediaRoute = (req: Request): Response | Promise<Response> | null => {
    const url = new URL(req.url);
    const p = url.pathname;
    const slash = p.lastIndexOf("/");
    if (slash <= 1 || slash === p.length - 1) return null;
    const file = p.slice(slash + 1);
    const kind = isHlsFile(file) ? hls : isDashFile(file) ? dash : null;
    if (!kind) return null;
    if (req.method === "OPTIONS") return preflight(req);
    if (req.method !== "GET" && req.method !== "HEAD") return failure(req, 405, `${req.method} not allowed`, { allow: "GET, HEAD, OPTIONS" });
    let path: string;
    try {
      path = decodeURIComponent(p.slice(1, slash));
    } catch {
      return failure(req, 400, "bad path encoding");
    }
    return kind.handle(req, path, file, url);
  };

  const http = Bun.serve({
    hostname: config.http.host,
    port: config.http.port,
    // LL-HLS blocking requests wait up to three target durations with no byte on the socket.
    idleTimeout: 120,
    routes: {
      "/healthz": new Response("ok\n"),
      "/time": (req) => (req.method === "OPTIONS" ? preflight(req) : timeResponse(req)),
      "/metrics": () => new Response(metricsText(paths, startedMs, wallMs(), webrtc.metrics()), { headers: { "content-type": "text/plain; version=0.0.4" } }),
      "/api/v1/server": () =>
        json({
          name: "spate",
          version: pkg.version,
          node: config.node,
          ports,
          startedAt: new Date(startedMs).toISOString(),
          uptimeMs: Math.round(wallMs() - startedMs),
          streams: paths.streams.size,
          connections: { rtmp: rtmp.sessions.size + (rtmps?.sessions.size ?? 0), srt: srt.connections.size },
          webrtc: webrtc.stats(),
          segmenters: segmenters.count,
          segmentersStarted: segmenters.started,
          http: { hls: hls.counts, dash: dash.counts },
        }),
      "/api/v1/streams": () => {
        const now = wallMs();
        return json({ streams: [...paths.streams.values()].map((s) => withCmaf(s, now)) });
      },
      "/api/v1/streams/*": {
        GET: (req) => {
          const s = paths.get(streamPath(req.url));
          return s ? json(withCmaf(s, wallMs())) : notFound("stream");
        },
        DELETE: (req) => {
          const path = streamPath(req.url);
          if (!isValidPath(path)) return json({ error: `bad stream path ${JSON.stringify(path)}` }, 400);
          const s = paths.get(path);
          if (!s?.publisher) return notFound("publisher of stream");
          s.publisher.close("ended through the API");
          return new Response(null, { status: 204 });
        },
      },
    },
    fetch: (req) => mediaRoute(req) ?? webrtcHttp.route(req) ?? handlePlayer(req, (p) => segmenters.resolve(p) !== null) ?? notFound("route"),
    error: (e) => {
      log.error("http handler failed", { error: String(e?.stack ?? e) });
      return json({ error: "internal error" }, 500);
    },
  });
  ports.http = http.port ?? 0;

  let lastSample = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    sampleRates(paths, now - lastSample);
    lastSample = now;
  }, SAMPLE_MS);
  sampler.unref();

  return {
    ports,
    paths,
    async stop() {
      clearInterval(sampler);
      segmenters.close();
      rtmp.stop();
      srt.stop();
      webrtc.stop();
      rtmps?.stop();
      paths.close();
      await http.stop(true);
    },
  };
}
