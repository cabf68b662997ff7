import { describe, expect, test } from "bun:test";
import { advancePartLimit, blockingDecision, blockingTimeoutMs, partRequestDecision } from "./blocking.ts";
import { buildTimeline, liveTimeline } from "./timeline.fixtures.ts";

// Segments 100..107 complete (ten 200 ms parts each), 108 open with parts 0..2; the hint is 108.3.
const open = liveTimeline({ firstMsn: 100, complete: 8, openParts: 3 });
// Segments 100..107 complete; the hint is 108.0.
const boundary = liveTimeline({ firstMsn: 100, complete: 8, openParts: 0 });

describe("blockingDecision (RFC 8216bis §6.2.5.2)", () => {
  const cases: [string, typeof open, number, number | undefined, ReturnType<typeof blockingDecision>][] = [
    ["an existing part", open, 108, 2, "ready"],
    ["the hinted part", open, 108, 3, "wait"],
    ["a part of a complete segment", open, 107, 9, "ready"],
    ["a part index past its segment's last means part 0 of the next, which exists", open, 107, 15, "ready"],
    ["the same at the boundary: 107 has parts 0..9 and 108.0 does not exist yet", boundary, 107, 10, "wait"],
    ["the last part at the boundary", boundary, 107, 9, "ready"],
    ["an msn older than the window: answer now with the current playlist", open, 3, undefined, "ready"],
    ["a part of an msn older than the window", open, 3, 7, "ready"],
    ["msn alone, complete segment", open, 107, undefined, "ready"],
    ["msn alone, the open segment: wait for it to complete", open, 108, undefined, "wait"],
    ["msn alone, one past the open one", open, 109, undefined, "wait"],
    ["msn alone, last + 2", open, 110, undefined, "wait"],
    ["msn alone, last + 3 is too far", open, 111, undefined, "too-far"],
    ["at the boundary the last segment in the playlist is 107: 110 is too far", boundary, 110, undefined, "too-far"],
    ["at the boundary, 109 waits", boundary, 109, undefined, "wait"],
    ["a part within the Advance Part Limit (15 parts at 200 ms)", open, 108, 17, "wait"],
    ["a part past the Advance Part Limit", open, 108, 18, "too-far"],
    ["part 0 of the next segment", open, 109, 0, "wait"],
    ["a part of the next segment within the limit", open, 109, 14, "wait"],
    ["a part of the next segment past the limit", open, 109, 15, "too-far"],
    ["msn + part more than two segments ahead", open, 111, 0, "too-far"],
    ["a huge msn", open, Number.MAX_SAFE_INTEGER, 0, "too-far"],
    ["a huge part", open, 108, Number.MAX_SAFE_INTEGER, "too-far"],
  ];
  for (const [name, timeline, msn, part, want] of cases) {
    test(`${name}: ${msn}${part === undefined ? "" : `.${part}`} → ${want}`, () => {
      expect(blockingDecision(timeline, msn, part)).toBe(want);
    });
  }

  test("an empty window (nothing cut yet) waits for the first part and refuses far requests", () => {
    const empty = buildTimeline({ firstMsn: 5, segments: [] });
    expect(empty.nextMsn).toBe(5);
    expect(blockingDecision(empty, 5, 0)).toBe("wait");
    expect(blockingDecision(empty, 5, undefined)).toBe("wait");
    expect(blockingDecision(empty, 4, undefined)).toBe("ready");
    expect(blockingDecision(empty, 7, undefined)).toBe("too-far");
  });
});

describe("partRequestDecision (RFC 8216bis §6.2.6)", () => {
  const filling = liveTimeline({ firstMsn: 100, complete: 8, openParts: 3, partInProgress: true });
  const cases: [string, typeof open, number, number, ReturnType<typeof partRequestDecision>][] = [
    ["a complete part of the open segment", open, 108, 2, "ready"],
    ["a part of an old segment still in the window", open, 100, 0, "ready"],
    ["the hinted part", open, 108, 3, "wait"],
    ["the hinted part while it is being filled", filling, 108, 3, "wait"],
    ["the part after the hint", open, 108, 4, "not-found"],
    ["the next segment's first part while 108 is open", open, 109, 0, "not-found"],
    ["the hint at a boundary", boundary, 108, 0, "wait"],
    ["past the last part of a complete segment", boundary, 107, 10, "not-found"],
    ["before the window", open, 99, 0, "not-found"],
    ["far future", open, 1e15, 0, "not-found"],
  ];
  for (const [name, timeline, msn, index, want] of cases) {
    test(`${name}: ${msn}.${index} → ${want}`, () => {
      expect(partRequestDecision(timeline, msn, index)).toBe(want);
    });
  }
});

test("Advance Part Limit: 3 / PART-TARGET under one second, else 3", () => {
  expect(Math.floor(advancePartLimit(0.2))).toBe(15);
  expect(Math.floor(advancePartLimit(0.3))).toBe(10);
  expect(Math.floor(advancePartLimit(0.5))).toBe(6);
  expect(advancePartLimit(1)).toBe(3);
  expect(advancePartLimit(2)).toBe(3);
});

test("a blocked request gives up after three target durations", () => {
  expect(blockingTimeoutMs(open)).toBe(6000);
});
