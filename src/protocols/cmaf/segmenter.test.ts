import { describe, expect, test } from "bun:test";
import HLS from "hls-parser";
import { describeConfig } from "../../codecs/describe.ts";
import { fixture } from "../../codecs/h264.cases.ts";
import { Stream } from "../../core/stream.ts";
import { find, findAll, Fields, parseTrun, walk } from "../../formats/fmp4/box-walker.ts";
import { renderMediaPlaylist } from "../hls/wire/media-playlist.ts";
import type { CmafTimeline } from "./model.ts";
import { CmafSegmenter, type SegmenterOptions } from "./segmenter.ts";

const OPTS: SegmenterOptions = { partTargetMs: 200, windowSegments: 6, audioSegmentMs: 2000 };

function makeStream(opts: { video?: boolean; audio?: boolean } = {}) {
  let now = 1_700_000_000_000;
  const stream = new Stream("live/test", 1 << 20, 4096, () => now);
  const tracks: { video?: number; audio?: number } = {};
  if (opts.video ?? true) {
    const t = stream.ensureTrack("h264", 90_000);
    const cfg = fixture("h264-high-720p.avcc");
    stream.setConfig(t, cfg, describeConfig("h264", cfg));
    tracks.video = t.id;
  }
  if (opts.audio ?? true) {
    const t = stream.ensureTrack("aac", 44_100);
    const cfg = fixture("aac-lc-44100-stereo.asc");
    stream.setConfig(t, cfg, describeConfig("aac", cfg));
    tracks.audio = t.id;
  }
  stream.beginEpoch({ protocol: "test", remoteAddress: "-", close() {} });
  return { stream, tracks, advance: (ms: number) => (now += ms) };
}

/**
 * An RTMP-like feed: timestamps in whole milliseconds (33/34 ms video steps, 23/24 ms audio), a
 * keyframe every `gop` frames, B-frames (pts = dts + 2 frames except on keyframes... reordered).
 */
function feed(s: ReturnType<typeof makeStream>, opts: { frames: number; gop?: number; startMs?: number; bframes?: boolean; from?: number }) {
  const gop = opts.gop ?? 30;
  const startMs = opts.startMs ?? 0;
  let audioMs = 0;
  let audioN = 0;
  const from = opts.from ?? 0;
  for (let i = from; i < from + opts.frames; i++) {
    const ms = startMs + Math.round((i * 1000) / 30);
    const dts = ms * 90;
    const pts = opts.bframes ? dts + 2 * 3000 : dts;
    const payload = new Uint8Array(100 + (i % 7));
    if (s.tracks.video !== undefined) s.stream.push(payload, s.tracks.video, dts, pts, i % gop === 0);
    // audio up to this video frame's time
    while (s.tracks.audio !== undefined && (audioMs = startMs + Math.round((audioN * 1024 * 1000) / 44_100)) <= ms) {
      const a = (audioMs * 44_100) / 1000;
      s.stream.push(new Uint8Array(20), s.tracks.audio, Math.round(a), Math.round(a), true);
      audioN++;
    }
    s.advance(33);
    s.stream.flush();
  }
}

interface Frag {
  trackId: number;
  tfdt: number;
  durations: number[];
  ctos: (number | undefined)[];
}

function fragments(bytes: Uint8Array): Frag[] {
  return findAll(walk(bytes), "moof").map((moof) => {
    const tfhd = new Fields(find(moof.children, "traf/tfhd").body);
    tfhd.u32();
    const trackId = tfhd.u32();
    const tfdtBody = new Fields(find(moof.children, "traf/tfdt").body);
    tfdtBody.u32();
    const tfdt = tfdtBody.u32() * 2 ** 32 + tfdtBody.u32();
    const trun = parseTrun(find(moof.children, "traf/trun").body);
    return { trackId, tfdt, durations: trun.samples.map((s) => s.duration), ctos: trun.samples.map((s) => s.cto) };
  });
}

/** tfdt(n+1) = tfdt(n) + durations(n) for every track across every part of the window. */
function checkContinuity(tl: CmafTimeline) {
  const ends = new Map<number, number>();
  let parts = 0;
  for (const seg of tl.segments) {
    for (const p of seg.parts) {
      if (!p.complete) continue;
      parts++;
      for (const f of fragments(p.bytes)) {
        const end = ends.get(f.trackId);
        if (end !== undefined) expect({ msn: p.msn, part: p.index, track: f.trackId, tfdt: f.tfdt }).toEqual({ msn: p.msn, part: p.index, track: f.trackId, tfdt: end });
        expect(f.tfdt).toBeGreaterThanOrEqual(0);
        for (const d of f.durations) expect(d).toBeGreaterThan(0);
        ends.set(f.trackId, f.tfdt + f.durations.reduce((a, b) => a + b, 0));
      }
    }
  }
  return parts;
}

