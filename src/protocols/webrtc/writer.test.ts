/**
 * Real frames (rtp/testdata, see its README) through a Stream → RtpWriter → cursors walking the
 * packet records → decodeRtp → the codec's depacketizer → the same frames. Sequence numbers per
 * track, markers, join points with SPS/PPS, the NACK history and the per-viewer patch.
 */
import { describe, expect, test } from "bun:test";
import { fixture } from "../../codecs/h264.cases.ts";
import { describeAvcConfig, parseAvcConfig } from "../../codecs/h264.ts";
import { concatBytes } from "../../core/bytes.ts";
import type { Frame } from "../../core/frame.ts";
import { PUMP_SKIPPED, RingCursor, type ByteSink } from "../../core/ring-cursor.ts";
import { Stream } from "../../core/stream.ts";
import { flvH264, ivf, oggOpus, type Fixture } from "./rtp/fixtures.ts";
import { depacketizerFor, RecordingSink } from "./rtp/harness.ts";
import { RtpViewerPatch } from "./viewer-patch.ts";
import { decodeRtp, RtpPacket } from "./wire/rtp.ts";
import { readAbsSendTime, readMid, readTransportCc } from "./wire/rtp-extensions.ts";
import {
  DEFAULT_PAYLOAD_TYPES,
  FLAG_FRAME_END,
  FLAG_FRAME_START,
  FLAG_JOIN,
  FLAG_KEYFRAME,
  RECORD_HEADER_SIZE,
  RTP_PACKET_HEADER_SIZE,
  RtpWriter,
} from "./writer.ts";

/** Sequence numbers start just below the wrap, timestamps near theirs: both wrap in every test. */
const RANDOM = 0xffff_fff0;
const random32 = () => RANDOM;

interface Sent {
  track: number;
  flags: number;
  bytes: Uint8Array;
}

/** A viewer: walks whole records of every run the cursor hands it, in one loop. */
class PacketCollector implements ByteSink {
  packets: Sent[] = [];
  write(data: Uint8Array, offset: number, length: number): number {
    const end = offset + length;
    let at = offset;
    while (at < end) {
      const len = (data[at]! << 8) | data[at + 1]!;
      this.packets.push({ track: data[at + 2]!, flags: data[at + 3]!, bytes: data.slice(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + len) });
      at += RECORD_HEADER_SIZE + len;
    }
    expect(at).toBe(end);
    return length;
  }
}

class Viewer {
  readonly sink = new PacketCollector();
  readonly cursor: RingCursor;
  constructor(w: RtpWriter) {
    this.cursor = new RingCursor(w.ring);
  }
  pump(): void {
    while (this.cursor.pump(this.sink, Number.POSITIVE_INFINITY) === PUMP_SKIPPED) {}
  }
}

/** What the depacketizer gives back for a frame: H.264 without parameter sets, AUD and filler. */
function expected(codec: string, f: Frame): Uint8Array {
  if (codec !== "h264") return f.payload;
  const parts: Uint8Array[] = [];
  for (let pos = 0; pos < f.payload.length; ) {
    const len = new DataView(f.payload.buffer, f.payload.byteOffset + pos).getUint32(0);
    const t = f.payload[pos + 4]! & 0x1f;
    if (t !== 7 && t !== 8 && t !== 9 && t !== 12) parts.push(f.payload.subarray(pos, pos + 4 + len));
    pos += 4 + len;
  }
  return concatBytes(parts);
}

interface Input {
  track: number;
  frame: Frame;
  sec: number;
}

