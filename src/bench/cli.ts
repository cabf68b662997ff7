/**
 * `spate bench <mode> ...`: the load generator and latency profiler. Exit codes: 0 a measurement
 * was made (loss and stalls are results, not failures), 1 nothing could be measured (the publisher
 * or every viewer failed to connect), 2 bad usage.
 */
import { existsSync } from "node:fs";
import { type BenchReport, reportJson, reportText } from "./report.ts";
import { parseRtmpUrl, runRtmpBench } from "./rtmp.ts";
import { BenchError } from "./run.ts";
import { DEFAULT_SRT_LATENCY_MS, parseSrtUrl, runSrtBench } from "./srt.ts";
import { type HlsBenchReport, hlsReportText, parseHlsUrl, runHlsBench } from "./hls.ts";
import { parseWhepUrl, runWebrtcBench, type WebrtcBenchReport, webrtcReportText } from "./webrtc.ts";
import { benchRelay } from "./relay-cli.ts";
import { RELAY_USAGE } from "./relay.ts";

const USAGE = `spate bench: load generator and latency profiler

Usage:
  spate bench rtmp --url URL --viewers N --duration S [flags]
  spate bench srt --url URL --viewers N --duration S [flags]
  spate bench hls --url URL --viewers N --duration S [flags]
  spate bench webrtc --url URL --viewers N --duration S [flags]
  spate bench relay [--hops 1,2,3] [--duration S] [flags]

Modes:
  rtmp    one publisher sends a synthetic 1280x720 H.264 + AAC stream to URL, N viewers play it
          back; every video frame carries its send time and a sequence number, so each viewer
          measures latency, loss, stalls and join time
  srt     the same stream as MPEG-TS over SRT: one caller publishes it with stream id
          publish:PATH, N callers read it with read:PATH (against a server on 127.x, the
          readers share a few UDP sockets, each reader from its own 127.0.0.x address)
  hls     the stream is published over RTMP; N LL-HLS clients each keep a blocking playlist
          reload and a request for the hinted part in flight, as a low-latency player does, and
          read the stamps out of the parts: latency behind live, request rates
  webrtc  the stream is published over RTMP; N WHEP viewers in this process (ICE checks, DTLS
          client, SRTP decrypt, H.264 depacketizer) play its video (the AAC track cannot go to
          WebRTC) and read the stamps out of the frames; also DTLS handshakes, SRTP
          authentication failures, RTP packets received and lost
${RELAY_USAGE}

Flags (rtmp):
  --url URL         rtmp://host:port/app/key to publish to and play from (required)
  --viewers N       viewers to connect (required; 0 measures the publisher alone)
  --duration S      seconds to measure, after ramp-up and warm-up (required)
  --pid PID         also report this process's CPU over the measured window (the server's)
  --bitrate MBPS    total stream bitrate in Mbit/s (default 2.5)
  --fps N           video frames per second (default 30)
  --gop S           seconds between keyframes; a keyframe is ~5x a delta frame (default 2)
  --ramp-ms MS      spread the viewers' connects over this long (default 2000)
  --stalled K       also open K viewers that stop reading after 1 s and stay (their TCP window
                    closed): compare the other viewers' latency with and without them
  --json            print the report as JSON instead of a table
  -h, --help        this page

Flags (srt): --viewers, --duration, --pid, --bitrate, --fps, --gop, --ramp-ms and --json as
above, and
  --url URL         srt://host:port?streamid=ID; PATH is the path in ID, which may be
                    publish:PATH, read:PATH or #!::r=PATH,m=publish (the URL may also give
                    latency=MS and passphrase=P)
  --path PATH       the stream path, instead of the URL's streamid
  --latency-ms MS   SRT latency (TSBPD) every caller asks for; the larger of ours and the
                    server's is used (default ${DEFAULT_SRT_LATENCY_MS})
  --passphrase P    encrypt (AES-128) with this passphrase, 10 to 79 characters

Flags (hls): --viewers, --duration, --pid, --bitrate, --fps, --gop, --ramp-ms and --json as
above, and
  --url URL         the stream's LL-HLS URL: http://host:8080/PATH/ (or .../index.m3u8)
  --publish URL     where the synthetic stream is published (default rtmp://HOST:1935/PATH)

Flags (webrtc): the same as hls, and
  --url URL         the stream's WHEP endpoint: http://host:8080/PATH/whep
  --publish URL     where the synthetic stream is published (default rtmp://HOST:1935/PATH)
Each viewer's DTLS handshake (werift, in this process) takes the bench's CPU for a while: for
hundreds of viewers ramp over several seconds (--ramp-ms 10000), or the viewers already playing
miss packets that the kernel drops from their full receive buffers (shown in the webrtc row).

SRT hands a payload to the reader at its play time: send time + the SRT latency. The latency
reported in srt mode is that hand-out time minus the stamped send time, as is: it includes the SRT
latency of both hops (publisher → server and server → viewer) and the server's demuxing (a video
frame is complete when the next one starts, one frame interval). Delivered and published bytes
are MPEG-TS bytes. Loss is missing frame sequence numbers after the warm-up; a frame that arrived
with TS packets missing after its stamp (a continuity gap) is counted as damaged in the srt rows,
with the SRT packet counters of all sessions.

The run takes ramp-up + 2 s warm-up + duration + 1 s for frames in flight. Latency is arrival time
minus the stamped send time (one machine: the clocks are the same); a stall is more than 500 ms
between two frames of one viewer; join time is from play sent to the first frame. CPU is % of one
core. Progress goes to stderr, the report to stdout. Ctrl-C ends the window early and reports.

Examples:
  spate serve &
  spate bench rtmp --url rtmp://127.0.0.1:1935/live/bench --viewers 100 --duration 20 --pid $(pgrep -f "spate serve")
  spate bench srt --url "srt://127.0.0.1:9000?streamid=publish:live/bench" --viewers 100 --duration 20 --pid $(pgrep -f "spate serve")
  spate bench hls --url http://127.0.0.1:8080/live/bench/ --viewers 1000 --duration 20 --pid $(pgrep -f "spate serve")
  spate bench webrtc --url http://127.0.0.1:8080/live/bench/whep --viewers 100 --duration 20 --pid $(pgrep -f "spate serve")`;

