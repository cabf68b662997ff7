import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../core/fuzz.ts";
import { LossList } from "./loss-list.ts";
import { LossReport } from "./wire/control.ts";

/** The same operations on a Set, to compare against. */
function check(l: LossList, model: Set<number>) {
  expect(l.size).toBe(model.size);
  const sorted = [...model].sort((a, b) => a - b);
  expect(l.firstSeq()).toBe(sorted.length ? sorted[0]! : -1);
  for (const s of sorted) expect(l.has(s)).toBe(true);
}

describe("LossList", () => {
  test("append merges adjacent ranges, remove splits them", () => {
    const l = new LossList();
    l.append(10, 12);
    l.append(13, 15);
    expect(l.rangeCount).toBe(1);
    expect(l.remove(12)).toBe(true);
    expect(l.remove(12)).toBe(false);
    expect(l.rangeCount).toBe(2);
    expect([l.firstSeq(), l.firstRangeLast(), l.size]).toEqual([10, 11, 5]);
  });

  test("removeBelow trims and counts", () => {
    const l = new LossList();
    l.append(10, 12);
    l.append(20, 29);
    expect(l.removeBelow(25)).toBe(8);
    expect([l.firstSeq(), l.size]).toEqual([25, 5]);
  });

  test("random operations agree with a set", () => {
    const rng = mulberry32(4);
    const l = new LossList(64);
    const model = new Set<number>();
    let top = 1000;
    for (let i = 0; i < 5000; i++) {
      const op = rng.below(4);
      if (op === 0) {
        const first = top + 1 + rng.below(3);
        const last = first + rng.below(5);
        l.append(first, last);
        for (let s = first; s <= last; s++) model.add(s);
        top = last;
        // The list gives up its oldest ranges when full; mirror that.
        while (l.rangeCount < countRanges(model)) dropOldest(model);
      } else if (op === 1) {
        const s = top - rng.below(40);
        expect(l.remove(s)).toBe(model.delete(s));
        while (l.rangeCount < countRanges(model)) dropOldest(model);
      } else if (op === 2) {
        const from = top - rng.below(40);
        const to = from + rng.below(10);
        let n = 0;
        for (let s = from; s <= to; s++) if (model.delete(s)) n++;
        expect(l.removeRange(from, to)).toBe(n);
      } else {
        const below = top - 30 - rng.below(20);
        let n = 0;
        for (const s of [...model]) if (s < below && model.delete(s)) n++;
        expect(l.removeBelow(below)).toBe(n);
      }
      check(l, model);
    }
  });

  test("fills a NAK report with wire sequence numbers", () => {
    const l = new LossList();
    l.append(2 ** 31 + 5, 2 ** 31 + 5);
    l.append(2 ** 31 + 9, 2 ** 31 + 12);
    const r = new LossReport();
    l.fillReport(r);
    expect([r.count, r.first[0], r.last[0], r.first[1], r.last[1]]).toEqual([2, 5, 5, 9, 12]);
  });

  test("asks for each range again when its re-NAK time comes, then once more a tick later", () => {
    const l = new LossList();
    const r = new LossReport();
    const due = (now: number) => (l.fillDue(r, now, 60_000, 10_000) ? [...r.first.subarray(0, r.count)] : []);
    l.append(10, 12, 0); // reported at once by the caller
    expect(due(5_000)).toEqual([]);
    expect(due(10_000)).toEqual([10]); // the follow-up, in case the first NAK was lost
    expect(due(20_000)).toEqual([]);
    l.append(20, 20, 30_000);
    expect(due(40_000)).toEqual([20]);
    expect(due(60_000)).toEqual([10]); // the gate of the first range has opened
    expect(due(70_000)).toEqual([10]);
    expect(due(80_000)).toEqual([]);
    // A range split by a packet that arrived keeps its timing on both sides.
    expect(l.remove(11)).toBe(true);
    expect(due(90_000)).toEqual([20]);
    expect(due(120_000)).toEqual([10, 12, 20]); // 10 and 12 due again; 20 its follow-up
  });
});

function countRanges(model: Set<number>): number {
  const sorted = [...model].sort((a, b) => a - b);
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i]! !== sorted[i - 1]! + 1) n++;
  return n;
}

function dropOldest(model: Set<number>): void {
  const sorted = [...model].sort((a, b) => a - b);
  let i = 0;
  do model.delete(sorted[i]!);
  while (++i < sorted.length && sorted[i] === sorted[i - 1]! + 1);
}
