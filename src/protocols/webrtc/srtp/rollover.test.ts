import { expect, test } from "bun:test";
import { RolloverCounter } from "./rollover.ts";

test("RFC 3711 §3.3.1: index estimate across a wrap, late packets from before it, and back", () => {
  const r = new RolloverCounter();
  expect(r.estimate(65_530)).toBe(65_530);
  r.update(65_530);
  expect(r.estimate(65_535)).toBe(65_535);
  expect(r.estimate(3)).toBe(65_536 + 3); // wrapped
  r.update(65_536 + 3);
  expect(r.roc).toBe(1);
  expect(r.estimate(65_534)).toBe(65_534); // late, from ROC 0
  expect(r.estimate(40_000)).toBe(40_000); // more than half the space behind s_l = 3: ROC 0
  expect(r.estimate(30_000)).toBe(65_536 + 30_000);
  r.update(65_536 + 30_000);
  expect(r.estimate(60_000)).toBe(65_536 + 60_000);
  r.update(65_536 + 60_000);
  expect(r.estimate(2)).toBe(2 * 65_536 + 2);
  r.update(65_534); // an older packet never moves the state back
  expect([r.roc, r.highestSeq]).toEqual([1, 60_000]);
});

test("a packet that would belong to ROC -1 is reported as -1", () => {
  const r = new RolloverCounter();
  r.update(10);
  expect(r.estimate(60_000)).toBe(-1);
});
