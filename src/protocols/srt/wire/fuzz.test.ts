/** The SRT wire fuzz targets, 3,000 mutants each through the shared harness: nothing but ProtocolError may escape. */
import { expect, test } from "bun:test";
import { fuzz } from "../../../core/fuzz.ts";
import { target as handshake } from "./handshake.fuzz.ts";
import { target as packet } from "./packet.fuzz.ts";

for (const t of [packet, handshake]) {
  test(`fuzz ${t.name}`, () => {
    const r = fuzz(t, { iterations: 3000, seed: 0x5eed });
    expect(r.crashes.map((c) => String(c.error))).toEqual([]);
    expect(r.hangs).toEqual([]);
    expect(r.iterations).toBe(3000);
  });
}
