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
import { clusterResponse } from "../cluster/api.ts";
import { createRegistry, nodeIdentity } from "../cluster/node.ts";
import type { NodeIdentity, Registry } from "../cluster/registry.ts";
import { relayJson, relayMetricsText } from "../cluster/relay-metrics.ts";
import { ClusterPathTable } from "../cluster/relay-paths.ts";
import { RelaySource } from "../cluster/relay-source.ts";
import { RelayServer, type RelayConn } from "../protocols/relay/listener.ts";
import type { WebSocketHandler } from "bun";
import { metricsText, sampleRates, streamJson } from "./api.ts";
import type { Config } from "./config.ts";
import { handlePlayer } from "./player.ts";

export interface RunningServer {
  ports: { http: number; rtmp: number; rtmps?: number; srt?: number; webrtc?: number };
  paths: PathTable;
  stop(): Promise<void>;
}

const SAMPLE_MS = 1000;

export interface ServerDeps {
  /** The registry to use instead of the one config.cluster.registry names (tests: several nodes in one process). */
  registry?: (identity: NodeIdentity) => Registry;
}

/** The composition root: the path table, the listeners and the HTTP routes. */
export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  if (config.log.format !== "auto") configureLog({ json: config.log.format === "json" });
  configureLog({ level: config.log.level });
  const startedMs = wallMs();
  // Rings keep what a viewer may lag behind before it is skipped, plus a second of margin.
  const sources: SourceProvider[] = [];
  const pathOpts = { ...config.streams, retainMs: config.streams.maxViewerLagMs + 1000, sources };
  // A cluster (a shared registry) relays; a single node (the default) runs nothing of it.
  const clustered = config.cluster.registry !== "memory" || deps.registry !== undefined;
  const paths = clustered ? new ClusterPathTable({ ...pathOpts, sourceLingerMs: config.cluster.relayLingerMs }) : new PathTable(pathOpts);
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

  const relayServer = clustered
    ? new RelayServer(
        paths,
        {
          nodeId: config.node.id,
          secret: config.cluster.secret,
          maxViewerLagMs: config.streams.maxViewerLagMs,
          viewerDropMs: config.streams.viewerDropMs,
          hopsOf: (path) => registry?.held().get(path)?.hops ?? 255,
          pullsFrom: (path, node) => relaySource?.upstreamOf(path) === node,
        },
        log.child("relay"),
      )
    : null;
  let registry: Registry | null = null;
  let relaySource: RelaySource | null = null;

  const http = Bun.serve({
    hostname: config.http.host,
    port: config.http.port,
    // LL-HLS blocking requests wait up to three target durations with no byte on the socket.
    idleTimeout: 120,
    routes: {
      "/healthz": new Response("ok\n"),
      "/time": (req) => (req.method === "OPTIONS" ? preflight(req) : timeResponse(req)),
      "/metrics": () => new Response(metricsText(paths, startedMs, wallMs(), webrtc.metrics()) + (relaySource && relayServer ? relayMetricsText(paths, relaySource, relayServer) : ""), { headers: { "content-type": "text/plain; version=0.0.4" } }),
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
          ...(relaySource && relayServer ? { relay: relayJson(relaySource, relayServer) } : {}),
        }),
      "/api/v1/cluster": () => (registry ? clusterResponse(registry) : json({ clustered: false, node: config.node })),
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
    // Only a cluster node upgrades (relay pulls); undefined is what Bun gets without the option.
    websocket: relayServer?.websocket as WebSocketHandler<RelayConn>,
    fetch: (req, server) => {
      if (relayServer) {
        const r = relayServer.route(req, server);
        if (r !== null) return r;
      }
      return mediaRoute(req) ?? webrtcHttp.route(req) ?? handlePlayer(req, (p) => segmenters.resolve(p) !== null) ?? notFound("route");
    },
    error: (e) => {
      log.error("http handler failed", { error: String(e?.stack ?? e) });
      return json({ error: "internal error" }, 500);
    },
  });
  ports.http = http.port ?? 0;

  if (clustered && paths instanceof ClusterPathTable) {
    const identity = nodeIdentity(config, ports.http);
    registry = deps.registry ? deps.registry(identity) : createRegistry(config, identity);
    relaySource = new RelaySource(paths, registry, { secret: config.cluster.secret, excludeMs: config.cluster.leaseMs + 1000 }, log.child("relay"));
    sources.push(relaySource);
    paths.log = log.child("cluster");
    paths.registry = registry;
  }

  let lastSample = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    sampleRates(paths, now - lastSample);
    lastSample = now;
    if (registry) {
      let readers = 0;
      for (const s of paths.streams.values()) readers += s.readerCount;
      registry.setLoad(readers);
    }
  }, SAMPLE_MS);
  sampler.unref();

  return {
    ports,
    paths,
    async stop() {
      clearInterval(sampler);
      relaySource?.stop();
      await registry?.close().catch((e) => log.warn("registry close failed", { error: String(e) }));
      relayServer?.stop();
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
