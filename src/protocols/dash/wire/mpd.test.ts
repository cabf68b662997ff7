import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CMAF_URLS, type CmafTimeline } from "../../cmaf/model.ts";
import { AAC_TRACK, AST_MS, fakeTimeline, H264_TRACK, MPD_CASES, type MpdCase } from "./mpd-cases.ts";
import { MpdCache, renderMpd, UTC_TIMING_SCHEME } from "./mpd.ts";
import { nominalSegmentTicks } from "./segment-timeline.ts";
import { findAll, findOne, parseXml, type XmlElement } from "./xml-tree.ts";

const TESTDATA = join(import.meta.dir, "testdata");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** xs:duration as the MPDs write it (PT<seconds>S) back to seconds. */
function seconds(d: string): number {
  const m = /^PT([0-9.]+)S$/.exec(d);
  if (!m) throw new Error(`not PTnS: ${d}`);
  return Number(m[1]);
}

/** The segments a SegmentTimeline describes, numbered as $Number$ counts them. */
function expand(template: XmlElement): { number: number; t: number; d: number }[] {
  const out: { number: number; t: number; d: number }[] = [];
  let number = Number(template.attrs.startNumber);
  let t = 0;
  for (const s of findOne(template, "SegmentTimeline").children) {
    if (s.attrs.t !== undefined) t = Number(s.attrs.t);
    const d = Number(s.attrs.d);
    for (let r = 0; r <= Number(s.attrs.r ?? 0); r++) {
      out.push({ number: number++, t, d });
      t += d;
    }
  }
  return out;
}

describe("golden MPDs", () => {
  for (const c of MPD_CASES) {
    test(c.name, async () => {
      const text = renderMpd(c.timeline, c.opts);
      const file = Bun.file(join(TESTDATA, `${c.name}.mpd`));
      if (UPDATE || !(await file.exists())) await Bun.write(file, text);
      expect(text).toBe(await file.text());
    });
  }
});

function checkCommon(c: MpdCase, mpd: XmlElement): void {
  const { timeline, opts } = c;
  expect(mpd.name).toBe("MPD");
  expect(mpd.attrs.type).toBe("dynamic");
  expect(mpd.attrs.profiles!.split(",")).toEqual(expect.arrayContaining(["urn:mpeg:dash:profile:isoff-live:2011", "urn:mpeg:dash:profile:cmaf:2019"]));
  expect(Date.parse(mpd.attrs.availabilityStartTime!)).toBe(AST_MS);
  expect(Date.parse(mpd.attrs.publishTime!)).toBe(opts.nowMs);
  expect(mpd.attrs.suggestedPresentationDelay).toBeUndefined();
  const latency = findOne(mpd, "Latency");
  expect(Number(latency.attrs.target)).toBe(opts.targetLatencyMs);
  expect(Number(latency.attrs.min)).toBeLessThan(opts.targetLatencyMs);
  expect(Number(latency.attrs.max)).toBeGreaterThan(opts.targetLatencyMs);
  expect(findOne(mpd, "PlaybackRate").attrs).toEqual({ min: "0.96", max: "1.04" });
  // The MPD's own UTCTiming is its last child; each ProducerReferenceTime repeats it.
  const utc = mpd.children[mpd.children.length - 1]!;
  expect(utc.name).toBe("UTCTiming");
  expect(utc.attrs).toEqual({ schemeIdUri: UTC_TIMING_SCHEME, value: opts.timeUrl });
  for (const prt of findAll(mpd, "ProducerReferenceTime")) expect(prt.children[0]!.attrs).toEqual(utc.attrs);

  const sets = findAll(mpd, "AdaptationSet");
  expect(sets.length).toBe(timeline.tracks.length);
  sets.forEach((set, i) => {
    const track = timeline.tracks[i]!;
    expect(set.attrs.contentType).toBe(track.kind);
    expect(set.attrs.mimeType).toBe(`${track.kind}/mp4`);
    const rep = findOne(set, "Representation");
    expect(rep.attrs.id).toBe(String(track.trackId));
    expect(rep.attrs.codecs).toBe(track.codecString);
    expect(Number(rep.attrs.bandwidth)).toBe(track.bandwidth);
    if (track.kind === "video") {
      expect([rep.attrs.width, rep.attrs.height].map(Number)).toEqual([track.width!, track.height!]);
      expect(rep.attrs.frameRate).toMatch(/^[0-9]+(\/[1-9][0-9]*)?$/);
    } else {
      expect(Number(rep.attrs.audioSamplingRate)).toBe(track.sampleRate!);
      expect(findOne(rep, "AudioChannelConfiguration").attrs.value).toBe(String(track.channels));
    }
    const tpl = findOne(set, "SegmentTemplate");
    expect(tpl.attrs.initialization).toBe(CMAF_URLS.dashInitTemplate);
    expect(tpl.attrs.media).toBe(CMAF_URLS.dashMediaTemplate);
    expect(Number(tpl.attrs.timescale)).toBe(track.timescale);
    expect(tpl.attrs.availabilityTimeComplete).toBe("false");
    const nominalSec = (tpl.attrs.duration !== undefined ? Number(tpl.attrs.duration) : nominalSegmentTicks(timeline, i)) / track.timescale;
    expect(Number(tpl.attrs.availabilityTimeOffset)).toBeCloseTo(nominalSec - timeline.partTargetSec, 2);
  });
}

