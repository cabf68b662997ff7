import { describe, expect, test } from "bun:test";
import { parseAudioSpecificConfig } from "../codecs/aac.ts";
import { fixture } from "../codecs/h264.cases.ts";
import { avccToAnnexB, describeAvcConfig, forEachAnnexBNal } from "../codecs/h264.ts";
import {
  AUDIO_SAMPLES_PER_FRAME,
  AUDIO_SAMPLE_RATE,
  STAMP_FOUND,
  STAMP_NONE,
  STAMP_NOT_FRAME,
  STAMP_OFFSET,
  type Stamp,
  SyntheticStream,
  readStampAt,
  readVideoTagStamp,
  writeStamp,
} from "./synthetic.ts";

const stream = () => new SyntheticStream({ bitrateMbps: 2.5, fps: 30, gopSeconds: 2 });
const u32 = (b: Uint8Array, p: number) => new DataView(b.buffer, b.byteOffset).getUint32(p);

/** Stamps whose fields hold zero runs: small sequence numbers, round times, 2^n. */
const STAMP_CASES: [number, number][] = [
  [0, 0],
  [1, 1],
  [3, 1.5],
  [256, 1_700_000_000_000],
  [0x10000, 1_763_942_400_123.456],
  [0x01000000, 2 ** 40],
  [0xffffffff, -0],
  [42, performance.timeOrigin + performance.now()],
];

describe("SyntheticStream", () => {
  test("sequence headers: the x264 720p High avcC and AAC LC 44.1 kHz stereo", () => {
    const s = stream();
    expect([...s.videoConfig.subarray(0, 5)]).toEqual([0x17, 0, 0, 0, 0]);
    const avcC = s.videoConfig.subarray(5);
    expect(avcC).toEqual(fixture("h264-high-720p.avcc"));
    expect(describeAvcConfig(avcC)).toMatchObject({ codecString: "avc1.64001f", width: 1280, height: 720 });
    expect([...s.audioConfig.subarray(0, 2)]).toEqual([0xaf, 0]);
    expect(parseAudioSpecificConfig(s.audioConfig.subarray(2))).toMatchObject({ objectType: 2, sampleRate: 44100, channels: 2 });
    expect([...s.audioFrame.subarray(0, 2)]).toEqual([0xaf, 1]);
  });

  test("frames: one length-prefixed NAL of type 5 (key) or 1, keyframes every GOP and ~5x larger", () => {
    const s = stream();
    expect(s.framesPerGop).toBe(60);
    expect(s.isKeyframe(0)).toBe(true);
    expect(s.isKeyframe(59)).toBe(false);
    expect(s.isKeyframe(60)).toBe(true);
    for (const key of [true, false]) {
      const body = s.videoFrame(7, 1234.5, key);
      expect(body[0]).toBe(key ? 0x17 : 0x27);
      expect(body[1]).toBe(1);
      expect(u32(body, 5)).toBe(body.length - 9);
      expect(body[9]! & 0x1f).toBe(key ? 5 : 1);
    }
    expect(s.keyframeBytes / s.deltaBytes).toBeCloseTo(5, 2);
  });

  test("video + audio add up to the target bitrate", () => {
    for (const [mbps, fps, gop] of [[2.5, 30, 2], [6, 60, 1], [0.5, 25, 4]] as const) {
      const s = new SyntheticStream({ bitrateMbps: mbps, fps, gopSeconds: gop });
      let bytes = 0;
      for (let i = 0; i < s.framesPerGop; i++) bytes += s.videoFrame(i, 0, s.isKeyframe(i)).length;
      const audioPerGop = ((gop * AUDIO_SAMPLE_RATE) / AUDIO_SAMPLES_PER_FRAME) * s.audioFrame.length;
      expect(Math.abs(((bytes + audioPerGop) * 8) / gop / 1e6 - mbps) / mbps).toBeLessThan(0.01);
    }
  });

  test("pacing: due times from the start, no drift", () => {
    const s = stream();
    expect(s.videoDueMs(3000)).toBeCloseTo(100_000, 9);
    expect(s.audioDueMs(44100)).toBeCloseTo(1_024_000, 9);
  });
});

