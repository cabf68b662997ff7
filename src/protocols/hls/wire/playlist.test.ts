/**
 * Rendered playlists against golden files (testdata/*.m3u8; `UPDATE_GOLDEN=1 bun test` rewrites
 * them), and every one parsed back by hls-parser in strict mode: the tags and attributes it reads
 * must be the ones the timeline says.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as HLS from "hls-parser";
import type { MasterPlaylist, MediaPlaylist } from "hls-parser/types.js";
import { CMAF_URLS, type CmafTimeline } from "../../cmaf/model.ts";
import { HLS_VERSION, HLS_VERSION_SKIP, renderMediaPlaylist, skippedSegmentCount } from "./media-playlist.ts";
import { renderMultivariant, type MultivariantOptions } from "./multivariant.ts";
import { PlaylistCache } from "./playlist-cache.ts";
import { FIXTURE_AUDIO, FIXTURE_VIDEO, buildTimeline, liveTimeline } from "./timeline.fixtures.ts";

HLS.setOptions({ strictMode: true, silent: true });

const TESTDATA = join(import.meta.dir, "testdata");

function golden(name: string, text: string): void {
  const path = join(TESTDATA, name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, "utf8"));
}

const MULTIVARIANT_CASES: { name: string; file: string; timeline: CmafTimeline; opts?: MultivariantOptions }[] = [
  { name: "video and audio", file: "multivariant-av.m3u8", timeline: liveTimeline() },
  { name: "with AVERAGE-BANDWIDTH", file: "multivariant-av-average.m3u8", timeline: liveTimeline(), opts: { averageBandwidth: 2_301_234.5 } },
  { name: "audio only", file: "multivariant-audio.m3u8", timeline: liveTimeline({ tracks: [FIXTURE_AUDIO] }) },
];

const MEDIA_CASES: { name: string; file: string; timeline: CmafTimeline; skip: boolean }[] = [
  { name: "incomplete last segment", file: "media-av.m3u8", timeline: liveTimeline(), skip: false },
  { name: "delta update (_HLS_skip=YES)", file: "media-av-skip.m3u8", timeline: liveTimeline(), skip: true },
  { name: "last segment just completed: the hint is part 0 of the next", file: "media-av-boundary.m3u8", timeline: liveTimeline({ openParts: 0 }), skip: false },
  { name: "a part being filled is not listed", file: "media-av-filling.m3u8", timeline: liveTimeline({ openParts: 2, partInProgress: true }), skip: false },
  { name: "a new segment with no complete part yet", file: "media-av-empty-open.m3u8", timeline: liveTimeline({ openParts: 0, partInProgress: true }), skip: false },
  { name: "audio only", file: "media-audio.m3u8", timeline: liveTimeline({ tracks: [FIXTURE_AUDIO], complete: 4, openParts: 4 }), skip: false },
  { name: "audio only, delta update", file: "media-audio-skip.m3u8", timeline: liveTimeline({ tracks: [FIXTURE_AUDIO], complete: 9, openParts: 1 }), skip: true },
  {
    name: "uneven segments (cut at keyframes), TARGETDURATION 3",
    file: "media-uneven.m3u8",
    timeline: buildTimeline({ firstMsn: 7, segments: [12, 15, [200, 200, 200, 200, 120], 13, 4], lastIncomplete: true }),
    skip: false,
  },
  {
    name: "delta update with nothing old enough to skip",
    file: "media-short-skip.m3u8",
    timeline: liveTimeline({ complete: 3, openParts: 5 }),
    skip: true,
  },
];

describe("multivariant playlist", () => {
  for (const c of MULTIVARIANT_CASES) {
    test(c.name, () => {
      const text = renderMultivariant(c.timeline, c.opts);
      golden(c.file, text);
      const pl = HLS.parse(text) as MasterPlaylist;
      expect(pl.isMasterPlaylist).toBe(true);
      expect(pl.version).toBe(HLS_VERSION);
      expect(pl.independentSegments).toBe(true);
      expect(pl.variants.length).toBe(1);
      const v = pl.variants[0]!;
      const video = c.timeline.tracks.find((t) => t.kind === "video");
      expect({ uri: v.uri, bandwidth: v.bandwidth, averageBandwidth: v.averageBandwidth, codecs: v.codecs, resolution: v.resolution, frameRate: v.frameRate }).toEqual({
        uri: CMAF_URLS.mediaPlaylist,
        bandwidth: c.timeline.tracks.reduce((a, t) => a + t.bandwidth, 0),
        averageBandwidth: c.opts?.averageBandwidth === undefined ? undefined : Math.ceil(c.opts.averageBandwidth),
        codecs: c.timeline.tracks.map((t) => t.codecString).join(","),
        resolution: video ? { width: video.width!, height: video.height! } : undefined,
        frameRate: video ? Number(video.frameRate!.toFixed(3)) : undefined,
      });
    });
  }

  test("FRAME-RATE has three decimals", () => {
    expect(renderMultivariant(liveTimeline())).toContain(",FRAME-RATE=29.970\n");
    expect(renderMultivariant(liveTimeline({ tracks: [{ ...FIXTURE_VIDEO, frameRate: 25 }] }))).toContain(",FRAME-RATE=25.000\n");
  });
});

/** What hls-parser should read back, built from the timeline without the renderer's code. */
function expectedSegments(timeline: CmafTimeline, skipped: number) {
  const out: { msn: number; uri: string; duration: number | undefined; pdt: number | undefined; parts: { uri: string; duration: number | undefined; independent: boolean; hint: boolean }[] }[] = [];
  for (const seg of timeline.segments.slice(skipped)) {
    const parts = seg.parts.filter((p) => p.complete);
    if (!seg.complete && !parts.length) continue;
    out.push({
      msn: seg.msn,
      uri: seg.complete ? CMAF_URLS.segment(seg.msn) : "",
      duration: seg.complete ? seg.durationSec : undefined,
      pdt: seg.programDateTimeMs,
      parts: seg.msn > timeline.nextMsn - 3 ? parts.map((p) => ({ uri: CMAF_URLS.part(seg.msn, p.index), duration: p.durationSec, independent: p.independent, hint: false })) : [],
    });
  }
  const hint = { uri: CMAF_URLS.part(timeline.nextMsn, timeline.nextPart), duration: undefined, independent: false, hint: true };
  const last = out[out.length - 1];
  if (last && last.msn === timeline.nextMsn) last.parts.push(hint);
  // A segment with nothing listed yet gets no PROGRAM-DATE-TIME: only its hint.
  else out.push({ msn: timeline.nextMsn, uri: "", duration: undefined, pdt: undefined, parts: [hint] });
  return out;
}

