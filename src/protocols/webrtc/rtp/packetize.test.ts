/** Packetizer details the round trips do not pin down: what goes in which packet, the batch layout, RTP time, allocation. */
import { heapStats } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import { parseAvcConfig } from "../../../codecs/h264.ts";
import { vp9IsKeyframe } from "../../../codecs/vp9.ts";
import { concatBytes } from "../../../core/bytes.ts";
import type { Frame } from "../../../core/frame.ts";
import { AGG_N, AGG_Y, AGG_Z } from "./av1-packetizer.ts";
import { SEQ_PAYLOAD } from "./av1.cases.ts";
import { allFixtures, flvH264, ivf } from "./fixtures.ts";
import { depacketizerFor, makeFrame, packetizerFor, RecordingSink, type RtpCodec } from "./harness.ts";
import { PayloadBatch, rtpTimestamp } from "./payload-batch.ts";
import { hex } from "./rtp-case.ts";
import { Vp8Packetizer } from "./vp8.ts";

describe("H.264 packetizer", () => {
  const fx = flvH264("h264-slices.flv");
  const cfg = parseAvcConfig(fx.config!);

  test("each keyframe opens with a STAP-A of the avcC's SPS and PPS; FU-A start/end bits; the NAL type kept", () => {
    const p = packetizerFor("h264", { maxPayload: 500 }, fx.config);
    const out = new PayloadBatch();
    for (const f of fx.frames) {
      const n = p.packetize(f, out);
      const first = out.payload(0);
      if (f.keyframe) {
        expect(first[0]! & 0x1f).toBe(24);
        const spsLen = (first[1]! << 8) | first[2]!;
        expect(first.subarray(3, 3 + spsLen)).toEqual(cfg.sps[0]!);
        const ppsLen = (first[3 + spsLen]! << 8) | first[4 + spsLen]!;
        expect(first.subarray(5 + spsLen, 5 + spsLen + ppsLen)).toEqual(cfg.pps[0]!);
      } else {
        expect([7, 8].includes(first[0]! & 0x1f) || (first[0]! & 0x1f) === 24 && [7, 8].includes(first[3]! & 0x1f)).toBe(false);
      }
      let inFu = false;
      for (let i = 0; i < n; i++) {
        const q = out.payload(i);
        const type = q[0]! & 0x1f;
        expect(type === 9 || type === 12).toBe(false); // no AUD, no filler
        if (type !== 28) {
          expect(inFu).toBe(false);
          continue;
        }
        expect((q[1]! & 0x80) !== 0).toBe(!inFu);
        inFu = (q[1]! & 0x40) === 0;
        expect([1, 5, 6].includes(q[1]! & 0x1f)).toBe(true);
      }
      expect(inFu).toBe(false);
    }
  });

  test("without a config nothing is injected; a frame with a NAL length past its end is refused and counted", () => {
    const p = packetizerFor("h264");
    const out = new PayloadBatch();
    expect(p.packetize(makeFrame(hex("00000003 650102"), 0, true), out)).toBe(1);
    expect(out.payload(0)).toEqual(hex("650102"));
    expect(out.markers[0]).toBe(1);
    expect(p.packetize(makeFrame(hex("00000009 650102"), 0, true), out)).toBe(0);
    expect(out.count).toBe(0);
    expect(p.framesRefused).toBe(1);
  });
});

describe("payload batch", () => {
  test("headroom before and tailroom after every payload; the caller's arena is used until it is too small", () => {
    const arena = new Uint8Array(4096);
    const out = new PayloadBatch({ arena, headroom: 12, tailroom: 16 });
    const p = new Vp8Packetizer({ maxPayload: 100 });
    const n = p.packetize(makeFrame(new Uint8Array(1000).fill(7), 0, true), out);
    expect(out.buf).toBe(arena);
    expect(out.offsets[0]).toBe(12);
    for (let i = 1; i < n; i++) expect(out.offsets[i]).toBe(out.offsets[i - 1]! + out.lengths[i - 1]! + 16 + 12);
    p.packetize(makeFrame(new Uint8Array(100_000), 0, true), out);
    expect(out.buf).not.toBe(arena);
    expect(out.buf.length).toBeGreaterThanOrEqual(100_000);
  });

  test("RTP time: pts in the track clock, converted to the RTP clock, plus the offset, mod 2^32", () => {
    expect(rtpTimestamp(90_000, 90_000, 90_000, 0)).toBe(90_000);
    expect(rtpTimestamp(44_100, 44_100, 48_000, 0)).toBe(48_000);
    expect(rtpTimestamp(2 ** 32 + 5, 90_000, 90_000, 1)).toBe(6);
    expect(rtpTimestamp(-3000, 90_000, 90_000, 0)).toBe(2 ** 32 - 3000);
    expect(rtpTimestamp(16, 90_000, 90_000, 0xffff_fff0)).toBe(0);
    const opus = packetizerFor("opus", { clockRate: 16_000 });
    const out = new PayloadBatch();
    opus.packetize(makeFrame(hex("f8ff"), 320, true), out);
    expect(out.timestamp).toBe(960);
  });

  test("the VP8 PictureID counts frames and wraps at 15 bits", () => {
    const p = new Vp8Packetizer({ pictureId: 0x7fff });
    const out = new PayloadBatch();
    p.packetize(makeFrame(hex("1002009d012a"), 0, true), out);
    expect(out.payload(0).subarray(0, 4)).toEqual(hex("90 80 ffff"));
    p.packetize(makeFrame(hex("31"), 3000, false), out);
    expect(out.payload(0).subarray(0, 4)).toEqual(hex("90 80 8000"));
  });
});