/** A stream with the fixture's video and an audio track (Opus frames, or AAC frames the writer ignores). */
function makeStream(video: Fixture, audio: Fixture | "aac" | null, ringBytes = 1 << 20) {
  const stream = new Stream("live/t", ringBytes, 1024, () => 0);
  const v = stream.ensureTrack(video.codec as "h264", 90000);
  if (video.config) stream.setConfig(v, video.config, video.codec === "h264" ? describeAvcConfig(video.config) : {});
  const inputs: Input[] = video.frames.map((f) => ({ track: v.id, frame: f, sec: f.dts / 90000 }));
  if (audio === "aac") {
    const a = stream.ensureTrack("aac", 48000);
    for (let i = 0; i < 45; i++) inputs.push({ track: a.id, frame: { payload: new Uint8Array(200).fill(i), dts: i * 1024, pts: i * 1024, keyframe: true } as Frame, sec: (i * 1024) / 48000 });
  } else if (audio) {
    const a = stream.ensureTrack("opus", 48000);
    for (const f of audio.frames) inputs.push({ track: a.id, frame: f, sec: f.dts / 48000 });
  }
  inputs.sort((x, y) => x.sec - y.sec);
  let next = 0;
  const push = (count: number) => {
    for (const end = Math.min(inputs.length, next + count); next < end; next++) {
      const { track, frame: f } = inputs[next]!;
      stream.push(f.payload, track, f.dts, f.pts, f.keyframe);
    }
    stream.flush();
  };
  return { stream, inputs, push };
}

/** Decodes every packet of a track and depacketizes it: checks the header on the way. */
function depacketize(w: RtpWriter, codec: Fixture["codec"], track: number, sent: Sent[]) {
  const out = w.outs[track]!;
  const p = new RtpPacket();
  const sink = new RecordingSink();
  const d = depacketizerFor(codec, sink);
  let seq = -1;
  const mine = sent.filter((s) => s.track === track);
  for (const s of mine) {
    expect(decodeRtp(s.bytes, p)).toBe(s.bytes.length);
    expect(p.ssrc).toBe(out.ssrc);
    expect(p.payloadType).toBe(DEFAULT_PAYLOAD_TYPES[codec]!);
    expect(p.extension && p.extensionCount === 0 && p.extensionLength === 24).toBe(true); // padding until a viewer patches
    expect(p.payload.length).toBeLessThanOrEqual(w.maxPayload);
    if (seq >= 0) expect(p.sequenceNumber).toBe((seq + 1) & 0xffff);
    seq = p.sequenceNumber;
    expect(p.marker).toBe(codec !== "opus" && (s.flags & FLAG_FRAME_END) !== 0);
    d.push(p.payload, p.marker, p.timestamp, p.sequenceNumber);
  }
  expect(d.stats).toMatchObject({ malformed: 0, unsupported: 0, lost: 0, framesDropped: 0, oversize: 0 });
  return { sink, packets: mine };
}

const h264 = flvH264("h264-slices.flv");
const opus = oggOpus("opus.ogg");
const CASES: [string, Fixture, Fixture | "aac" | null][] = [
  ["H.264 + AAC", h264, "aac"],
  ["VP8 + Opus", ivf("vp8", "vp8.ivf"), opus],
  ["VP9", ivf("vp9", "vp9.ivf"), null],
  ["AV1 + Opus", ivf("av1", "av1.ivf"), opus],
];