describe("media playlist", () => {
  for (const c of MEDIA_CASES) {
    test(c.name, () => {
      const text = renderMediaPlaylist(c.timeline, { skip: c.skip });
      golden(c.file, text);
      const pl = HLS.parse(text) as MediaPlaylist;
      const td = c.timeline.targetDurationSec;
      const skipped = c.skip ? skippedSegmentCount(c.timeline) : 0;
      expect(pl.isMasterPlaylist).toBe(false);
      expect(pl.version).toBe(skipped ? HLS_VERSION_SKIP : HLS_VERSION);
      expect(pl.targetDuration).toBe(td);
      expect(pl.mediaSequenceBase).toBe(c.timeline.segments[0]!.msn);
      expect(pl.skip).toBe(skipped);
      expect(pl.endlist).toBe(false);
      expect(pl.partTargetDuration).toBe(c.timeline.partTargetSec);
      expect(pl.lowLatencyCompatibility).toEqual({ canBlockReload: true, canSkipUntil: 6 * td, holdBack: 3 * td, partHoldBack: Number((3 * c.timeline.partTargetSec).toFixed(3)) });
      const segs = pl.segments.map((s) => ({
        msn: s.mediaSequenceNumber,
        uri: s.uri,
        duration: s.duration as number | undefined, // undefined for a segment that has only parts
        pdt: s.programDateTime?.getTime(),
        parts: s.parts.map((p) => ({ uri: p.uri, duration: p.duration, independent: !!p.independent, hint: p.hint })),
      }));
      expect(segs).toEqual(expectedSegments(c.timeline, skipped));
      for (const s of pl.segments) if (s.uri) expect(s.map?.uri).toBe(CMAF_URLS.init);
    });
  }

  test("the delta update lists exactly the segments within the Skip Boundary (6 target durations) of the end", () => {
    const t = liveTimeline({ complete: 8, openParts: 3 }); // 16.6 s: segments ending before 4.6 s go
    expect(skippedSegmentCount(t)).toBe(2);
    expect(skippedSegmentCount(liveTimeline({ complete: 8, openParts: 0 }))).toBe(1); // 16 s: only the one ending at 2 s (the one ending at 4 s is exactly 12 s out)
    expect(skippedSegmentCount(liveTimeline({ complete: 6, openParts: 9 }))).toBe(0);
    const text = renderMediaPlaylist(t, { skip: true });
    expect(text).not.toContain(CMAF_URLS.segment(101));
    expect(text).toContain(CMAF_URLS.segment(102));
    // no PDT of a skipped segment survives
    expect(text).not.toContain(new Date(t.segments[1]!.programDateTimeMs).toISOString());
    expect(text).toContain(new Date(t.segments[2]!.programDateTimeMs).toISOString());
  });

  test("parts are listed for the open segment and the two before it only", () => {
    const text = renderMediaPlaylist(liveTimeline({ firstMsn: 100, complete: 8, openParts: 3 }));
    expect(text).not.toContain(`URI="part-105.`);
    expect(text).toContain(`URI="part-106.0.m4s",INDEPENDENT=YES`);
    expect(text).toContain(`URI="part-107.9.m4s"\n`);
    expect(text).toContain(`URI="part-108.2.m4s"`);
    expect(text.endsWith(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-108.3.m4s"\n`)).toBe(true);
  });

  test("PROGRAM-DATE-TIME is ISO 8601 UTC with milliseconds", () => {
    const t = buildTimeline({ segments: [[333], [333]], lastIncomplete: true, startMs: Date.UTC(2025, 5, 30, 23, 59, 59, 900), partTargetMs: 400 });
    const text = renderMediaPlaylist(t);
    expect(text).toContain("#EXT-X-PROGRAM-DATE-TIME:2025-06-30T23:59:59.900Z\n");
    expect(text).toContain("#EXT-X-PROGRAM-DATE-TIME:2025-07-01T00:00:00.233Z\n");
    expect(text).toContain("#EXTINF:0.33300,\n");
  });
});

describe("PlaylistCache", () => {
  test("renders each playlist at most once per timeline version and returns the same bytes", () => {
    const cache = new PlaylistCache();
    const t = liveTimeline();
    const a = cache.media(t, false);
    expect(cache.media(t, false)).toBe(a);
    const d = cache.media(t, true);
    expect(cache.media(t, true)).toBe(d);
    const m = cache.multivariant(t);
    expect(cache.multivariant(t)).toBe(m);
    expect(cache.renders).toBe(3);
    expect(new TextDecoder().decode(a)).toBe(renderMediaPlaylist(t));
    expect(new TextDecoder().decode(d)).toBe(renderMediaPlaylist(t, { skip: true }));

    t.version++;
    const b = cache.media(t, false);
    expect(b).not.toBe(a);
    expect(cache.renders).toBe(4);
  });
});