describe("stamp", () => {
  test.each(STAMP_CASES)("round trip seq %p time %p", (seq, time) => {
    const s = stream();
    const body = s.videoFrame(seq, time, seq % 2 === 0);
    const out: Stamp = { seq: -1, sendTimeMs: NaN };
    expect(readVideoTagStamp(body, out)).toBe(STAMP_FOUND);
    expect(out.seq).toBe(seq);
    expect(Object.is(out.sendTimeMs, time)).toBe(true);
  });

  test.each(STAMP_CASES)("seq %p time %p: no start code in the NAL, every 00 00 escaped (H.264 §7.4.1)", (seq, time) => {
    const body = stream().videoFrame(seq, time, false);
    const nal = body.subarray(9);
    for (let i = 0; i + 2 < nal.length; i++) {
      if (nal[i] === 0 && nal[i + 1] === 0) expect(nal[i + 2]!).toBeGreaterThan(2);
    }
  });

  test("survives AVCC -> Annex B: the NAL comes back whole, the stamp with it", () => {
    const body = stream().videoFrame(1, 2 ** 40, true);
    const annexB = avccToAnnexB(body.subarray(5), 4);
    const nals: Uint8Array[] = [];
    forEachAnnexBNal(annexB, (start, end) => nals.push(annexB.subarray(start, end)));
    expect(nals.length).toBe(1);
    const out: Stamp = { seq: -1, sendTimeMs: 0 };
    expect(readStampAt(nals[0]!, 1, nals[0]!.length, out)).toBe(true);
    expect(out).toEqual({ seq: 1, sendTimeMs: 2 ** 40 });
  });

  test("found behind NAL units a server may add (AUD, SPS, PPS)", () => {
    const frame = stream().videoFrame(99, 5.25, true);
    const extra = [
      [0x09, 0xf0],
      [0x67, 0x64, 0x00, 0x1f, 0xac],
      [0x68, 0xeb, 0xe3],
    ];
    const extraBytes = extra.reduce((n, e) => n + 4 + e.length, 0);
    const body = new Uint8Array(frame.length + extraBytes);
    body.set(frame.subarray(0, 5));
    let p = 5;
    for (const e of extra) {
      new DataView(body.buffer).setUint32(p, e.length);
      body.set(e, p + 4);
      p += 4 + e.length;
    }
    body.set(frame.subarray(5), p);
    const out: Stamp = { seq: 0, sendTimeMs: 0 };
    expect(readVideoTagStamp(body.subarray(0, 128), out)).toBe(STAMP_FOUND);
    expect(out).toEqual({ seq: 99, sendTimeMs: 5.25 });
  });

  test("not found: cut short, not ours, sequence headers, other codecs", () => {
    const s = stream();
    const out: Stamp = { seq: 0, sendTimeMs: 0 };
    const frame = s.videoFrame(1, 1, false);
    expect(readVideoTagStamp(frame.subarray(0, STAMP_OFFSET + 8), out)).toBe(STAMP_NONE);
    const foreign = frame.slice();
    foreign[STAMP_OFFSET] = 0x53;
    expect(readVideoTagStamp(foreign, out)).toBe(STAMP_NONE);
    expect(readVideoTagStamp(s.videoConfig, out)).toBe(STAMP_NOT_FRAME);
    const vp6 = frame.slice();
    vp6[0] = 0x24;
    expect(readVideoTagStamp(vp6, out)).toBe(STAMP_NOT_FRAME);
    expect(readVideoTagStamp(new Uint8Array(0), out)).toBe(STAMP_NONE);
  });

  test("writeStamp pads with filler to a fixed size", () => {
    const buf = new Uint8Array(40).fill(0xee);
    writeStamp(buf, 0, 0, 0); // all-zero fields: the most escapes
    expect(buf[24]).toBe(0xee);
    expect(buf[23]).toBe(0xa5);
  });
});