describe("RtpWriter", () => {
  for (const [name, video, audio] of CASES) {
    test(`${name}: every frame comes back from the packets, once per stream`, () => {
      const { stream, inputs, push } = makeStream(video, audio);
      const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
      const viewers = [new Viewer(w), new Viewer(w)];
      stream.writer("rtp", () => {
        throw new Error("a second writer");
      });
      for (let i = 0; i < inputs.length; i += 7) {
        push(7);
        for (const v of viewers) v.pump();
      }
      const sent = viewers[0]!.sink.packets;
      expect(viewers[1]!.sink.packets).toEqual(sent);
      expect(w.packetsEncoded).toBe(sent.length);
      expect(w.framesRefused).toBe(0);
      // The first packet is the first keyframe's: the cursor waited for a join point.
      expect(sent[0]!.flags & (FLAG_JOIN | FLAG_KEYFRAME | FLAG_FRAME_START)).toBe(FLAG_JOIN | FLAG_KEYFRAME | FLAG_FRAME_START);

      const v = depacketize(w, video.codec, 0, sent);
      expect(v.sink.frames.length).toBe(video.frames.length);
      video.frames.forEach((f, i) => {
        const got = v.sink.frames[i]!;
        expect(got.payload).toEqual(expected(video.codec, f));
        expect(got.keyframe).toBe(f.keyframe);
        expect(got.timestamp).toBe((f.pts + RANDOM) >>> 0);
      });
      expect(w.outs[0]!.lastTimestamp).toBe((video.frames.at(-1)!.pts + RANDOM) >>> 0);
      // Frame boundaries: one start and one end per frame, the end on the marker.
      expect(v.packets.filter((s) => s.flags & FLAG_FRAME_START).length).toBe(video.frames.length);
      expect(v.packets.filter((s) => s.flags & FLAG_FRAME_END).length).toBe(video.frames.length);
      expect(v.packets.length).toBeGreaterThan(video.frames.length); // some frames need several packets

      if (audio === "aac") {
        expect(w.framesIgnored).toBe(45);
        expect(sent.every((s) => s.track === 0)).toBe(true);
      } else if (audio) {
        const a = depacketize(w, "opus", 1, sent);
        const skipped = audio.frames.length - a.sink.frames.length; // before the first video keyframe
        expect(skipped).toBeGreaterThanOrEqual(0);
        expect(skipped).toBeLessThan(3);
        a.sink.frames.forEach((got, i) => {
          const f = audio.frames[i + skipped]!;
          expect(got.payload).toEqual(f.payload);
          expect(got.timestamp).toBe((f.pts + RANDOM) >>> 0);
        });
        expect(w.framesIgnored).toBe(0);
      }
    });
  }

  test("a late joiner starts at the newest keyframe, a STAP-A with SPS and PPS", () => {
    const { stream, inputs, push } = makeStream(h264, opus);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    const lateWriterStream = makeStream(h264, null);
    lateWriterStream.push(15); // a writer created mid-GOP catches up from the keyframe
    const late = lateWriterStream.stream.writer("rtp", (s) => new RtpWriter(s));
    const early = new Viewer(w);
    push(Math.floor(inputs.length / 2) + 3);
    early.pump();
    for (const [writer, joiner] of [
      [w, new Viewer(w)],
      [late, new Viewer(late)],
    ] as const) {
      joiner.pump();
      const first = joiner.sink.packets[0]!;
      expect(first.flags & (FLAG_JOIN | FLAG_KEYFRAME)).toBe(FLAG_JOIN | FLAG_KEYFRAME);
      expect(first.track).toBe(0);
      const p = new RtpPacket();
      decodeRtp(first.bytes, p);
      expect(p.payload[0]! & 0x1f).toBe(24); // STAP-A
      const types: number[] = [];
      for (let at = 1; at < p.payload.length; ) {
        const len = (p.payload[at]! << 8) | p.payload[at + 1]!;
        types.push(p.payload[at + 2]! & 0x1f);
        at += 2 + len;
      }
      expect(types.slice(0, 2)).toEqual([7, 8]);
      const d = depacketize(writer, "h264", 0, joiner.sink.packets);
      expect(d.sink.frames[0]!.keyframe).toBe(true);
      expect(d.sink.configs.length).toBeGreaterThan(0);
    }
    // The late joiner's packets are the early viewer's, byte for byte, from the join point on.
    const joined = new Viewer(w);
    joined.pump();
    const tail = early.sink.packets.slice(early.sink.packets.length - joined.sink.packets.length);
    expect(joined.sink.packets).toEqual(tail);
  });

  test("a configuration change: the next keyframe carries the new SPS/PPS", () => {
    const { stream, push } = makeStream(h264, null);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    const v = new Viewer(w);
    push(12); // two keyframes (GOP 10) with the first configuration
    const other = fixture("h264-high-720p.avcc");
    stream.setConfig(stream.tracks[0]!, other, describeAvcConfig(other));
    push(1000);
    v.pump();
    const d = depacketize(w, "h264", 0, v.sink.packets);
    const first = parseAvcConfig(h264.config!);
    const next = parseAvcConfig(other);
    expect(d.sink.configs).toEqual([
      [first.sps[0]!, first.pps[0]!],
      [next.sps[0]!, next.pps[0]!],
    ]);
    expect(d.sink.frames.length).toBe(h264.frames.length);
  });

  test("NACK history: exact bytes while held; overwritten or evicted packets are counted misses", () => {
    const { stream, inputs, push } = makeStream(h264, opus);
    const w = stream.writer("rtp", (s) => new RtpWriter(s, { historySize: 64 }));
    const v = new Viewer(w);
    const p = new RtpPacket();
    const seen: { track: number; seq: number; bytes: Uint8Array }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      push(1);
      const from = v.sink.packets.length;
      v.pump();
      for (const s of v.sink.packets.slice(from)) {
        decodeRtp(s.bytes, p);
        seen.push({ track: s.track, seq: p.sequenceNumber, bytes: s.bytes });
        // Just sent: the history has it.
        const h = w.outs[s.track]!.history;
        const at = h.find(p.sequenceNumber);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(w.ring.buf.subarray(at, at + h.length)).toEqual(s.bytes);
      }
    }
    const video = w.outs[0]!.history;
    const before = video.misses;
    const videoSeen = seen.filter((s) => s.track === 0);
    // The last 64 video packets are all held, with their exact bytes.
    for (const s of videoSeen.slice(-64)) {
      const at = video.find(s.seq);
      expect(w.ring.buf.subarray(at, at + video.length)).toEqual(s.bytes);
    }
    expect(video.misses).toBe(before);
    // Older ones were overwritten in the history.
    for (const s of videoSeen.slice(0, -64)) expect(video.find(s.seq)).toBe(-1);
    expect(video.misses - before).toBe(videoSeen.length - 64);
    // A history big enough to still name them: the ring evicted their entries.
    const big = makeStream(h264, null, 48 * 1024);
    const w2 = big.stream.writer("rtp", (s) => new RtpWriter(s, { historySize: 4096, random32 }));
    big.push(1000);
    expect(w2.ring.tail).toBeGreaterThan(0);
    const h2 = w2.outs[0]!.history;
    expect(h2.find(RANDOM & 0xffff)).toBe(-1);
    expect(h2.misses).toBe(1);
    expect(h2.find((RANDOM + w2.packetsEncoded - 1) & 0xffff)).toBeGreaterThanOrEqual(0);
  });
});