describe("MPD content", () => {
  for (const c of MPD_CASES) {
    test(`${c.name}: well-formed, with the attributes the player needs`, () => {
      checkCommon(c, parseXml(renderMpd(c.timeline, c.opts)));
    });
  }

  for (const c of MPD_CASES.filter((c) => (c.opts.mode ?? "timeline") === "timeline")) {
    test(`${c.name}: the SegmentTimeline lists the window, the open segment once its first part exists`, () => {
      const mpd = parseXml(renderMpd(c.timeline, c.opts));
      const maxSegmentSec = seconds(mpd.attrs.maxSegmentDuration!);
      findAll(mpd, "AdaptationSet").forEach((set, i) => {
        const track = c.timeline.tracks[i]!;
        const tpl = findOne(set, "SegmentTemplate");
        const ato = Number(tpl.attrs.availabilityTimeOffset);
        const listed = expand(tpl);
        expect(listed.map((s) => s.number)).toEqual(c.timeline.segments.map((s) => s.msn));
        listed.forEach((s, k) => {
          const seg = c.timeline.segments[k]!;
          expect(s.t).toBe(seg.startTime[i]!);
          expect(s.d / track.timescale).toBeLessThanOrEqual(maxSegmentSec);
          if (seg.complete) {
            expect(s.d).toBe(seg.duration[i]!);
            return;
          }
          expect(s.d).toBeGreaterThanOrEqual(seg.duration[i]!);
          // dash.js: available at AST + (t + d) / timescale − ato = the end of its first part.
          const availableMs = AST_MS + ((s.t + s.d) / track.timescale - ato) * 1000;
          const firstPartMs = AST_MS + (s.t / track.timescale + c.timeline.partTargetSec) * 1000;
          expect(availableMs).toBeGreaterThanOrEqual(firstPartMs - 0.5);
          expect(availableMs).toBeLessThanOrEqual(firstPartMs + 1.5);
        });
      });
    });
  }

  test("window-slid: numbering starts at the oldest msn in the window", () => {
    const c = MPD_CASES.find((c) => c.name === "window-slid")!;
    for (const tpl of findAll(parseXml(renderMpd(c.timeline, c.opts)), "SegmentTemplate")) expect(tpl.attrs.startNumber).toBe("41");
  });

  test("duration mode: $Number$ from availabilityStartTime lands on the newest segment's msn", () => {
    const c = MPD_CASES.find((c) => c.name === "duration-mode")!;
    const mpd = parseXml(renderMpd(c.timeline, c.opts));
    const newest = c.timeline.segments[c.timeline.segments.length - 1]!;
    findAll(mpd, "SegmentTemplate").forEach((tpl, i) => {
      expect(findAll(tpl, "SegmentTimeline")).toEqual([]);
      const duration = Number(tpl.attrs.duration);
      expect(duration).toBe(2 * c.timeline.tracks[i]!.timescale);
      expect(Number(tpl.attrs.startNumber) + Math.round(newest.startTime[i]! / duration)).toBe(newest.msn);
    });
  });

  test("attribute values are escaped", () => {
    const c = MPD_CASES.find((c) => c.name === "window-slid")!;
    const text = renderMpd(c.timeline, { ...c.opts, timeUrl: `/time?a=1&b="<x>"` });
    expect(text).toContain('value="/time?a=1&amp;b=&quot;&lt;x&gt;&quot;"');
    expect(findAll(parseXml(text), "UTCTiming")[0]!.attrs.value).toBe(`/time?a=1&b="<x>"`);
  });

  test("timeShiftBufferDepth covers the complete segments and at least twice the target latency", () => {
    const c = MPD_CASES.find((c) => c.name === "video-audio")!;
    expect(seconds(parseXml(renderMpd(c.timeline, c.opts)).attrs.timeShiftBufferDepth!)).toBeCloseTo(8, 2);
    const young = fakeTimeline({ tracks: [H264_TRACK, AAC_TRACK], firstMsn: 0, startSec: 0, segmentSec: [], openSec: 0.2, targetDurationSec: 2 });
    const mpd = parseXml(renderMpd(young, { ...c.opts, targetLatencyMs: 1500 }));
    expect(seconds(mpd.attrs.timeShiftBufferDepth!)).toBe(3);
    // Before any complete segment, the open one is announced with the target duration.
    expect(expand(findAll(mpd, "SegmentTemplate")[0]!)).toEqual([{ number: 0, t: 0, d: 2 * 90_000 }]);
  });
});

describe("MpdCache", () => {
  test("renders once per timeline version", () => {
    const c = MPD_CASES[0]!;
    const timeline: CmafTimeline = { ...c.timeline };
    const cache = new MpdCache();
    const first = cache.render(timeline, c.opts);
    expect(cache.render(timeline, { ...c.opts, nowMs: c.opts.nowMs + 5000 })).toBe(first);
    timeline.version++;
    const later = cache.render(timeline, { ...c.opts, nowMs: c.opts.nowMs + 5000 });
    expect(later).not.toBe(first);
    expect(Date.parse(parseXml(later).attrs.publishTime!)).toBe(c.opts.nowMs + 5000);
  });
});
