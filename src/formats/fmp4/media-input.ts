/**
 * Test helper: media made by ffmpeg read back with spate's own demuxers (FLV file reader, TsDemuxer)
 * into Tracks and common-format samples, and cut into CMAF chunks with InitSegment and
 * FragmentMuxer the way a segmenter would (~partMs per fragment per track, track order).
 */
import { describeConfig } from "../../codecs/describe.ts";
import { Track, VIDEO_CLOCK } from "../../core/track.ts";
import { readFlvFile, TAG_AUDIO, TAG_VIDEO } from "../flv/file.ts";
import { decodeAudioTag, decodeVideoTag, tagPayload } from "../flv/tag.ts";
import { demuxAll } from "../mpegts/demux-recorder.ts";
import { FragmentMuxer } from "./fragment.ts";
import { InitSegment } from "./init-segment.ts";

export interface Sample {
  dts: number;
  pts: number;
  key: boolean;
  payload: Uint8Array;
}

export interface InputTrack {
  track: Track;
  samples: Sample[];
}

export function readFlv(data: Uint8Array): InputTrack[] {
  const byType = new Map<number, InputTrack>();
  for (const t of readFlvFile(data)) {
    if (t.type !== TAG_VIDEO && t.type !== TAG_AUDIO) continue;
    const tag = t.type === TAG_VIDEO ? decodeVideoTag(t.body) : decodeAudioTag(t.body);
    const payload = tagPayload(t.body, tag);
    let input = byType.get(t.type);
    if (tag.kind === "config") {
      const info = describeConfig(tag.codec!, payload);
      if (!input) {
        input = { track: new Track(byType.size, tag.codec!, t.type === TAG_VIDEO ? VIDEO_CLOCK : info.sampleRate!), samples: [] };
        byType.set(t.type, input);
      }
      input.track.setConfig(payload, info);
    } else if (tag.kind === "frame" && input) {
      const clock = input.track.clockRate;
      const dts = Math.round((t.timestampMs * clock) / 1000);
      input.samples.push({ dts, pts: Math.round(((t.timestampMs + tag.cts) * clock) / 1000), key: tag.keyframe, payload });
    }
  }
  return [...byType.values()].sort((a, b) => a.track.id - b.track.id);
}

export function readTs(data: Uint8Array): InputTrack[] {
  const { rec } = demuxAll(data);
  const byPid = new Map<number, InputTrack>();
  for (const t of rec.tracks) {
    if (!byPid.has(t.pid)) byPid.set(t.pid, { track: new Track(byPid.size, t.track.codec, t.clockRate), samples: [] });
    byPid.get(t.pid)!.track.setConfig(t.config, describeConfig(t.track.codec, t.config));
  }
  for (const f of rec.frames) byPid.get(f.pid)!.samples.push({ dts: f.dts, pts: f.pts, key: f.key, payload: f.payload });
  // Video first, as a segmenter orders them (track_ID 1 video, 2 audio).
  return [...byPid.values()].sort((a, b) => (a.track.kind === b.track.kind ? 0 : a.track.kind === "video" ? -1 : 1));
}

export interface Muxed {
  /** One init with every track, track_IDs 1.. in input order. */
  init: Uint8Array;
  /** Chunks: moof+mdat per track (track order); `ranges[i]` says where each track's fragment is. */
  chunks: Uint8Array[];
  ranges: { trackIndex: number; start: number; end: number }[][];
}

/** Init segment plus ~partMs chunks of every track; tracks with samples before others' start are fine. */
export function muxCmaf(inputs: InputTrack[], partMs = 200): Muxed {
  const init = new InitSegment(inputs.map((t, i) => ({ track: t.track, trackId: i + 1 }))).toBytes();
  const muxers = inputs.map((_, i) => new FragmentMuxer(i + 1));
  const secs = (t: InputTrack, s: Sample) => s.dts / t.track.clockRate;
  const t0 = Math.min(...inputs.map((t) => secs(t, t.samples[0]!)));
  const end = Math.max(...inputs.map((t) => secs(t, t.samples[t.samples.length - 1]!)));
  const next = inputs.map(() => 0);
  const chunks: Uint8Array[] = [];
  const ranges: Muxed["ranges"] = [];
  let sequence = 1;
  let buf = new Uint8Array(64 * 1024);
  for (let k = 0; t0 + (k * partMs) / 1000 <= end; k++) {
    const until = t0 + ((k + 1) * partMs) / 1000;
    let size = 0;
    const sizes: number[] = [];
    inputs.forEach((t, i) => {
      const m = muxers[i]!;
      m.clear();
      while (next[i]! < t.samples.length && secs(t, t.samples[next[i]!]!) < until) {
        const s = t.samples[next[i]!++]!;
        m.push(s.dts, s.pts, s.key, s.payload);
      }
      if (m.count === 0) return sizes.push(0);
      const after = t.samples[next[i]!];
      const lastDuration = after ? after.dts - m.dts[m.count - 1]! : m.count > 1 ? m.dts[m.count - 1]! - m.dts[m.count - 2]! : 1;
      const n = m.encodedSize(sequence++, lastDuration);
      sizes.push(n);
      size += n;
    });
    if (size === 0) continue;
    if (buf.length < size) buf = new Uint8Array(size * 2);
    let off = 0;
    const r: Muxed["ranges"][number] = [];
    inputs.forEach((_, i) => {
      if (sizes[i] === 0) return;
      const n = muxers[i]!.encodeTo(buf, off);
      r.push({ trackIndex: i, start: off, end: off + n });
      off += n;
    });
    chunks.push(buf.slice(0, off));
    ranges.push(r);
  }
  return { init, chunks, ranges };
}