describe("VP9", () => {
  test("a superframe stays one frame both ways", () => {
    const fx = ivf("vp9", "vp9.ivf");
    const a = fx.frames[0]!.payload;
    const b = fx.frames[1]!.payload;
    const index = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const sf = concatBytes([a, b, Uint8Array.of(0xd9, ...index(a.length), ...index(b.length), 0xd9)]);
    expect(vp9IsKeyframe(sf)).toBe(true);
    const p = packetizerFor("vp9");
    const out = new PayloadBatch();
    const n = p.packetize(makeFrame(sf, 0, true), out);
    const sink = new RecordingSink();
    const d = depacketizerFor("vp9", sink);
    for (let i = 0; i < n; i++) d.push(out.payload(i), out.markers[i] === 1, out.timestamp, out.sequence(i));
    expect(sink.frames).toEqual([{ payload: sf, timestamp: 0, keyframe: true }]);
  });
});

describe("AV1 packetizer", () => {
  const fx = ivf("av1", "av1.ivf");

  test("temporal delimiters dropped; N on a keyframe's first packet only; Y and Z pair up; OBUs go without obu_size", () => {
    const p = packetizerFor("av1", { maxPayload: 300 }, fx.config);
    const out = new PayloadBatch();
    let open = false;
    for (const f of fx.frames) {
      const withTd = concatBytes([hex("1200"), f.payload]);
      const n = p.packetize(makeFrame(withTd, f.pts, f.keyframe), out);
      for (let i = 0; i < n; i++) {
        const agg = out.payload(i)[0]!;
        expect((agg & AGG_N) !== 0).toBe(f.keyframe && i === 0);
        expect((agg & AGG_Z) !== 0).toBe(open);
        open = (agg & AGG_Y) !== 0;
        const w = (agg >>> 4) & 3;
        if (!open && w === 1 && !(agg & AGG_Z)) expect(out.payload(i)[1]! & 0x02).toBe(0);
      }
      expect(open).toBe(false);
    }
  });

  test("a keyframe without its sequence header gets the av1C's; W = 0 past three OBUs", () => {
    const p = packetizerFor("av1", {}, fx.config);
    const out = new PayloadBatch();
    const key = hex("3204 10aabbcc");
    expect(p.packetize(makeFrame(key, 0, true), out)).toBe(1);
    expect(out.payload(0)).toEqual(hex(`28 0c 08${SEQ_PAYLOAD} 30 10aabbcc`));
    const four = hex("3201aa 3201bb 3201cc 3201dd");
    p.packetize(makeFrame(four, 3000, false), out);
    expect(out.payload(0)).toEqual(hex("00 0230aa 0230bb 0230cc 0230dd"));
  });
});

/**
 * JSC heap census (as bench/alloc.ts): objects per frame packetized after a warm-up pass. It sees
 * what survives to the count (objects kept, arrays grown, non-sunk allocations), not short-lived
 * views the JIT sinks: those `subarray`s for `set` are the one kind the code makes per packet.
 */
function objectsPerFrame(codec: RtpCodec, frames: Frame[], config: Uint8Array | null): number {
  const p = packetizerFor(codec, {}, config);
  const out = new PayloadBatch({ headroom: 12, tailroom: 16 });
  for (const f of frames) p.packetize(f, out);
  const rounds = 20;
  Bun.gc(true);
  const before = heapStats().objectCount;
  for (let r = 0; r < rounds; r++) for (const f of frames) p.packetize(f, out);
  const after = heapStats().objectCount;
  return (after - before) / (rounds * frames.length);
}

test("packetizing allocates nothing per packet (VP9: the key frame header parse, a few objects per keyframe)", () => {
  for (const fx of allFixtures()) {
    const perFrame = objectsPerFrame(fx.codec, fx.frames, fx.config);
    expect(perFrame, fx.name).toBeLessThan(fx.codec === "vp9" ? 1 : 0.05);
  }
});

test("depacketizing allocates nothing per packet once its frame buffer has grown", () => {
  const sink = { frames: 0, onFrame() { this.frames++; }, onParameterSets() {}, onSequenceHeader() {} };
  for (const fx of allFixtures()) {
    const p = packetizerFor(fx.codec, {}, fx.config);
    const out = new PayloadBatch();
    const packets: [Uint8Array, boolean, number][] = [];
    for (const f of fx.frames) {
      const n = p.packetize(f, out);
      for (let i = 0; i < n; i++) packets.push([out.payload(i).slice(), out.markers[i] === 1, out.timestamp]);
    }
    const d = depacketizerFor(fx.codec, sink);
    const pass = () => {
      d.reset();
      for (let i = 0; i < packets.length; i++) d.push(packets[i]![0], packets[i]![1], packets[i]![2], i & 0xffff);
    };
    pass();
    Bun.gc(true);
    const before = heapStats().objectCount;
    for (let r = 0; r < 10; r++) pass();
    const perPacket = (heapStats().objectCount - before) / (10 * packets.length);
    expect(perPacket, fx.name).toBeLessThan(0.05);
    expect(d.stats.frames).toBe(11 * fx.frames.length);
  }
});
