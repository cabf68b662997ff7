/**
 * Real frames (testdata/, see its README) → packetizer → depacketizer → the same frames: every codec,
 * at the default and at small max payloads, with a random timestamp offset and a sequence number
 * that wraps. Then a lost packet: the damaged frame and what depends on it are dropped up to the
 * next keyframe. The caller hands packets over in sequence order (a reorder buffer is not ours).
 */
import { describe, expect, test } from "bun:test";
import { parseAvcConfig } from "../../../codecs/h264.ts";
import { concatBytes } from "../../../core/bytes.ts";
import type { Frame } from "../../../core/frame.ts";
import { allFixtures, type Fixture } from "./fixtures.ts";
import { depacketizerFor, packetizerFor, RecordingSink } from "./harness.ts";
import { PayloadBatch } from "./payload-batch.ts";

const OFFSET = 0xfff0_0000;
const FIRST_SEQ = 65_500;

/** What the depacketizer gives back for a frame: H.264 without parameter sets, AUD and filler. */
function expected(fx: Fixture, f: Frame): Uint8Array {
  if (fx.codec !== "h264") return f.payload;
  const parts: Uint8Array[] = [];
  for (let pos = 0; pos < f.payload.length; ) {
    const len = new DataView(f.payload.buffer, f.payload.byteOffset + pos).getUint32(0);
    const t = f.payload[pos + 4]! & 0x1f;
    if (t !== 7 && t !== 8 && t !== 9 && t !== 12) parts.push(f.payload.subarray(pos, pos + 4 + len));
    pos += 4 + len;
  }
  return concatBytes(parts);
}

interface Sent {
  payload: Uint8Array;
  marker: boolean;
  timestamp: number;
  seq: number;
  frame: number;
}

function packetizeAll(fx: Fixture, maxPayload: number): Sent[] {
  const p = packetizerFor(fx.codec, { maxPayload, timestampOffset: OFFSET, sequenceNumber: FIRST_SEQ }, fx.config);
  const out = new PayloadBatch({ headroom: 12, tailroom: 16 });
  const sent: Sent[] = [];
  fx.frames.forEach((f, i) => {
    const n = p.packetize(f, out);
    expect(n).toBeGreaterThan(0);
    for (let k = 0; k < n; k++) sent.push({ payload: out.payload(k).slice(), marker: out.markers[k] === 1, timestamp: out.timestamp, seq: out.sequence(k), frame: i });
  });
  expect(p.framesRefused).toBe(0);
  return sent;
}

for (const fx of allFixtures()) {
  const video = fx.codec !== "opus";
  describe(`${fx.name} round trip`, () => {
    for (const maxPayload of video ? [1200, 300, 64] : [1200]) {
      test(`max payload ${maxPayload}: every packet fits, marker on each frame's last, RTP time = pts, frames back unchanged`, () => {
        const sent = packetizeAll(fx, maxPayload);
        let seq = FIRST_SEQ;
        for (let i = 0; i < sent.length; i++) {
          const s = sent[i]!;
          expect(s.payload.length).toBeLessThanOrEqual(maxPayload);
          expect(s.seq).toBe(seq);
          seq = (seq + 1) & 0xffff;
          const lastOfFrame = i === sent.length - 1 || sent[i + 1]!.frame !== s.frame;
          expect(s.marker).toBe(video && lastOfFrame);
          expect(s.timestamp).toBe((fx.frames[s.frame]!.pts + OFFSET) >>> 0);
        }
        if (maxPayload === 1200 && fx.codec !== "opus") expect(sent.length).toBeGreaterThan(fx.frames.length); // some frames need several packets

        const sink = new RecordingSink();
        const d = depacketizerFor(fx.codec, sink);
        for (const s of sent) {
          const copy = s.payload.slice();
          d.push(s.payload, s.marker, s.timestamp, s.seq);
          expect(s.payload).toEqual(copy);
        }
        expect(d.stats).toMatchObject({ malformed: 0, unsupported: 0, lost: 0, framesDropped: 0, oversize: 0, frames: fx.frames.length });
        expect(sink.frames.length).toBe(fx.frames.length);
        fx.frames.forEach((f, i) => {
          const got = sink.frames[i]!;
          expect(got.timestamp).toBe((f.pts + OFFSET) >>> 0);
          expect(got.keyframe).toBe(f.keyframe);
          expect(Buffer.from(got.payload).equals(Buffer.from(expected(fx, f)))).toBe(true);
        });
        if (fx.codec === "h264") {
          const cfg = parseAvcConfig(fx.config!);
          expect(sink.configs).toEqual([[cfg.sps[0]!, cfg.pps[0]!]]);
        }
        if (fx.codec === "av1") expect(sink.configs.length).toBe(1);
      });
    }

    if (!video) {
      test("a lost packet loses one frame and nothing else", () => {
        const sent = packetizeAll(fx, 1200).filter((_, i) => i !== 10);
        const sink = new RecordingSink();
        const d = depacketizerFor(fx.codec, sink);
        for (const s of sent) d.push(s.payload, s.marker, s.timestamp, s.seq);
        expect(sink.frames.length).toBe(fx.frames.length - 1);
        expect(d.stats.lost).toBe(1);
      });
      return;
    }

    test("a lost packet in an inter frame: frames up to the next keyframe dropped, a PLI wanted meanwhile", () => {
      const sent = packetizeAll(fx, 300);
      const keys = fx.frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0);
      const victim = fx.frames.findIndex((f, i) => !f.keyframe && i > keys[0]! && i < keys[1]! - 1 && sent.filter((s) => s.frame === i).length > 1);
      expect(victim).toBeGreaterThan(0);
      const lostAt = sent.findIndex((s) => s.frame === victim) + 1; // its second packet
      const sink = new RecordingSink();
      const d = depacketizerFor(fx.codec, sink);
      let wanted = false;
      sent.forEach((s, i) => {
        if (i === lostAt) return;
        d.push(s.payload, s.marker, s.timestamp, s.seq);
        if (d.waitingForKeyframe) wanted = true;
      });
      expect(wanted).toBe(true);
      expect(d.waitingForKeyframe).toBe(false);
      expect(d.stats.lost).toBe(1);
      const next = keys.find((k) => k > victim)!;
      const want = fx.frames.map((f, i) => i).filter((i) => i < victim || i >= next);
      expect(sink.frames.map((f) => f.timestamp)).toEqual(want.map((i) => (fx.frames[i]!.pts + OFFSET) >>> 0));
      expect(d.stats.framesDropped).toBe(next - victim);
    });

    test("losing the start of a keyframe: nothing until the keyframe after", () => {
      const sent = packetizeAll(fx, 300);
      const key = fx.frames.findIndex((f, i) => i > 0 && f.keyframe);
      // H.264: the first packet is the STAP-A of SPS and PPS, which the depacketizer already has (the
      // IDR after it is whole and comes through); its first slice starts in the second packet.
      const lostAt = sent.findIndex((s) => s.frame === key) + (fx.codec === "h264" ? 1 : 0);
      const sink = new RecordingSink();
      const d = depacketizerFor(fx.codec, sink);
      sent.forEach((s, i) => i !== lostAt && d.push(s.payload, s.marker, s.timestamp, s.seq));
      const found = fx.frames.findIndex((f, i) => i > key && f.keyframe);
      const after = found < 0 ? fx.frames.length : found;
      expect(sink.frames.map((f) => f.timestamp)).toEqual(
        fx.frames.map((f, i) => i).filter((i) => i < key || i >= after).map((i) => (fx.frames[i]!.pts + OFFSET) >>> 0),
      );
    });
  });
}