/** Usage errors: exit code 2. */
export class UsageError extends Error {}

interface FlagSpec {
  kind: "string" | "number" | "integer" | "boolean";
  min?: number;
  /** The minimum itself is not allowed. */
  above?: boolean;
  max?: number;
}

const RTMP_FLAGS: Record<string, FlagSpec> = {
  url: { kind: "string" },
  viewers: { kind: "integer", min: 0, max: 100_000 },
  duration: { kind: "number", min: 0, above: true },
  pid: { kind: "integer", min: 1 },
  bitrate: { kind: "number", min: 0, above: true, max: 1000 },
  fps: { kind: "number", min: 1, max: 240 },
  gop: { kind: "number", min: 0, above: true, max: 60 },
  "ramp-ms": { kind: "integer", min: 0, max: 3_600_000 },
  stalled: { kind: "integer", min: 0, max: 10_000 },
  json: { kind: "boolean" },
};

const SRT_FLAGS: Record<string, FlagSpec> = {
  url: { kind: "string" },
  path: { kind: "string" },
  viewers: RTMP_FLAGS.viewers!,
  duration: RTMP_FLAGS.duration!,
  pid: RTMP_FLAGS.pid!,
  bitrate: RTMP_FLAGS.bitrate!,
  fps: RTMP_FLAGS.fps!,
  gop: RTMP_FLAGS.gop!,
  "ramp-ms": RTMP_FLAGS["ramp-ms"]!,
  "latency-ms": { kind: "integer", min: 0, max: 60_000 },
  passphrase: { kind: "string" },
  json: { kind: "boolean" },
};

const HLS_FLAGS: Record<string, FlagSpec> = {
  url: { kind: "string" },
  publish: { kind: "string" },
  viewers: RTMP_FLAGS.viewers!,
  duration: RTMP_FLAGS.duration!,
  pid: RTMP_FLAGS.pid!,
  bitrate: RTMP_FLAGS.bitrate!,
  fps: RTMP_FLAGS.fps!,
  gop: RTMP_FLAGS.gop!,
  "ramp-ms": RTMP_FLAGS["ramp-ms"]!,
  json: { kind: "boolean" },
};

export type ParsedFlags = Record<string, string | number | boolean>;

