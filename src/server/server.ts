import pkg from "../../package.json" with { type: "json" };
import { wallMs } from "../core/errors.ts";
import { configureLog, log } from "../core/log.ts";
import { isValidPath, PathTable, type SourceProvider } from "../core/path-table.ts";
import { SrtListener } from "../protocols/srt/listener.ts";
import { RtmpListener } from "../protocols/rtmp/listener.ts";
import { metricsText, sampleRates, streamJson } from "./api.ts";
import type { Config } from "./config.ts";

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

  const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { "cache-control": "no-store" } });
  const notFound = (what: string) => json({ error: `${what} not found` }, 404);
  const streamPath = (url: string) => decodeURIComponent(new URL(url).pathname.slice("/api/v1/streams/".length)).replace(/\/+$/, "");

  const http = Bun.serve({
    hostname: config.http.host,
    port: config.http.port,
    routes: {
      "/healthz": new Response("ok\n"),
      "/metrics": () => new Response(metricsText(paths, startedMs, wallMs()), { headers: { "content-type": "text/plain; version=0.0.4" } }),
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
        }),
      "/api/v1/streams": () => {
        const now = wallMs();
        return json({ streams: [...paths.streams.values()].map((s) => streamJson(s, now)) });
      },
      "/api/v1/streams/*": {
        GET: (req) => {
          const s = paths.get(streamPath(req.url));
          return s ? json(streamJson(s, wallMs())) : notFound("stream");
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
    fetch: () => notFound("route"),
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
      rtmp.stop();
      srt.stop();
      rtmps?.stop();
      paths.close();
      await http.stop(true);
    },
  };
}