describe("RtpWriter edges", () => {
  test("a malformed frame is refused and counted; sequence numbers stay contiguous", () => {
    const { stream, push } = makeStream(h264, null);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    const v = new Viewer(w);
    push(5);
    const before = w.packetsEncoded;
    stream.push(new Uint8Array([0, 0, 0, 99, 0x41, 1]), 0, 5 * 3000 + 1, 5 * 3000 + 1, false); // NAL length past the end
    stream.flush();
    expect(w.framesRefused).toBe(1);
    expect(w.packetsEncoded).toBe(before);
    push(1000);
    v.pump();
    const d = depacketize(w, "h264", 0, v.sink.packets); // checks contiguity
    expect(d.sink.frames.length).toBe(h264.frames.length);
  });

  test("audio only: every Opus frame is a join point", () => {
    const stream = new Stream("live/a", 1 << 16, 256, () => 0);
    const a = stream.ensureTrack("opus", 48000);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    for (const f of opus.frames.slice(0, 10)) stream.push(f.payload, a.id, f.dts, f.pts, true);
    stream.flush();
    const v = new Viewer(w);
    v.pump();
    expect(v.sink.packets.length).toBe(1); // the newest frame
    expect(v.sink.packets[0]!.flags & FLAG_JOIN).toBe(FLAG_JOIN);
    const p = new RtpPacket();
    decodeRtp(v.sink.packets[0]!.bytes, p);
    expect(p.payload).toEqual(opus.frames[9]!.payload);
    expect(p.payloadType).toBe(111);
  });

  test("a track whose codec changes keeps its SSRC and sequence", () => {
    const stream = new Stream("live/c", 1 << 20, 1024, () => 0);
    const vp8 = ivf("vp8", "vp8.ivf");
    const t1 = stream.ensureTrack("vp8", 90000);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    const ssrc = w.trackOut(t1.id)!.ssrc;
    for (const f of vp8.frames.slice(0, 3)) stream.push(f.payload, t1.id, f.dts, f.pts, f.keyframe);
    const next = (w.outs[0]!.packetizer!.sequenceNumber) & 0xffff;
    const t2 = stream.ensureTrack("h264", 90000);
    stream.setConfig(t2, h264.config!, describeAvcConfig(h264.config!));
    expect(t2.id).toBe(t1.id);
    const out = w.trackOut(t2.id)!;
    expect(out.codec).toBe("h264");
    expect(out.ssrc).toBe(ssrc);
    expect(out.packetizer!.sequenceNumber).toBe(next);
    expect(out.payloadType).toBe(102);
  });

  test("packets larger than 1,500 bytes are refused at construction", () => {
    const stream = new Stream("live/m", 1 << 16, 256, () => 0);
    expect(() => new RtpWriter(stream, { maxPayload: 1461 })).toThrow();
    expect(new RtpWriter(stream, { maxPayload: 1460 }).maxPayload).toBe(1460);
  });
});