function checkPartDurations(tl: CmafTimeline) {
  for (const seg of tl.segments) {
    const done = seg.parts.filter((p) => p.complete);
    done.forEach((p, i) => {
      expect(p.durationSec).toBeLessThanOrEqual(tl.partTargetSec + 1e-9);
      if (i < done.length - 1) expect(p.durationSec).toBeGreaterThanOrEqual(tl.partTargetSec * 0.85);
    });
  }
}

describe("CmafSegmenter", () => {
  test("cuts 200 ms parts of whole frames and keyframe segments; tfdt continuous despite ms stamps", () => {
    const s = makeStream();
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    feed(s, { frames: 30 * 10 });
    const tl = seg.timeline;
    expect(tl.partTargetSec).toBe(0.2);
    expect(tl.tracks.map((t) => t.codecString)).toEqual(["avc1.64001f", "mp4a.40.2"]);
    // 10 s of 1 s GOPs: the window keeps 6 complete segments and the open one.
    expect(tl.segments.length).toBe(7);
    const complete = tl.segments.filter((x) => x.complete);
    for (const x of complete) {
      expect(x.parts.length).toBe(5);
      expect(x.parts[0]!.independent).toBe(true);
      expect(x.parts.slice(1).every((p) => !p.independent)).toBe(true);
      expect(x.durationSec).toBeCloseTo(1, 6);
    }
    expect(checkContinuity(tl)).toBeGreaterThan(30);
    checkPartDurations(tl);
    // audio rides in the same parts
    const p = complete[0]!.parts[1]!;
    expect(p.trackLength[1]).toBeGreaterThan(0);
    expect(p.trackOffset[1]).toBe(p.trackLength[0]);
    expect(p.bytes.length).toBe(p.trackLength[0]! + p.trackLength[1]!);
    // DASH bookkeeping: per-track start + duration chains
    for (let i = 1; i < complete.length; i++) {
      for (let t = 0; t < 2; t++) expect(complete[i]!.startTime[t]).toBe(complete[i - 1]!.startTime[t]! + complete[i - 1]!.duration[t]!);
    }
    const text = renderMediaPlaylist(tl);
    const pl = HLS.parse(text) as HLS.types.MediaPlaylist;
    expect(pl.segments.length).toBeGreaterThan(5);
    expect(seg.partsProduced).toBeGreaterThan(40);
  });

  test("starts from the ring's newest keyframe, rebased to 0, negative source stamps and B-frames", () => {
    const s = makeStream();
    feed(s, { frames: 45, startMs: -5000, bframes: true }); // keyframes at 0 and 30
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    const tl = seg.timeline;
    // catch-up: frames 30..44 are already cut (two complete parts of 6 frames, 3 in the open part)
    expect(seg.ready).toBe(true);
    expect(tl.segments.length).toBe(1);
    expect(tl.segments[0]!.parts.filter((p) => p.complete).length).toBe(2);
    const first = fragments(tl.segments[0]!.parts[0]!.bytes);
    expect(first[0]!.tfdt).toBe(0);
    expect(first[0]!.ctos.some((c) => c !== undefined && c > 0)).toBe(true);
    expect(tl.availabilityStartMs).toBeGreaterThan(0);
    feed(s, { frames: 60, startMs: -5000, bframes: true, from: 45 });
    expect(tl.segments.filter((x) => x.complete).length).toBe(2);
    checkContinuity(tl);
    checkPartDurations(tl);
  });

  test("version bumps and waiters wake once per batch; nothing is rendered without waiters", async () => {
    const s = makeStream();
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    feed(s, { frames: 1 });
    const v = seg.timeline.version;
    let woke = 0;
    const waits = Array.from({ length: 2000 }, () => seg.changed.next().then(() => woke++));
    feed(s, { frames: 12, from: 1 });
    expect(seg.timeline.version).toBeGreaterThan(v);
    await Promise.all(waits);
    expect(woke).toBe(2000);
  });

  test("audio-only: parts of whole AAC frames, a segment every ~2 s, every part independent", () => {
    const s = makeStream({ video: false });
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    feed(s, { frames: 30 * 7 });
    const tl = seg.timeline;
    expect(tl.partTargetSec).toBeCloseTo(0.209, 6);
    const complete = tl.segments.filter((x) => x.complete);
    expect(complete.length).toBeGreaterThanOrEqual(2);
    for (const x of complete) expect(x.durationSec).toBeGreaterThan(1.8);
    expect(tl.segments.every((x) => x.parts.every((p) => p.independent))).toBe(true);
    checkContinuity(tl);
    checkPartDurations(tl);
  });

  test("publisher gone completes the segment; stream end closes the segmenter", () => {
    const s = makeStream();
    let closed = 0;
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    seg.onClose = () => closed++;
    feed(s, { frames: 40 });
    s.stream.setState("waiting");
    expect(seg.timeline.segments.every((x) => x.complete)).toBe(true);
    checkContinuity(seg.timeline);
    s.stream.setState("ended");
    expect(seg.closed).toBe(true);
    expect(closed).toBe(1);
    expect(s.stream.writerFormats).toEqual([]);
  });

  test("a configuration change restarts the window with new init segments, msn continuing", () => {
    const s = makeStream();
    const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, OPTS));
    feed(s, { frames: 70 });
    const nextMsn = seg.timeline.nextMsn;
    const init = seg.init;
    const t = s.stream.tracks[s.tracks.video!]!;
    const cfg = fixture("h264-baseline-240p.avcc");
    s.stream.setConfig(t, cfg, describeConfig("h264", cfg));
    expect(seg.init).not.toBe(init);
    expect(seg.timeline.segments.length).toBe(0);
    feed(s, { frames: 40, from: 90 });
    expect(seg.timeline.segments[0]!.msn).toBeGreaterThanOrEqual(nextMsn);
    expect(seg.restarts).toBe(1);
  });
});

