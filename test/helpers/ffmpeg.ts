/**
 * ffmpeg and ffprobe as real peers: publish a synthetic picture and tone, read a stream to a file,
 * and probe what arrived (streams, per-packet dts/pts/keyframe). Every spawn is bounded and killed
 * on exit; temp files live in fresh mkdtemp dirs removed on exit (SPATE_KEEP_TMP=1 keeps them).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeExit, spawnBounded, type Exit, type Spawned } from "./process.ts";

const QUIET = ["-hide_banner", "-loglevel", "error", "-nostats", "-nostdin"];

const tempDirs: string[] = [];
process.on("exit", () => {
  if (process.env.SPATE_KEEP_TMP === "1") return;
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh empty directory under os.tmpdir(), removed when the test process exits. */
export function makeTempDir(prefix = "spate-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

let sharedDir: string | undefined;
/** A path for `name` in this process's temp dir. */
export function tempFile(name: string): string {
  sharedDir ??= makeTempDir();
  return join(sharedDir, name);
}

export interface PublishOptions {
  size?: string;
  rate?: number;
  /** B-frames (-bf 2, without -tune zerolatency which forces none). Default false. */
  bframes?: boolean;
  /** Stop after this many seconds of media; default: run until stop(). */
  seconds?: number;
  /** Sine tone in Hz; `false` publishes video only. */
  tone?: number | false;
  /** Keyframe interval in frames. */
  gop?: number;
  /** Output format; default from the URL: flv for rtmp(s)://, mpegts otherwise. */
  format?: string;
  /** Output options added before the URL. */
  extraArgs?: string[];
  /** Kill after this long whatever happens (default seconds + 30 s, or 5 minutes). */
  timeoutMs?: number;
}

export interface Publisher extends Spawned {
  args: string[];
}

/** ffmpeg publishing testsrc2 + sine at real time (-re) to `url`. */
export function publishLavfi(url: string, opts: PublishOptions = {}): Publisher {
  const { size = "640x360", rate = 30, bframes = false, tone = 440, gop = 30 } = opts;
  const format = opts.format ?? (/^rtmps?:/.test(url) ? "flv" : "mpegts");
  const args = [
    ...QUIET,
    "-re",
    "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${rate}`,
    ...(tone === false ? [] : ["-f", "lavfi", "-i", `sine=frequency=${tone}:sample_rate=44100`]),
    ...(opts.seconds === undefined ? [] : ["-t", String(opts.seconds)]),
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", String(gop),
    ...(bframes ? ["-bf", "2"] : ["-tune", "zerolatency", "-bf", "0"]),
    ...(tone === false ? [] : ["-c:a", "aac", "-b:a", "96k"]),
    ...(opts.extraArgs ?? []),
    "-f", format, url,
  ];
  const timeoutMs = opts.timeoutMs ?? (opts.seconds === undefined ? 300_000 : opts.seconds * 1000 + 30_000);
  return { ...spawnBounded(["ffmpeg", ...args], { timeoutMs }), args };
}

export interface ReadOptions {
  /** Media seconds to record (-t). */
  seconds: number;
  /** Input options before -i (e.g. ["-rw_timeout", "5000000"]). */
  inputArgs?: string[];
  timeoutMs?: number;
  /** Throw when ffmpeg fails (default true). */
  check?: boolean;
}

/** `ffmpeg -i URL -c copy -t S FILE`: the container follows FILE's extension (.ts, .flv, .mp4). */
export async function readToFile(url: string, file: string, opts: ReadOptions): Promise<Exit> {
  const rwTimeout = /^(rtmps?|https?):/.test(url) ? ["-rw_timeout", "10000000"] : [];
  const args = [...QUIET, "-y", ...rwTimeout, ...(opts.inputArgs ?? []), "-i", url, "-c", "copy", "-t", String(opts.seconds), file];
  const exit = await spawnBounded(["ffmpeg", ...args], { timeoutMs: opts.timeoutMs ?? opts.seconds * 1000 + 20_000 }).done;
  if ((opts.check ?? true) && exit.code !== 0) throw new Error(`reading ${url}: ${describeExit("ffmpeg", exit)}`);
  return exit;
}

export interface ProbePacket {
  dts: number | null;
  pts: number | null;
  /** Seconds, from the stream's time base. */
  dtsTime: number | null;
  keyframe: boolean;
  size: number;
}

export interface ProbeStream {
  index: number;
  codecType: string;
  codec: string;
  profile?: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  timeBase: string;
  packets: ProbePacket[];
}

export interface Probe {
  streams: ProbeStream[];
  /** The first video and audio streams. */
  video?: ProbeStream;
  audio?: ProbeStream;
  durationSeconds?: number;
}

const num = (v: unknown): number | null => (v === undefined || v === null || v === "N/A" ? null : Number(v));

/** ffprobe -show_streams -show_packets -show_format of a file. */
export async function ffprobe(file: string, timeoutMs = 30_000): Promise<Probe> {
  const args = ["-v", "error", "-show_streams", "-show_packets", "-show_format", "-of", "json", file];
  const exit = await spawnBounded(["ffprobe", ...args], { timeoutMs, keepBytes: 256 * 1024 * 1024 }).done;
  if (exit.code !== 0) throw new Error(`ffprobe ${file}: ${describeExit("ffprobe", exit)}`);
  const json = JSON.parse(exit.stdout) as {
    streams?: Record<string, any>[];
    packets?: Record<string, any>[];
    format?: { duration?: string };
  };
  const streams: ProbeStream[] = (json.streams ?? []).map((s) => ({
    index: s.index,
    codecType: s.codec_type,
    codec: s.codec_name,
    profile: s.profile,
    width: s.width,
    height: s.height,
    sampleRate: s.sample_rate === undefined ? undefined : Number(s.sample_rate),
    channels: s.channels,
    timeBase: s.time_base,
    packets: [],
  }));
  for (const p of json.packets ?? []) {
    streams.find((s) => s.index === p.stream_index)?.packets.push({
      dts: num(p.dts),
      pts: num(p.pts),
      dtsTime: num(p.dts_time),
      keyframe: typeof p.flags === "string" && p.flags.includes("K"),
      size: Number(p.size),
    });
  }
  return {
    streams,
    video: streams.find((s) => s.codecType === "video"),
    audio: streams.find((s) => s.codecType === "audio"),
    durationSeconds: num(json.format?.duration) ?? undefined,
  };
}

/** Throws naming the first packet whose dts is missing or not after the previous one. */
export function assertMonotonicDts(packets: ProbePacket[], opts: { allowEqual?: boolean; label?: string } = {}): void {
  const label = opts.label ? `${opts.label}: ` : "";
  let prev: number | null = null;
  for (let i = 0; i < packets.length; i++) {
    const dts = packets[i]!.dts;
    if (dts === null) throw new Error(`${label}packet ${i} of ${packets.length} has no dts`);
    if (prev !== null && (dts < prev || (dts === prev && !opts.allowEqual))) {
      throw new Error(`${label}dts not increasing at packet ${i} of ${packets.length}: ${dts} after ${prev}`);
    }
    prev = dts;
  }
}

/** Decodes the whole file; returns ffmpeg's error output ("" for a clean decode). */
export async function decodeErrors(file: string, timeoutMs = 60_000): Promise<string> {
  const exit = await spawnBounded(["ffmpeg", ...QUIET, "-i", file, "-f", "null", "-"], { timeoutMs }).done;
  if (exit.code !== 0 && !exit.stderr.trim()) return describeExit("ffmpeg", exit);
  return exit.stderr.trim();
}