describe("RtpViewerPatch", () => {
  test("per-viewer payload types, extension ids and values at the fixed offsets; the rest shared", () => {
    const { stream, push } = makeStream(h264, opus);
    const w = stream.writer("rtp", (s) => new RtpWriter(s));
    const v = new Viewer(w);
    push(40);
    v.pump();
    const chromium = new RtpViewerPatch();
    chromium.setTrack(0, { payloadType: 103, mid: "1", midId: 4, absSendTimeId: 2, transportCcId: 3 });
    chromium.setTrack(1, { payloadType: 111, mid: "0", midId: 4, absSendTimeId: 2, transportCcId: 3 });
    const firefox = new RtpViewerPatch();
    firefox.setTrack(0, { payloadType: 126, mid: "{video-section-0}".slice(0, 16), midId: 3 });
    const p = new RtpPacket();
    let tcc = 0xfffe;
    for (const s of v.sink.packets) {
      const shared = s.bytes.slice();
      const a = s.bytes.slice();
      expect(chromium.apply(a, 0, s.track, tcc, 0x123456)).toBe(true);
      decodeRtp(a, p);
      expect(p.payloadType).toBe(s.track === 0 ? 103 : 111);
      expect(readTransportCc(p, 3)).toBe(tcc);
      expect(readAbsSendTime(p, 2)).toBe(0x123456);
      expect(readMid(p, 4)).toBe(s.track === 0 ? "1" : "0");
      expect(p.marker).toBe((s.flags & FLAG_FRAME_END) !== 0 && s.track === 0);
      tcc = (tcc + 1) & 0xffff;
      // Patched in place (as before a protect), then for another viewer: nothing of the first is left.
      const b = s.bytes.slice();
      chromium.apply(b, 0, s.track, 1, 1);
      if (s.track === 0) {
        expect(firefox.apply(b, 0, 0, 7, 7)).toBe(true);
        decodeRtp(b, p);
        expect(p.payloadType).toBe(126);
        expect(p.extensionCount).toBe(1);
        expect(readMid(p, 3)).toBe("{video-section-0");
      } else {
        expect(firefox.apply(b, 0, 1, 7, 7)).toBe(false); // audio not sent to it
      }
      // Only the PT byte and the extension elements differ from the shared packet.
      for (let i = 0; i < s.bytes.length; i++) if (i !== 1 && (i < 16 || i >= RTP_PACKET_HEADER_SIZE)) expect(a[i]).toBe(shared[i]!);
      expect(a[1]! & 0x80).toBe(shared[1]! & 0x80);
    }
  });
});