/** xorshift32: the same "random" streams on every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe("CmafSegmenter on irregular streams", () => {
  const FPS = [24, 25, 30_000 / 1001, 30, 50, 60];
  for (let seed = 1; seed <= 24; seed++) {
    test(`seed ${seed}: parts within PART-TARGET, tfdt never overlapping (continuous without gaps), dts ≥ 0`, () => {
      const rand = rng(seed);
      const fps = FPS[seed % FPS.length]!;
      const gaps = seed % 3 === 0; // dropped frames and audio holes
      const bframes = seed % 2 === 0;
      const s = makeStream();
      const seg = s.stream.writer("cmaf", (st) => new CmafSegmenter(st, { ...OPTS, windowSegments: 1000 }));
      const frameMs = 1000 / fps;
      const audioLeadMs = Math.round(rand() * 200 - 100); // audio interleaved ahead of or behind video
      let audioN = 0;
      let sinceKey = 0;
      for (let i = 0; i < 600; i++) {
        if (gaps && rand() < 0.03) continue;
        const ms = Math.round(i * frameMs + (rand() < 0.5 ? 0 : 1)); // millisecond stamps, jittered
        const key = sinceKey === 0 || (sinceKey > 10 && rand() < 0.04);
        sinceKey = key ? 1 : sinceKey + 1;
        const dts = ms * 90;
        s.stream.push(new Uint8Array(50), s.tracks.video!, dts, bframes && !key ? dts + 2 * Math.round(frameMs * 90) : dts, key);
        for (;;) {
          const ams = Math.round((audioN * 1024 * 1000) / 44_100);
          if (ams > ms + audioLeadMs) break;
          audioN++;
          if (gaps && rand() < 0.02) continue;
          s.stream.push(new Uint8Array(10), s.tracks.audio!, Math.round((ams * 44_100) / 1000), Math.round((ams * 44_100) / 1000), true);
        }
        s.stream.flush();
      }
      const tl = seg.timeline;
      const ends = new Map<number, number>();
      let parts = 0;
      for (const x of tl.segments) {
        for (const p of x.parts) {
          if (!p.complete) continue;
          parts++;
          expect(p.durationSec).toBeLessThanOrEqual(tl.partTargetSec + 1e-9);
          for (const f of fragments(p.bytes)) {
            expect(f.tfdt).toBeGreaterThanOrEqual(0);
            const end = ends.get(f.trackId);
            if (end !== undefined) {
              if (gaps) expect(f.tfdt).toBeGreaterThanOrEqual(end);
              else expect({ track: f.trackId, tfdt: f.tfdt }).toEqual({ track: f.trackId, tfdt: end });
            }
            ends.set(f.trackId, f.tfdt + f.durations.reduce((a, b) => a + b, 0));
          }
        }
      }
      expect(parts).toBeGreaterThan((0.8 * 600 * frameMs) / 1000 / tl.partTargetSec);
      if (!gaps) checkPartDurations(tl);
    });
  }
});
