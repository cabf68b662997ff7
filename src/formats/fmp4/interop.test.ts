/**
 * Interop with ffmpeg: media made by ffmpeg (H.264 with B-frames + AAC in FLV, H.264 + Opus and
 * H.265 + AAC in MPEG-TS) is demuxed by spate's own demuxers, muxed as one muxed init segment plus
 * ~200 ms CMAF chunks (a fragment per track), and read back by ffprobe: same streams, every frame,
 * the same timestamps, B-frames with pts > dts; `ffmpeg -v error` decodes it silently. A DASH-style
 * one-track init with that track's fragments cut out of the chunks plays as well. AV1 and VP9 frames
 * from the codec fixtures decode too. Media is made at test time in a temporary directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture } from "../../codecs/h264.cases.ts";
import { concatBytes } from "../../core/bytes.ts";
import { Track, VIDEO_CLOCK } from "../../core/track.ts";
import { FragmentMuxer } from "./fragment.ts";
import { InitSegment } from "./init-segment.ts";
import { muxCmaf, readFlv, readTs, type InputTrack } from "./media-input.ts";

const ffmpeg = Bun.which("ffmpeg");
const ffprobe = Bun.which("ffprobe");

interface ProbeStream {
  index: number;
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  time_base: string;
}

interface ProbePacket {
  stream_index: number;
  dts_time: string;
  pts: number;
  dts: number;
  size: string;
  flags: string;
}

function run(cmd: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd);
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function probe(path: string): { streams: ProbeStream[]; packets: ProbePacket[] } {
  const r = run([ffprobe!, "-v", "error", "-show_packets", "-show_streams", "-of", "json", path]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

function decodesSilently(path: string): void {
  const r = run([ffmpeg!, "-hide_banner", "-v", "error", "-i", path, "-f", "null", "-"]);
  expect([r.code, r.err]).toEqual([0, ""]);
}

/** Every input sample is a packet of its stream, in order, with its timestamps, size and key flag. */
function expectSamples(packets: ProbePacket[], streamIndex: number, input: InputTrack): void {
  const ps = packets.filter((p) => p.stream_index === streamIndex);
  expect(ps.length).toBe(input.samples.length);
  expect(ps.map((p) => [p.dts, p.pts, Number(p.size)])).toEqual(input.samples.map((s) => [s.dts, s.pts, s.payload.length]));
  expect(ps.every((p, i) => i === 0 || p.dts > ps[i - 1]!.dts)).toBe(true);
  if (input.track.kind === "video") {
    expect(ps.map((p) => p.flags.startsWith("K"))).toEqual(input.samples.map((s) => s.key));
  }
}

let dir = "";

beforeAll(() => {
  // npm test installs ffmpeg (scripts/ensure-peers.sh): a missing peer is a failure, not a skip.
  if (!ffmpeg || !ffprobe) throw new Error("ffmpeg/ffprobe not found: run the tests with npm test, which installs them");
  dir = mkdtempSync(join(tmpdir(), "spate-fmp4-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const VARIANTS = [
  { name: "H.264 (B-frames) + AAC from FLV", video: ["-c:v", "libx264", "-bf", "2", "-g", "25"], audio: ["-c:a", "aac"], format: "flv", codecs: ["h264", "aac"] },
  { name: "H.264 (B-frames) + Opus from MPEG-TS", video: ["-c:v", "libx264", "-bf", "2", "-g", "25"], audio: ["-c:a", "libopus"], format: "mpegts", codecs: ["h264", "opus"] },
  { name: "H.265 + AAC from MPEG-TS", video: ["-c:v", "libx265", "-x265-params", "log-level=error:bframes=2:keyint=25"], audio: ["-c:a", "aac"], format: "mpegts", codecs: ["hevc", "aac"] },
];

describe("fMP4 read by ffmpeg", () => {
  for (const v of VARIANTS) {
    test(v.name, () => {
      const src = join(dir, `${v.codecs.join("-")}.${v.format}`);
      const made = run([ffmpeg!, "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "2", ...v.video, ...v.audio, "-f", v.format, src]);
      expect(made.err).toBe("");
      const data = new Uint8Array(readFileSync(src));
      const inputs = v.format === "flv" ? readFlv(data) : readTs(data);
      expect(inputs.map((t) => t.track.kind)).toEqual(["video", "audio"]);
      const muxed = muxCmaf(inputs);
      expect(muxed.chunks.length).toBeGreaterThanOrEqual(10);

      // (a) LL-HLS: the muxed init and every chunk.
      const out = join(dir, `${v.codecs.join("-")}.mp4`);
      writeFileSync(out, concatBytes([muxed.init, ...muxed.chunks]));
      const { streams, packets } = probe(out);
      expect(streams.map((s) => [s.codec_name, s.time_base])).toEqual([[v.codecs[0]!, "1/90000"], [v.codecs[1]!, "1/48000"]]);
      expect([streams[0]!.width, streams[0]!.height]).toEqual([320, 240]);
      expect([streams[1]!.sample_rate, streams[1]!.channels]).toEqual(["48000", 1]);
      expectSamples(packets, 0, inputs[0]!);
      expectSamples(packets, 1, inputs[1]!);
      expect(packets.some((p) => p.stream_index === 0 && p.pts > p.dts)).toBe(true); // B-frames
      decodesSilently(out);

      // (b) DASH: the audio track alone, its own init (same track_ID 2) and its fragments cut out of the chunks.
      const audioInit = new InitSegment([{ track: inputs[1]!.track, trackId: 2 }]).toBytes();
      const audioParts = muxed.ranges.flatMap((r, k) => r.filter((x) => x.trackIndex === 1).map((x) => muxed.chunks[k]!.subarray(x.start, x.end)));
      const audioOut = join(dir, `${v.codecs.join("-")}-audio.mp4`);
      writeFileSync(audioOut, concatBytes([audioInit, ...audioParts]));
      const audio = probe(audioOut);
      expect(audio.streams.map((s) => s.codec_name)).toEqual([v.codecs[1]!]);
      expectSamples(audio.packets, 0, inputs[1]!);
      decodesSilently(audioOut);
    }, 30_000);
  }

  const FIXTURE_VARIANTS = [
    { name: "AV1 from the codec fixtures", codec: "av1" as const, config: "av1-64.av1c", frames: ["av1-64-key.obu", "av1-64-inter.obu"], probed: "av1" },
    { name: "VP9 from the codec fixtures", codec: "vp9" as const, config: "vp9-64.vpcc", frames: ["vp9-64-key.bin", "vp9-64-inter.bin"], probed: "vp9" },
  ];
  for (const v of FIXTURE_VARIANTS) {
    test(v.name, () => {
      const track = new Track(0, v.codec, VIDEO_CLOCK, fixture(v.config), { width: 64, height: 64 });
      const mux = new FragmentMuxer(1);
      v.frames.forEach((f, i) => mux.push(i * 3000, i * 3000, i === 0, fixture(f)));
      const frag = new Uint8Array(mux.encodedSize(1, 3000));
      mux.encodeTo(frag, 0);
      const out = join(dir, `${v.codec}.mp4`);
      writeFileSync(out, concatBytes([new InitSegment([{ track, trackId: 1 }]).toBytes(), frag]));
      const { streams, packets } = probe(out);
      expect(streams.map((s) => [s.codec_name, s.width, s.height])).toEqual([[v.probed, 64, 64]]);
      expect(packets.map((p) => [p.dts, p.flags.startsWith("K")])).toEqual([[0, true], [3000, false]]);
      decodesSilently(out);
    });
  }
});
