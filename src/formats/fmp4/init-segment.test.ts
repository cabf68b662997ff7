import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseOpusHead } from "../../codecs/opus.ts";
import { ProtocolError } from "../../core/errors.ts";
import { Track } from "../../core/track.ts";
import { Fields, find, findAll, walk, type Box } from "./box-walker.ts";
import { buildInitSegment, InitSegment } from "./init-segment.ts";
import { caseTrack, INIT_CASES } from "./init-segment.cases.ts";

function sampleEntry(trak: Box): Box {
  return find(trak.children, "mdia/minf/stbl/stsd").children[0]!;
}

/** The ASC inside an esds body: ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo. */
function ascOfEsds(body: Uint8Array): Uint8Array {
  const f = new Fields(body).skip(4);
  const desc = (tag: number) => {
    expect(f.u8()).toBe(tag);
    let len = 0;
    for (let b = 0x80; b & 0x80; ) {
      b = f.u8();
      len = (len << 7) | (b & 0x7f);
    }
    return len;
  };
  desc(3);
  f.skip(3);
  desc(4);
  expect(f.u8()).toBe(0x40);
  expect(f.u8()).toBe(0x15);
  f.skip(11);
  const n = desc(5);
  return f.rest().subarray(0, n);
}

describe("InitSegment", () => {
  for (const c of INIT_CASES) {
    test(c.name, () => {
      const init = new InitSegment([{ track: caseTrack(c), trackId: 7 }]);
      const buf = new Uint8Array(init.encodedSize() + 6);
      expect(init.encodeTo(buf, 3)).toBe(init.encodedSize());
      const out = buf.subarray(3, 3 + init.encodedSize());
      const boxes = walk(out);
      expect(boxes.map((b) => b.type)).toEqual(["ftyp", "moov"]);
      const ftyp = new Fields(boxes[0]!.body);
      expect([ftyp.fourcc(), ftyp.u32(), ftyp.fourcc(), ftyp.fourcc(), ftyp.fourcc(), ftyp.fourcc()]).toEqual(["iso6", 0, "iso6", "cmfc", "mp41", "dash"]);
      expect(find(boxes, "moov").children.map((b) => b.type)).toEqual(["mvhd", "trak", "mvex"]);
      const mvhd = new Fields(find(boxes, "moov/mvhd").body);
      expect(mvhd.skip(96).u32()).toBe(8); // next_track_ID
      const trak = find(boxes, "moov/trak");
      const tkhd = new Fields(find(trak.children, "tkhd").body);
      expect(tkhd.u32() & 0xffffff).toBe(3);
      expect(tkhd.skip(8).u32()).toBe(7);
      tkhd.skip(4 + 4 + 8 + 4);
      expect(tkhd.u16()).toBe(c.width ? 0 : 0x100); // volume
      expect([tkhd.skip(2 + 36).u32() / 65536, tkhd.u32() / 65536]).toEqual([c.width ?? 0, c.height ?? 0]);
      const mdhd = new Fields(find(trak.children, "mdia/mdhd").body);
      expect(mdhd.skip(12).u32()).toBe(c.clockRate);
      expect(new Fields(find(trak.children, "mdia/hdlr").body).skip(8).fourcc()).toBe(c.width ? "vide" : "soun");
      expect(find(trak.children, "mdia/minf").children.map((b) => b.type)).toEqual([c.width ? "vmhd" : "smhd", "dinf", "stbl"]);
      expect(find(trak.children, "mdia/minf/stbl").children.map((b) => [b.type, b.size])).toEqual([
        ["stsd", expect.any(Number)], ["stts", 16], ["stsc", 16], ["stco", 16], ["stsz", 20],
      ]);
      expect(find(trak.children, "mdia/minf/dinf/dref").children.map((b) => b.type)).toEqual(["url "]);
      const entry = sampleEntry(trak);
      expect(entry.type).toBe(c.entry);
      expect(entry.children.map((b) => b.type)).toEqual([c.configBox]);
      const cfg = entry.children[0]!.body;
      const fields = new Fields(entry.body).skip(6);
      expect(fields.u16()).toBe(1); // data_reference_index
      if (c.width) {
        expect([fields.skip(16).u16(), fields.u16()]).toEqual([c.width, c.height!]);
        expect(cfg).toEqual(c.config);
      } else {
        expect([fields.skip(8).u16(), fields.u16()]).toEqual([c.channels!, 16]);
        expect(fields.skip(4).u32() >>> 16).toBe(c.clockRate);
        if (c.codec === "aac") expect(ascOfEsds(cfg)).toEqual(c.config);
      }
      if (c.codec === "opus") {
        const h = parseOpusHead(c.config);
        const d = new Fields(cfg);
        expect([d.u8(), d.u8(), d.u16(), d.u32(), d.u16() << 16 >> 16, d.u8()]).toEqual([0, h.channels, h.preSkip, h.inputSampleRate, h.outputGain, h.mappingFamily]);
        if (h.mappingFamily !== 0) expect([d.u8(), d.u8(), ...d.rest()]).toEqual([h.streamCount!, h.coupledCount!, ...h.channelMapping!]);
        else expect(d.rest().length).toBe(0);
      }
      const trex = new Fields(find(boxes, "moov/mvex/trex").body);
      expect([trex.skip(4).u32(), trex.u32()]).toEqual([7, 1]);
    });
  }

  test("muxed video + audio with chosen track_IDs and timescales; cmfc brand", () => {
    const [v, a] = [caseTrack(INIT_CASES[0]!, 0), caseTrack(INIT_CASES[8]!, 1)];
    const out = buildInitSegment([{ track: v, trackId: 1 }, { track: a, trackId: 2, timescale: 1000 }], { majorBrand: "cmfc" });
    const boxes = walk(out);
    expect(new Fields(boxes[0]!.body).fourcc()).toBe("cmfc");
    const traks = findAll(find(boxes, "moov").children, "trak");
    expect(traks.map((t) => new Fields(find(t.children, "tkhd").body).skip(12).u32())).toEqual([1, 2]);
    expect(traks.map((t) => new Fields(find(t.children, "mdia/mdhd").body).skip(12).u32())).toEqual([90000, 1000]);
    expect(traks.map((t) => sampleEntry(t).type)).toEqual(["avc1", "Opus"]);
    expect(findAll(find(boxes, "moov/mvex").children, "trex").map((t) => new Fields(t.body).skip(4).u32())).toEqual([1, 2]);
    expect(new Fields(find(boxes, "moov/mvhd").body).skip(96).u32()).toBe(3);
  });

  test("golden: muxed H.264 720p (track_ID 1) + AAC 44.1 kHz (track_ID 2), UPDATE_GOLDEN=1 refreshes", () => {
    const out = buildInitSegment([{ track: caseTrack(INIT_CASES[0]!, 0), trackId: 1 }, { track: caseTrack(INIT_CASES[6]!, 1), trackId: 2 }]);
    const path = new URL("./testdata/init-h264-aac.mp4", import.meta.url);
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) writeFileSync(path, out);
    expect(out).toEqual(new Uint8Array(readFileSync(path)));
  });

  test("width/height override the track's", () => {
    const t = caseTrack(INIT_CASES[0]!);
    const trak = find(walk(buildInitSegment([{ track: t, trackId: 1, width: 640, height: 360 }])), "moov/trak");
    expect(new Fields(sampleEntry(trak).body).skip(24).u32()).toBe((640 << 16) | 360);
  });

  const bad: [string, () => unknown, string][] = [
    ["no tracks", () => new InitSegment([]), "invalid"],
    ["a track without config names the track", () => new InitSegment([{ track: new Track(3, "h264", 90000), trackId: 1 }]), "no-config"],
    ["duplicate track_ID", () => new InitSegment([{ track: caseTrack(INIT_CASES[0]!), trackId: 1 }, { track: caseTrack(INIT_CASES[6]!), trackId: 1 }]), "invalid"],
    ["track_ID 0", () => new InitSegment([{ track: caseTrack(INIT_CASES[0]!), trackId: 0 }]), "invalid"],
    ["timescale 0", () => new InitSegment([{ track: caseTrack(INIT_CASES[0]!), trackId: 1, timescale: 0 }]), "invalid"],
    ["VP9 without a picture size", () => new InitSegment([{ track: new Track(0, "vp9", 90000, INIT_CASES[5]!.config), trackId: 1 }]), "no-size"],
    ["MP3 is not muxed", () => new InitSegment([{ track: new Track(0, "mp3", 44100, Uint8Array.of(1)), trackId: 1 }]), "unsupported"],
    ["a malformed avcC", () => new InitSegment([{ track: new Track(0, "h264", 90000, Uint8Array.of(1, 2, 3)), trackId: 1 }]), "truncated"],
    ["a picture too wide", () => new InitSegment([{ track: caseTrack(INIT_CASES[0]!), trackId: 1, width: 70000 }]), "invalid"],
  ];
  for (const [name, fn, code] of bad) {
    test(`refuses: ${name}`, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(code);
      if (name.includes("names the track")) expect((err as Error).message).toContain("track 3 (h264)");
    });
  }
});
