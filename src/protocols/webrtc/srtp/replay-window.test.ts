import { expect, test } from "bun:test";
import { REPLAY_WINDOW_SIZE, ReplayWindow } from "./replay-window.ts";

test("replay window: new, duplicate, out of order inside the window, too old", () => {
  const w = new ReplayWindow();
  expect(w.check(100)).toBe(true);
  w.accept(100);
  expect(w.check(100)).toBe(false);
  expect(w.check(99)).toBe(true);
  w.accept(99);
  expect(w.check(99)).toBe(false);
  expect(w.check(100 - REPLAY_WINDOW_SIZE + 1)).toBe(true);
  expect(w.check(100 - REPLAY_WINDOW_SIZE)).toBe(false);
  expect(w.check(101)).toBe(true);
});

test("replay window: every shift from 1 to 70 keeps exactly the indices still inside", () => {
  for (let shift = 1; shift <= 70; shift++) {
    const w = new ReplayWindow();
    const seen = new Set<number>();
    for (let i = 1000; i < 1064; i += 3) {
      w.accept(i);
      seen.add(i);
    }
    const top = 1063 + shift;
    w.accept(top);
    seen.add(top);
    for (let i = top - 80; i <= top + 2; i++) {
      const expected = i > top || (top - i < REPLAY_WINDOW_SIZE && !seen.has(i));
      expect([i, w.check(i)]).toEqual([i, expected]);
    }
  }
});

test("replay window: a random order of 10,000 indices, each accepted once", () => {
  const w = new ReplayWindow();
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const accepted = new Set<number>();
  for (let n = 0; n < 10_000; n++) {
    const i = Math.max(0, w.max + Math.floor(rnd() * 100) - 70);
    const fresh = !accepted.has(i) && (w.max < 0 || i > w.max - REPLAY_WINDOW_SIZE);
    expect(w.check(i)).toBe(fresh);
    if (fresh) {
      w.accept(i);
      accepted.add(i);
    }
  }
});
