import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../core/errors.ts";
import { Frame } from "../../core/frame.ts";
import { Fields, find, parseTrun, walk } from "./box-walker.ts";
import { FragmentMuxer, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS } from "./fragment.ts";

interface Sample {
  dts: number;
  pts: number;
  key: boolean;
  size: number;
}

const payload = (i: number, size: number) => new Uint8Array(size).fill(i + 1);

/** [name, samples, lastDuration, what trun must carry] */
const CASES: { name: string; samples: Sample[]; last: number; flags: boolean; cto: boolean }[] = [
  {
    name: "video with B-frames (pts > dts), key then non-sync",
    samples: [
      { dts: 0, pts: 7200, key: true, size: 300 },
      { dts: 3600, pts: 18000, key: false, size: 40 },
      { dts: 7200, pts: 10800, key: false, size: 20 },
      { dts: 10800, pts: 14400, key: false, size: 21 },
    ],
    last: 3600, flags: true, cto: true,
  },
  {
    name: "pts < dts (negative composition offset)",
    samples: [
      { dts: 9000, pts: 6000, key: true, size: 10 },
      { dts: 12000, pts: 9000, key: false, size: 11 },
    ],
    last: 3000, flags: true, cto: true,
  },
  {
    name: "audio: all sync, pts = dts (no per-sample flags, no offsets)",
    samples: [0, 1, 2, 3, 4].map((i) => ({ dts: 48000 * 5 + i * 1024, pts: 48000 * 5 + i * 1024, key: true, size: 6 + i })),
    last: 1024, flags: false, cto: false,
  },
  {
    name: "one sample, a tfdt past 32 bits",
    samples: [{ dts: 2 ** 33 + 5, pts: 2 ** 33 + 5, key: false, size: 3 }],
    last: 3003, flags: true, cto: false,
  },
  {
    name: "equal dts (duration 0) and an empty sample",
    samples: [{ dts: 100, pts: 100, key: true, size: 0 }, { dts: 100, pts: 100, key: true, size: 5 }],
    last: 0, flags: false, cto: false,
  },
];

function fill(m: FragmentMuxer, samples: Sample[]): void {
  m.clear();
  samples.forEach((s, i) => m.push(s.dts, s.pts, s.key, payload(i, s.size)));
}

