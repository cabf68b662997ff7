/** The case tables through each codec's Depacketizer (and, where marked, back through its Packetizer). */
import { describe, expect, test } from "bun:test";
import { DepacketizerStats } from "./depacketizer.ts";
import { CASES, caseConfig, depacketizerFor, makeFrame, packetizerFor, RecordingSink, RTP_CODECS } from "./harness.ts";
import { PayloadBatch } from "./payload-batch.ts";
import type { DepacketizeCase } from "./rtp-case.ts";

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

function run(codec: (typeof RTP_CODECS)[number], c: DepacketizeCase) {
  const sink = new RecordingSink();
  const d = depacketizerFor(codec, sink);
  let seq = 0;
  for (const p of c.packets) {
    seq = p.seq ?? seq;
    d.push(p.payload, p.marker, p.timestamp, seq);
    seq = (seq + 1) & 0xffff;
  }
  return { sink, d };
}

for (const codec of RTP_CODECS) {
  describe(`${codec} depacketizer`, () => {
    for (const c of CASES[codec]) {
      test(c.name, () => {
        const before = c.packets.map((p) => hexOf(p.payload));
        const { sink, d } = run(codec, c);
        expect(c.packets.map((p) => hexOf(p.payload))).toEqual(before); // input never written to
        expect(sink.frames.map((f) => [hexOf(f.payload), f.timestamp, f.keyframe])).toEqual(c.frames.map((f) => [hexOf(f.payload), f.timestamp, f.keyframe]));
        expect(sink.configs.map((s) => s.map(hexOf))).toEqual((c.configs ?? []).map((s) => s.map(hexOf)));
        if (sink.configs.length) expect(sink.order.indexOf("config")).toBeLessThan(sink.order.indexOf("frame"));
        const stats: Partial<DepacketizerStats> = { ...(c.stats ?? {}) };
        const got = Object.fromEntries(Object.keys(stats).map((k) => [k, d.stats[k as keyof DepacketizerStats]]));
        expect(got).toEqual(stats);
        expect(d.stats.frames).toBe(c.frames.length);
        if (!c.stats) expect([d.stats.malformed, d.stats.unsupported, d.stats.lost, d.stats.oversize]).toEqual([0, 0, 0, 0]);
      });
    }
  });

  describe(`${codec} packetizer writes the cases marked packetized`, () => {
    for (const c of CASES[codec].filter((c) => c.packetized)) {
      test(c.name, () => {
        const p = packetizerFor(codec, {}, caseConfig(codec, c));
        const out = new PayloadBatch();
        const got: [string, boolean, number][] = [];
        for (const f of c.frames) {
          const n = p.packetize(makeFrame(f.payload, f.timestamp, f.keyframe), out);
          for (let i = 0; i < n; i++) got.push([hexOf(out.payload(i)), out.markers[i] === 1, out.timestamp]);
        }
        expect(got).toEqual(c.packets.map((p) => [hexOf(p.payload), p.marker, p.timestamp]));
      });
    }
  });
}

test("stats start at zero", () => {
  expect(Object.values(new DepacketizerStats()).every((v) => v === 0)).toBe(true);
});
