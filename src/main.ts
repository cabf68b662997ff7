#!/usr/bin/env bun
/**
 * The `spate` command: `serve`, `bench`, `help`, `--version`. Exit codes: 0 ok, 1 runtime failure,
 * 2 bad usage or configuration.
 */
import type { RunningServer } from "./server/server.ts";
import pkg from "../package.json" with { type: "json" };
import { configureLog, log } from "./core/log.ts";
import { ConfigError, configOptions, loadConfig, type Config, type ConfigOption } from "./server/config.ts";

const STOP_TIMEOUT_MS = 10_000;

const USAGE = `spate ${pkg.version}: sub-second live video server (RTMP/RTMPS, SRT, WebRTC in; WebRTC, SRT, RTMP, LL-HLS, LL-DASH out)

Usage:
  spate serve [flags]       run the server; the defaults need no config file
  spate bench <mode> ...    load generator and latency profiler (spate bench --help)
  spate --version           print the version
  spate help                this page (also: spate --help, spate serve --help)`;

const QUICK_START = `Try it:
  spate serve
  publish a test picture with ffmpeg:
    ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440 \\
      -c:v libx264 -preset veryfast -tune zerolatency -g 60 -c:a aac -f flv rtmp://localhost:1935/live/cam1
  or from OBS: Settings > Stream > Service "Custom", Server rtmp://localhost:1935/live, Stream Key cam1
  play it back:
    ffplay -fflags nobuffer rtmp://localhost:1935/live/cam1
  see what is live: curl http://localhost:8080/api/v1/streams

A stream is named by a path (live/cam1). URLs, with the default ports:
  protocol  publish                                          read
  RTMP      rtmp://HOST:1935/live/cam1                       the same URL
  RTMPS     rtmps://HOST:1936/live/cam1 (with rtmps.cert)    the same URL
  SRT       srt://HOST:9000?streamid=publish:live/cam1       srt://HOST:9000?streamid=read:live/cam1
            (or streamid=#!::r=live/cam1,m=publish)          (or streamid=#!::r=live/cam1,m=request)
  WebRTC    POST http://HOST:8080/live/cam1/whip (WHIP)      POST http://HOST:8080/live/cam1/whep (WHEP)
  LL-HLS    -                                                http://HOST:8080/live/cam1/index.m3u8
  DASH      -                                                http://HOST:8080/live/cam1/index.mpd
  player    -                                                http://HOST:8080/live/cam1/
  WebRTC media of every WHIP/WHEP session on UDP 8189 (ICE-lite; --webrtc-public-address behind NAT)
  API http://HOST:8080/api/v1/   metrics /metrics   liveness /healthz

On start, serve prints one JSON line with the ports it listens on (useful with port 0):
  {"event":"listening","http":8080,"rtmp":1935,"srt":9000,"webrtc":8189}`;

export function helpText(): string {
  const lines = [USAGE, "", QUICK_START, "", "Serve flags. Each flag has an environment variable; precedence: defaults < config file < env < flags."];
  lines.push(`    ${"--config <file>".padEnd(36)} SPATE_CONFIG`, "        a JSON or YAML file with the sections below (keys in camelCase, e.g. rtmp: { chunkSize: 8192 })");
  let section = "";
  for (const o of configOptions()) {
    if (o.section !== section) {
      section = o.section;
      lines.push("", `  ${section}:`);
    }
    if (o.kind === "record") {
      lines.push(`    ${o.path} (config file only)`, `        ${o.description}`);
      continue;
    }
    const dflt = o.default === undefined ? "" : `default ${typeof o.default === "string" ? JSON.stringify(o.default) : o.default}`;
    lines.push(`    ${`${o.flag}${valueHint(o)}`.padEnd(36)} ${o.env.padEnd(34)} ${dflt}`.trimEnd(), `        ${o.description}`);
  }
  lines.push("", "  Booleans also take --no-<flag> and true/false, yes/no, on/off, 1/0 as values.");
  return lines.join("\n");
}

function valueHint(o: ConfigOption): string {
  if (o.kind === "boolean") return "";
  if (o.kind === "enum") return ` <${o.choices!.join("|")}>`;
  if (o.kind === "number") return o.key === "port" ? " <port>" : o.key.endsWith("Ms") ? " <ms>" : o.key.endsWith("Bytes") ? " <bytes>" : " <n>";
  return o.key === "host" ? " <host>" : o.key === "cert" || o.key === "key" ? " <file>" : " <text>";
}

async function serve(argv: string[]): Promise<number> {
  const config = loadConfig({ argv, env: process.env, cwd: process.cwd() });
  configureLog({ level: config.log.level, json: config.log.format === "auto" ? undefined : config.log.format === "json" });

  let server: RunningServer | undefined;
  let stopping: string | undefined;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn("second signal, exiting now", { signal });
      process.exit(1);
    }
    stopping = signal;
    if (!server) return; // still starting: stopped as soon as startServer resolves
    log.info("stopping", { signal });
    setTimeout(() => {
      log.error("stop timed out", { timeoutMs: STOP_TIMEOUT_MS });
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    try {
      await server.stop();
    } catch (e) {
      log.error("stop failed", { error: String(e) });
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  // Loaded on demand (literal paths, so `bun build --compile` bundles them): help stays instant.
  const { startServer } = await import("./server/server.ts");
  server = await startServer(config);
  const ports: Record<string, number> = {};
  for (const [name, p] of Object.entries(server.ports)) if (typeof p === "number") ports[name] = p;
  process.stdout.write(JSON.stringify({ event: "listening", ...ports }) + "\n");
  if (stopping) await stop(stopping);
  return new Promise<number>(() => {}); // runs until a signal
}

async function bench(argv: string[]): Promise<number> {
  const mod = await import("./bench/cli.ts");
  const code = await mod.runBench(argv);
  return typeof code === "number" ? code : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      if (rest[0] === "bench") return bench(["--help"]);
      process.stdout.write(helpText() + "\n");
      return 0;
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`spate ${pkg.version}\n`);
      return 0;
    case "serve":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(helpText() + "\n");
        return 0;
      }
      return serve(rest);
    case "bench":
      return bench(rest);
    default: {
      const hint = command.startsWith("-") ? ` (flags go after a command: spate serve ${command} ...)` : "";
      process.stderr.write(`spate: unknown command ${JSON.stringify(command)}${hint}; see spate --help\n`);
      return 2;
    }
  }
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + "\n");
      process.exit(2);
    }
    // A system error (EADDRINUSE, EACCES) is the user's to fix: its message says enough.
    const systemError = e instanceof Error && typeof (e as { code?: unknown }).code === "string";
    process.stderr.write(`spate: ${e instanceof Error ? (systemError ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
    process.exit(1);
  }
}