/** `--name value`, `--name=value`, booleans bare; every value checked against its spec. */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown flag --${name}`);
    if (spec.kind === "boolean") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i]!;
    }
    out[name] = spec.kind === "string" ? value : checkNumber(name, value, spec);
  }
  return out;
}

function checkNumber(name: string, text: string, spec: FlagSpec): number {
  const v = text.trim() === "" ? NaN : Number(text);
  const what = spec.kind === "integer" ? "an integer" : "a number";
  const range = [spec.min !== undefined ? `${spec.above ? ">" : ">="} ${spec.min}` : "", spec.max !== undefined ? `<= ${spec.max}` : ""].filter(Boolean).join(" and ");
  const bad =
    !Number.isFinite(v) ||
    (spec.kind === "integer" && !Number.isInteger(v)) ||
    (spec.min !== undefined && (spec.above ? v <= spec.min : v < spec.min)) ||
    (spec.max !== undefined && v > spec.max);
  if (bad) throw new UsageError(`--${name} must be ${what}${range ? ` ${range}` : ""}, got ${JSON.stringify(text)}`);
  return v;
}

export function usageText(): string {
  return USAGE;
}

/** Where the CLI writes: the report and help to `out`, progress and errors to `err`. */
export interface BenchIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: BenchIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Entry point from src/main.ts: `argv` is what follows `spate bench`. Returns the exit code. */
export async function runBench(argv: string[], io: BenchIo = PROCESS_IO): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === "--help" || mode === "-h" || mode === "help" || rest.includes("--help") || rest.includes("-h")) {
    io.out(USAGE + "\n");
    return 0;
  }
  try {
    switch (mode) {
      case "rtmp":
        return await benchRtmp(rest, io);
      case "srt":
        return await benchSrt(rest, io);
      case "hls":
        return await benchHls(rest, io);
      case "webrtc":
        return await benchWebrtc(rest, io);
      case "relay":
        return await benchRelay(rest, io);
      case undefined:
        throw new UsageError("missing mode");
      default:
        throw new UsageError(`unknown mode ${JSON.stringify(mode)} (modes: rtmp, srt, hls, webrtc, relay)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`spate bench${mode && !mode.startsWith("-") ? ` ${mode}` : ""}: ${e.message}; see spate bench --help\n`);
      return 2;
    }
    throw e;
  }
}

/** Flags every mode shares, checked: required ones present, --pid names a process. */
function commonFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const f = parseFlags(argv, specs);
  for (const required of ["url", "viewers", "duration"]) if (f[required] === undefined) throw new UsageError(`--${required} is required`);
  const pid = f.pid as number | undefined;
  if (pid !== undefined && !existsSync(`/proc/${pid}/stat`)) throw new UsageError(`--pid ${pid}: no such process`);
  return f;
}

function streamFlags(f: ParsedFlags) {
  return {
    url: f.url as string,
    viewers: f.viewers as number,
    durationS: f.duration as number,
    pid: f.pid as number | undefined,
    bitrateMbps: (f.bitrate as number | undefined) ?? 2.5,
    fps: (f.fps as number | undefined) ?? 30,
    gopS: (f.gop as number | undefined) ?? 2,
    rampMs: (f["ramp-ms"] as number | undefined) ?? 2000,
  };
}

async function benchRtmp(argv: string[], io: BenchIo): Promise<number> {
  const f = commonFlags(argv, RTMP_FLAGS);
  try {
    parseRtmpUrl(f.url as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return run("rtmp", f, io, (progress, signal) => runRtmpBench({ ...streamFlags(f), stalled: (f.stalled as number | undefined) ?? 0, progress, signal }));
}

async function benchSrt(argv: string[], io: BenchIo): Promise<number> {
  const f = commonFlags(argv, SRT_FLAGS);
  const path = f.path as string | undefined;
  const passphrase = f.passphrase as string | undefined;
  try {
    parseSrtUrl(f.url as string, path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (passphrase !== undefined && (passphrase.length < 10 || passphrase.length > 79)) throw new UsageError("--passphrase must have 10 to 79 characters");
  const latencyMs = f["latency-ms"] as number | undefined;
  return run("srt", f, io, (progress, signal) => runSrtBench({ ...streamFlags(f), path, latencyMs, passphrase, progress, signal }));
}

async function benchHls(argv: string[], io: BenchIo): Promise<number> {
  const f = commonFlags(argv, HLS_FLAGS);
  try {
    parseHlsUrl(f.url as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const publishUrl = f.publish as string | undefined;
  return run("hls", f, io, (progress, signal) => runHlsBench({ ...streamFlags(f), publishUrl, progress, signal }), (r) => hlsReportText(r as HlsBenchReport));
}

async function benchWebrtc(argv: string[], io: BenchIo): Promise<number> {
  const f = commonFlags(argv, HLS_FLAGS);
  try {
    parseWhepUrl(f.url as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const publishUrl = f.publish as string | undefined;
  return run("webrtc", f, io, (progress, signal) => runWebrtcBench({ ...streamFlags(f), publishUrl, progress, signal }), (r) => webrtcReportText(r as WebrtcBenchReport));
}

/** Runs a mode with Ctrl-C ending the window early; prints the report (also with a BenchError that has one). */
async function run(
  mode: string,
  f: ParsedFlags,
  io: BenchIo,
  bench: (progress: (line: string) => void, signal: AbortSignal) => Promise<BenchReport>,
  text: (r: BenchReport) => string = reportText,
): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    io.err("interrupted: ending the window now (Ctrl-C again to quit)\n");
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  const print = (r: BenchReport) => io.out((f.json ? reportJson(r) : text(r)) + "\n");
  try {
    print(await bench((line) => io.err(`bench: ${line}\n`), abort.signal));
    return 0;
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    if (e.report) print(e.report);
    io.err(`spate bench ${mode}: ${e.message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
