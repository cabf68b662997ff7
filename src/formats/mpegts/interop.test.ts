/**
 * Interop with ffmpeg both ways. (a) Transport streams made by ffmpeg (H.264 with B-frames, H.265;
 * AAC, Opus) demux to ffprobe's packets: counts, timestamps, keyframes, configurations. (b) Those
 * frames muxed again by TsMuxer are accepted by ffprobe with the same streams and packet counts and
 * decode with `ffmpeg -v error` saying nothing. Media is made at test time in a temporary directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConfig } from "../../codecs/describe.ts";
import { concatBytes } from "../../core/bytes.ts";
import { Frame } from "../../core/frame.ts";
import { Track } from "../../core/track.ts";
import { demuxAll, type DemuxRecorder } from "./demux-recorder.ts";
import { TsMuxer } from "./muxer.ts";
import { rescale } from "./timestamps.ts";

const ffmpeg = Bun.which("ffmpeg");
const ffprobe = Bun.which("ffprobe");

const VARIANTS = [
  { name: "H.264 (B-frames) + AAC", video: ["-c:v", "libx264", "-bf", "2"], audio: ["-c:a", "aac"], codecs: ["h264", "aac"], rate: 44100 },
  { name: "H.264 (B-frames) + Opus", video: ["-c:v", "libx264", "-bf", "2"], audio: ["-c:a", "libopus"], codecs: ["h264", "opus"], rate: 48000 },
  { name: "H.265 + AAC", video: ["-c:v", "libx265", "-x265-params", "log-level=error"], audio: ["-c:a", "aac"], codecs: ["h265", "aac"], rate: 44100 },
];

interface ProbePacket {
  codec_type: "video" | "audio";
  dts: number;
  pts: number;
  flags: string;
}

function run(cmd: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd);
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function probePackets(path: string): ProbePacket[] {
  const r = run([ffprobe!, "-v", "error", "-show_entries", "packet=codec_type,dts,pts,flags", "-of", "json", path]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { packets: ProbePacket[] }).packets;
}

function probeStreams(path: string): string[] {
  const r = run([ffprobe!, "-v", "error", "-count_packets", "-show_entries", "stream=codec_name,width,height,channels,nb_read_packets", "-of", "csv=p=0", path]);
  expect(r.code).toBe(0);
  return r.out.trim().split("\n").filter((l) => l.length > 0);
}

/** The demuxed frames muxed again, with Tracks made from what the demuxer announced. */
function remux(rec: DemuxRecorder): Uint8Array {
  const tracks: Track[] = [];
  const ids = new Map<number, number>();
  for (const t of rec.tracks) {
    if (!ids.has(t.pid)) {
      ids.set(t.pid, tracks.length);
      tracks.push(new Track(tracks.length, t.track.codec, t.clockRate));
    }
    tracks[ids.get(t.pid)!]!.setConfig(t.config, describeConfig(t.track.codec, t.config));
  }
  const muxer = new TsMuxer(tracks);
  const parts: Uint8Array[] = [];
  const f = new Frame();
  for (const r of rec.frames) {
    f.track = ids.get(r.pid)!;
    f.dts = r.dts;
    f.pts = r.pts;
    f.keyframe = r.key;
    f.payload = r.payload;
    const out = new Uint8Array(muxer.encodedSize(f));
    expect(muxer.encodeTo(out, 0)).toBe(out.length);
    parts.push(out);
  }
  expect(muxer.framesSkipped).toBe(0);
  return concatBytes(parts);
}

let dir = "";

beforeAll(() => {
  // npm test installs ffmpeg (scripts/ensure-peers.sh): a missing peer is a failure, not a skip.
  if (!ffmpeg || !ffprobe) throw new Error("ffmpeg/ffprobe not found: run the tests with npm test, which installs them");
  dir = mkdtempSync(join(tmpdir(), "spate-mpegts-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ffmpeg interop", () => {
  for (const v of VARIANTS) {
    test(v.name, () => {
      const src = join(dir, `${v.codecs.join("-")}.ts`);
      const made = run([ffmpeg!, "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine",
        "-t", "2", ...v.video, ...v.audio, "-f", "mpegts", src]);
      expect(made.err).toBe("");
      const input = new Uint8Array(readFileSync(src));

      // (a) ffmpeg → demuxer, in SRT-sized chunks.
      const splits = Array.from({ length: Math.ceil(input.length / 1316) }, (_, i) => i * 1316);
      const { rec, demuxer } = demuxAll(input, splits);
      expect([demuxer.stats.ccErrors, demuxer.stats.pesErrors, demuxer.stats.esErrors, demuxer.stats.framesDropped]).toEqual([0, 0, 0, 0]);
      const probed = probePackets(src);
      const [videoPid, audioPid] = [rec.tracks.find((t) => t.track.kind === "video")!.pid, rec.tracks.find((t) => t.track.kind === "audio")!.pid];
      const ours = (pid: number) => rec.frames.filter((f) => f.pid === pid);
      const theirs = (type: string) => probed.filter((p) => p.codec_type === type);
      expect(ours(videoPid).map((f) => [f.dts, f.pts, f.key])).toEqual(theirs("video").map((p) => [p.dts, p.pts, p.flags.startsWith("K")]));
      // ffmpeg interpolates the frames after the first of a PES in 90 kHz ticks; ours count samples: ±1 tick.
      const audioDts = ours(audioPid).map((f) => rescale(f.dts, v.rate, 90000));
      const probedDts = theirs("audio").map((p) => p.dts);
      expect(audioDts.length).toBe(probedDts.length);
      expect(audioDts.filter((d, i) => Math.abs(d - probedDts[i]!) > 1)).toEqual([]);
      for (const pid of [videoPid, audioPid]) {
        const dts = ours(pid).map((f) => f.dts);
        expect(dts.every((d, i) => i === 0 || d > dts[i - 1]!)).toBe(true);
      }
      expect(ours(videoPid)[0]!.key).toBe(true);
      const video = rec.tracks.find((t) => t.pid === videoPid)!;
      const audio = rec.tracks.find((t) => t.pid === audioPid)!;
      expect([video.track.codec, audio.track.codec] as string[]).toEqual([...v.codecs]);
      expect(describeConfig(video.track.codec, video.config)).toMatchObject({ width: 320, height: 240 });
      expect(describeConfig(audio.track.codec, audio.config)).toMatchObject({ sampleRate: v.rate, channels: 1 });

      // (b) demuxer → muxer → ffprobe / ffmpeg.
      const out = join(dir, `${v.codecs.join("-")}-spate.ts`);
      writeFileSync(out, remux(rec));
      expect(probeStreams(out)).toEqual(probeStreams(src));
      const decoded = run([ffmpeg!, "-hide_banner", "-v", "error", "-i", out, "-f", "null", "-"]);
      expect([decoded.code, decoded.err]).toEqual([0, ""]);
      const frames = run([ffprobe!, "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]);
      expect(Number(frames.out.trim().split("\n")[0])).toBe(theirs("video").length);
    }, 60_000);
  }
});