describe("FragmentMuxer", () => {
  const m = new FragmentMuxer(2, 2); // small capacity: the cases make it grow
  for (const c of CASES) {
    test(c.name, () => {
      fill(m, c.samples);
      const size = m.encodedSize(42, c.last);
      const buf = new Uint8Array(size + 9).fill(0xee);
      expect(m.encodeTo(buf, 4)).toBe(size);
      expect(buf[3]).toBe(0xee);
      expect(buf[4 + size]).toBe(0xee);
      const out = buf.subarray(4, 4 + size);
      const boxes = walk(out);
      expect(boxes.map((b) => b.type)).toEqual(["moof", "mdat"]);
      expect(find(boxes, "moof").children.map((b) => b.type)).toEqual(["mfhd", "traf"]);
      expect(find(boxes, "moof/traf").children.map((b) => b.type)).toEqual(["tfhd", "tfdt", "trun"]);
      expect(new Fields(find(boxes, "moof/mfhd").body).skip(4).u32()).toBe(42);
      const tfhd = new Fields(find(boxes, "moof/traf/tfhd").body);
      const tfhdFlags = tfhd.u32();
      expect(tfhdFlags & 0x020000).toBe(0x020000); // default-base-is-moof
      expect(tfhd.u32()).toBe(2);
      expect(tfhdFlags & 0x20 ? tfhd.u32() : undefined).toBe(c.flags ? undefined : SYNC_SAMPLE_FLAGS);
      const tfdt = new Fields(find(boxes, "moof/traf/tfdt").body);
      expect(tfdt.u8()).toBe(1);
      expect(tfdt.skip(3).u64()).toBe(c.samples[0]!.dts);
      const trun = parseTrun(find(boxes, "moof/traf/trun").body);
      expect(trun.version).toBe(1);
      expect(trun.dataOffset).toBe(boxes[0]!.size + 8);
      expect(trun.samples).toEqual(c.samples.map((s, i) => ({
        duration: i + 1 < c.samples.length ? c.samples[i + 1]!.dts - s.dts : c.last,
        size: s.size,
        flags: c.flags ? (s.key ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS) : undefined,
        cto: c.cto ? s.pts - s.dts : undefined,
      })));
      // Payloads back from the mdat at data_offset, in order.
      let at = trun.dataOffset!;
      c.samples.forEach((s, i) => {
        expect(out.subarray(at, at + s.size)).toEqual(payload(i, s.size));
        at += s.size;
      });
      expect(at).toBe(size);
    });
  }

  test("the same muxer is reused: clear() drops samples and payload references", () => {
    const mux = new FragmentMuxer(1);
    const f = new Frame();
    f.dts = 10;
    f.pts = 20;
    f.keyframe = true;
    f.payload = payload(0, 8);
    mux.pushFrame(f);
    const a = mux.encodedSize(1, 5);
    mux.clear();
    expect(mux.count).toBe(0);
    expect(mux.payloadBytes).toBe(0);
    expect(mux.payloads[0]!.length).toBe(0);
    mux.pushFrame(f);
    expect(mux.encodedSize(2, 5)).toBe(a);
  });

  test("encodeTo without a fresh encodedSize is a broken invariant", () => {
    const mux = new FragmentMuxer(1);
    mux.push(0, 0, true, payload(0, 1));
    expect(() => mux.encodeTo(new Uint8Array(100), 0)).toThrow("assertion failed");
    mux.encodedSize(1, 1);
    mux.push(1, 1, true, payload(0, 1));
    expect(() => mux.encodeTo(new Uint8Array(100), 0)).toThrow("assertion failed");
    const n = mux.encodedSize(1, 1);
    expect(() => mux.encodeTo(new Uint8Array(n - 1), 0)).toThrow(RangeError);
  });

  const BAD: [string, Sample[], number, string][] = [
    ["dts going back", [{ dts: 100, pts: 100, key: true, size: 1 }, { dts: 99, pts: 99, key: true, size: 1 }], 1, "dts 99 after 100"],
    ["negative first dts", [{ dts: -1, pts: 0, key: true, size: 1 }], 1, "first dts -1"],
    ["fractional dts", [{ dts: 1.5, pts: 2, key: true, size: 1 }], 1, "first dts 1.5"],
    ["a duration past 32 bits", [{ dts: 0, pts: 0, key: true, size: 1 }, { dts: 2 ** 32, pts: 2 ** 32, key: true, size: 1 }], 1, "duration 4294967296"],
    ["a composition offset past 32 bits", [{ dts: 0, pts: 2 ** 31, key: true, size: 1 }], 1, "pts - dts = 2147483648"],
    ["a fractional pts", [{ dts: 0, pts: 0.5, key: true, size: 1 }], 1, "pts - dts = 0.5"],
    ["a negative last duration", [{ dts: 0, pts: 0, key: true, size: 1 }], -1, "last sample duration -1"],
  ];
  for (const [name, samples, last, message] of BAD) {
    test(`refuses ${name}`, () => {
      const mux = new FragmentMuxer(9);
      fill(mux, samples);
      let err: unknown;
      try {
        mux.encodedSize(1, last);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as Error).message).toContain("track_ID 9");
      expect((err as Error).message).toContain(message);
    });
  }

  test("refuses a fragment past 2^32 bytes (without allocating it)", () => {
    const mux = new FragmentMuxer(1);
    const mib = new Uint8Array(1 << 20); // pushed 4096 times as views: 4 GiB of payload
    for (let i = 0; i < 4096; i++) mux.push(i, i, true, mib);
    expect(() => mux.encodedSize(1, 1)).toThrow(/fragment of 4295000164 bytes > max 4294967295/);
  });

  test("refuses track_ID 0", () => {
    expect(() => new FragmentMuxer(0)).toThrow(ProtocolError);
  });
});
