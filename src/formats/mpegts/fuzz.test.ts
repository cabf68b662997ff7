/** The demuxer fuzz target, 2,000 mutants through the shared harness: nothing but ProtocolError may escape. */
import { expect, test } from "bun:test";
import { fuzz } from "../../core/fuzz.ts";
import { target } from "./demuxer.fuzz.ts";

test(`fuzz ${target.name}`, () => {
  const r = fuzz(target, { iterations: 2000, seed: 0x5eed });
  expect(r.crashes.map((c) => String(c.error))).toEqual([]);
  expect(r.hangs).toEqual([]);
  expect(r.iterations).toBe(2000);
});
