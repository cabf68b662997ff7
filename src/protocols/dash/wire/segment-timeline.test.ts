import { describe, expect, test } from "bun:test";
import { AAC_TRACK, fakeTimeline, H264_TRACK } from "./mpd-cases.ts";
import { nominalSegmentTicks, renderRuns, trackTimeline } from "./segment-timeline.ts";

describe("trackTimeline", () => {
  test("equal durations become one run with @r; a different one starts a run without @t", () => {
    const tl = fakeTimeline({ tracks: [H264_TRACK], firstMsn: 7, startSec: 14, segmentSec: [2, 2, 2, 1.5, 2] });
    const out = trackTimeline(tl, 0, nominalSegmentTicks(tl, 0));
    expect(out.startNumber).toBe(7);
    expect(renderRuns(out.runs, "")).toBe('<S t="1260000" d="180000" r="2"/>\n<S d="135000"/>\n<S d="180000"/>\n');
    expect(out.completeTicks).toBe(9.5 * 90_000);
    expect(out.maxTicks).toBe(180_000);
  });

  test("a gap in media time repeats @t", () => {
    const tl = fakeTimeline({ tracks: [H264_TRACK], firstMsn: 0, startSec: 0, segmentSec: [2, 2, 2] });
    const third = tl.segments[2]!;
    tl.segments[2] = { ...third, startTime: [third.startTime[0]! + 9000] };
    expect(renderRuns(trackTimeline(tl, 0, 180_000).runs, "")).toBe('<S t="0" d="180000" r="1"/>\n<S t="369000" d="180000"/>\n');
  });

  test("the open segment is announced with the last complete duration, or what it holds if longer", () => {
    const tl = fakeTimeline({ tracks: [H264_TRACK, AAC_TRACK], firstMsn: 0, startSec: 0, segmentSec: [2, 1.5], openSec: 0.4 });
    expect(nominalSegmentTicks(tl, 0)).toBe(135_000);
    expect(trackTimeline(tl, 0, 135_000).runs.at(-1)).toEqual({ t: 180_000, d: 135_000, r: 1, explicitT: false });
    const long = fakeTimeline({ tracks: [H264_TRACK], firstMsn: 0, startSec: 0, segmentSec: [1], openSec: 1.6 });
    const runs = trackTimeline(long, 0, nominalSegmentTicks(long, 0)).runs;
    expect(runs.at(-1)).toEqual({ t: 90_000, d: 144_000, r: 0, explicitT: false });
  });

  test("a complete segment in which the track had no sample ends what can be listed before it", () => {
    const tl = fakeTimeline({ tracks: [H264_TRACK, AAC_TRACK], firstMsn: 3, startSec: 6, segmentSec: [2, 2, 2, 2] });
    const second = tl.segments[1]!;
    tl.segments[1] = { ...second, duration: [second.duration[0]!, 0] };
    const audio = trackTimeline(tl, 1, nominalSegmentTicks(tl, 1));
    expect(audio.startNumber).toBe(5);
    expect(audio.runs[0]!.t).toBe(tl.segments[2]!.startTime[1]!);
    expect(trackTimeline(tl, 0, 180_000).startNumber).toBe(3);
  });

  test("an empty window lists nothing and numbers from nextMsn", () => {
    const tl = fakeTimeline({ tracks: [H264_TRACK], firstMsn: 12, startSec: 0, segmentSec: [] });
    expect(trackTimeline(tl, 0, 180_000)).toEqual({ startNumber: 12, runs: [], maxTicks: 0, completeTicks: 0 });
  });
});
