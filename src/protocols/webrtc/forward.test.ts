/**
 * Straight WHIP → WHEP without sockets: a publisher's RTP (real frames from rtp/testdata packetized
 * the way a browser might, smaller than our packetizer cuts them and with its own header extension)
 * through a section's MediaIngest into a Stream with an RtpWriter and cursors. Forwarded packets keep
 * the publisher's payload bytes; numbering and timing continue the writer's packetized catch-up; join
 * points, the NACK history, publisher loss, padding probes and the fall back to the packetizer.
 */
import { describe, expect, test } from "bun:test";
import { PUMP_SKIPPED, RingCursor, type ByteSink } from "../../core/ring-cursor.ts";
import { Stream } from "../../core/stream.ts";
import { FakeWhipPublisher as Owner, videoSection } from "./forward-harness.ts";
import { MediaIngest } from "./ingest-track.ts";
import { flvH264, ivf, type Fixture } from "./rtp/fixtures.ts";
import { H264Packetizer } from "./rtp/h264-packetizer.ts";
import { pictureId } from "./rtp/picture-id.ts";
import { PayloadBatch } from "./rtp/payload-batch.ts";
import { Vp8Packetizer } from "./rtp/vp8.ts";
import { depacketizerFor, RecordingSink } from "./rtp/harness.ts";
import { decodeRtp, RtpPacket } from "./wire/rtp.ts";
import { FLAG_JOIN, RECORD_HEADER_SIZE, RtpWriter } from "./writer.ts";

const PUBLISHER_SSRC = 0x11223344;
const random32 = () => 0xffff_fff0;

interface PubPacket {
  bytes: Uint8Array;
  payload: Uint8Array;
  seq: number;
  ts: number;
  frame: number;
}

/** The fixture as a browser would send it: `maxPayload`-byte payloads behind a 12-byte header and a one-byte extension block. */
/** `spsEveryKeyframe` false: only the first keyframe carries SPS and PPS in band (some encoders' way). */
function publisherPackets(fx: Fixture, maxPayload: number, seq0: number, ts0: number, pictureId0 = 0x7ff0, spsEveryKeyframe = true): PubPacket[] {
  const p =
    fx.codec === "h264"
      ? new H264Packetizer({ maxPayload, sequenceNumber: seq0, timestampOffset: ts0 })
      : new Vp8Packetizer({ maxPayload, sequenceNumber: seq0, timestampOffset: ts0, pictureId: pictureId0 });
  if (p instanceof H264Packetizer) p.setConfig(fx.config);
  const batch = new PayloadBatch();
  const out: PubPacket[] = [];
  fx.frames.forEach((f, frame) => {
    if (frame === 1 && !spsEveryKeyframe && p instanceof H264Packetizer) p.setConfig(null);
    const n = p.packetize(f, batch);
    for (let i = 0; i < n; i++) {
      const payload = batch.payload(i).slice();
      const seq = batch.sequence(i);
      const b = new Uint8Array(20 + payload.length);
      const dv = new DataView(b.buffer);
      b[0] = 0x90;
      b[1] = (batch.markers[i] ? 0x80 : 0) | 102;
      dv.setUint16(2, seq);
      dv.setUint32(4, batch.timestamp);
      dv.setUint32(8, PUBLISHER_SSRC);
      dv.setUint32(12, 0xbede0001);
      b.set([0x10, 0xaa, 0, 0], 16); // one element (id 1, audio-level-like), padded
      b.set(payload, 20);
      out.push({ bytes: b, payload, seq, ts: batch.timestamp, frame });
    }
  });
  return out;
}

interface Got {
  flags: number;
  bytes: Uint8Array;
}

class Viewer implements ByteSink {
  readonly got: Got[] = [];
  readonly cursor: RingCursor;
  constructor(w: RtpWriter) {
    this.cursor = new RingCursor(w.ring);
  }
  write(data: Uint8Array, offset: number, length: number): number {
    for (let at = offset; at < offset + length; ) {
      const len = (data[at]! << 8) | data[at + 1]!;
      this.got.push({ flags: data[at + 3]!, bytes: data.slice(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + len) });
      at += RECORD_HEADER_SIZE + len;
    }
    return length;
  }
  pump(): void {
    while (this.cursor.pump(this, Number.POSITIVE_INFINITY) === PUMP_SKIPPED) {}
  }
  onTracks(): void {}
  onState(): void {}
  decoded(): RtpPacket[] {
    return this.got.map((g) => {
      const p = new RtpPacket();
      expect(decodeRtp(g.bytes, p)).toBe(g.bytes.length);
      p.payload = p.payload.slice();
      return p;
    });
  }
}

function setup(fx: Fixture, maxPayload = 500, spsEveryKeyframe = true) {
  const owner = new Owner();
  const stream = new Stream("live/fwd", 1 << 20, 1024, () => owner.clockMs);
  owner.stream = stream;
  stream.beginEpoch(owner);
  const m = new MediaIngest(videoSection(fx.codec as "h264" | "vp8", 102, PUBLISHER_SSRC), owner);
  owner.sections.push(m);
  const pkts = publisherPackets(fx, maxPayload, 0xfff0, 0x7fff_ff00, 0x7ff0, spsEveryKeyframe);
  let next = 0;
  /** Feeds packets up to (not including) index `end` through the reorder buffer, skipping `drop`. */
  const feed = (end: number, drop: Set<number> = new Set()) => {
    for (; next < end; next++) {
      owner.clockMs += 1;
      if (!drop.has(next)) m.reorder.push(pkts[next]!.bytes, pkts[next]!.bytes.length, pkts[next]!.seq, owner.clockMs);
      m.reorder.tick(owner.clockMs);
      if (drop.has(next)) {
        owner.clockMs += 100; // the hole is given up on
      }
    }
    m.reorder.tick(owner.clockMs + 1000);
    stream.flush();
  };
  return { owner, stream, m, pkts, feed, frameStart: (frame: number) => pkts.findIndex((p) => p.frame === frame) };
}

/** One PictureID per frame (on its first packet), each the one before plus one (15 bits). */
function expectPictureIdsRunOn(got: RtpPacket[]): void {
  let last = -1;
  for (let i = 0; i < got.length; i++) {
    if (i > 0 && got[i]!.timestamp === got[i - 1]!.timestamp) continue;
    const id = pictureId("vp8", got[i]!.payload);
    expect(id).toBeGreaterThanOrEqual(0);
    if (last >= 0) expect(id).toBe((last + 1) & 0x7fff);
    last = id;
  }
}

/** Depacketizes what a viewer got: the frames must be the fixture's from `firstFrame` on. */
function depacketize(codec: "h264" | "vp8", got: RtpPacket[]) {
  const sink = new RecordingSink();
  const d = depacketizerFor(codec, sink);
  for (const p of got) d.push(p.payload, p.marker, p.timestamp, p.sequenceNumber);
  return { sink, stats: d.stats };
}

describe("straight WHIP -> WHEP forwarding", () => {
  for (const [name, fx] of [
    ["H.264 (slices, STAP-A and FU-A)", flvH264("h264-slices.flv")],
    ["VP8", ivf("vp8", "vp8.ivf")],
  ] as const) {
    test(`${name}: forwarded payloads are the publisher's bytes, numbering continues the catch-up, frames still reach the ring`, () => {
      const { owner, stream, m, pkts, feed, frameStart } = setup(fx);
      const codec = fx.codec as "h264" | "vp8";
      // Three frames before any viewer: only the ring has them.
      feed(frameStart(3));
      expect(stream.tracks[0]!.frames).toBe(3);
      const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
      expect(owner.rtpWriter).toBe(w); // the writer announced itself to the publisher
      const v = new Viewer(w);
      w.add(v);
      const catchUp = w.packetsEncoded;
      expect(catchUp).toBeGreaterThan(0);
      feed(pkts.length);
      v.pump();

      expect(stream.tracks[0]!.frames).toBe(fx.frames.length);
      expect(w.packetsEncoded).toBe(catchUp); // nothing packetized after the switch
      expect(m.forward.packets).toBe(pkts.length - frameStart(3));
      expect(w.packetsForwarded).toBe(m.forward.packets);

      const got = v.decoded();
      const fwd = got.slice(got.length - m.forward.packets);
      // Byte for byte the publisher's payloads, in its order, its markers; our SSRC.
      const sent = pkts.slice(frameStart(3));
      expect(fwd.length).toBe(sent.length);
      for (let i = 0; i < sent.length; i++) {
        expect(fwd[i]!.payload).toEqual(sent[i]!.payload);
        expect(fwd[i]!.marker).toBe((sent[i]!.bytes[1]! & 0x80) !== 0);
        expect(fwd[i]!.ssrc).toBe(w.outs[0]!.ssrc);
        expect(fwd[i]!.timestamp - sent[i]!.ts).toBe(fwd[0]!.timestamp - sent[0]!.ts); // one offset (mod 2^32 as JS numbers here)
      }
      // One sequence across the packetized catch-up and the forwarded packets (wrapping).
      for (let i = 1; i < got.length; i++) expect(got[i]!.sequenceNumber).toBe((got[i - 1]!.sequenceNumber + 1) & 0xffff);
      // The timestamps step as the frames' dts do across the switch.
      const lastCatchUp = got[got.length - fwd.length - 1]!;
      expect((fwd[0]!.timestamp - lastCatchUp.timestamp) >>> 0).toBe(fx.frames[3]!.pts - fx.frames[2]!.pts);
      // VP8: the packetized catch-up carried the publisher's own PictureIDs (primed), so they run on unshifted.
      if (codec === "vp8") expectPictureIdsRunOn(got);
      // And everything depacketizes into the fixture's frames.
      const { sink, stats } = depacketize(codec, got);
      expect(stats).toMatchObject({ lost: 0, framesDropped: 0, malformed: 0 });
      expect(sink.frames.length).toBe(fx.frames.length);

      // A NACK for a forwarded packet finds the forwarded bytes.
      const out = w.outs[0]!;
      const k = fwd[5]!;
      const at = out.history.find(k.sequenceNumber);
      expect(at).toBeGreaterThan(-1);
      expect(Array.from(w.ring.buf.subarray(at + 40, at + out.history.length))).toEqual(Array.from(k.payload));
    });
  }

  test("a viewer joining later starts at the first packet of a forwarded keyframe", () => {
    const fx = ivf("vp8", "vp8.ivf");
    const { stream, feed, pkts, frameStart } = setup(fx);
    const keys = fx.frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i > 0);
    expect(keys.length).toBeGreaterThan(0);
    const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const first = new Viewer(w);
    w.add(first);
    feed(frameStart(keys[0]!) + 1);
    const late = new Viewer(w);
    w.add(late);
    feed(pkts.length);
    late.pump();
    expect(late.got[0]!.flags & FLAG_JOIN).toBe(FLAG_JOIN);
    const p = late.decoded();
    expect(p[0]!.payload).toEqual(pkts[frameStart(keys[0]!)]!.payload);
    expectPictureIdsRunOn(p);
    const { sink, stats } = depacketize("vp8", p);
    expect(stats.framesDropped).toBe(0);
    expect(sink.frames[0]!.keyframe).toBe(true);
    expect(sink.frames.length).toBe(fx.frames.length - keys[0]!);
  });

  test("publisher loss the reorder buffer gave up on stays a gap; padding probes leave none", () => {
    const fx = flvH264("h264-slices.flv");
    const { stream, m, feed, pkts, owner, frameStart } = setup(fx);
    const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const v = new Viewer(w);
    w.add(v);
    feed(frameStart(4));
    // A padding-only probe on the media SSRC with the next sequence number: later packets shift by one.
    const probeSeq = pkts[frameStart(4)]!.seq;
    const probe = new Uint8Array(12 + 200);
    probe.set(pkts[0]!.bytes.subarray(0, 12));
    probe[0] = 0xa0; // padding, no extension
    probe[1] = 102;
    new DataView(probe.buffer).setUint16(2, probeSeq);
    probe[probe.length - 1] = 200;
    for (const p of pkts.slice(frameStart(4))) {
      p.seq = (p.seq + 1) & 0xffff;
      new DataView(p.bytes.buffer).setUint16(2, p.seq);
    }
    m.reorder.push(probe, probe.length, probeSeq, ++owner.clockMs);
    expect(m.paddingOnly).toBe(1);
    const lost = frameStart(6) + 1;
    feed(pkts.length, new Set([lost]));
    v.pump();
    const got = v.decoded();
    let gaps = 0;
    for (let i = 1; i < got.length; i++) {
      const d = (got[i]!.sequenceNumber - got[i - 1]!.sequenceNumber) & 0xffff;
      if (d !== 1) {
        expect(d).toBe(2);
        expect(got[i]!.payload).toEqual(pkts[lost + 1]!.payload);
        gaps++;
      }
    }
    expect(gaps).toBe(1);
    // Forwarding began at the second frame (the first fixed the timestamp offset); one packet lost.
    expect(m.forward.packets).toBe(pkts.length - frameStart(1) - 1);
  });

  test("when the writer goes, the packetizer takes over with the same numbering and timing", () => {
    const fx = flvH264("h264-slices.flv");
    const { owner, stream, m, feed, pkts, frameStart } = setup(fx);
    const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const v = new Viewer(w);
    w.add(v);
    feed(frameStart(5));
    expect(m.forward.active).toBe(true);
    const forwarded = w.packetsForwarded;
    // The publisher stops forwarding (its writer reference dropped), the viewer stays.
    owner.setRtpWriter(null, w);
    feed(pkts.length);
    v.pump();
    expect(w.packetsForwarded).toBe(forwarded);
    expect(w.packetsEncoded).toBeGreaterThan(0);
    const got = v.decoded();
    for (let i = 1; i < got.length; i++) expect(got[i]!.sequenceNumber).toBe((got[i - 1]!.sequenceNumber + 1) & 0xffff);
    const { sink, stats } = depacketize("h264", got);
    expect(stats).toMatchObject({ lost: 0, framesDropped: 0 });
    expect(sink.frames.length).toBe(fx.frames.length);
    for (let i = 1; i < sink.frames.length; i++) expect((sink.frames[i]!.timestamp - sink.frames[0]!.timestamp) >>> 0).toBe(fx.frames[i]!.pts - fx.frames[0]!.pts);
    // The last viewer leaving takes the writer away from the publisher too.
    w.remove(v);
    expect(owner.rtpWriter).toBe(null);
  });

  test("a returning publisher: the viewer's numbering and timestamps run on, and the new one forwards from its second frame", () => {
    const fx = flvH264("h264-slices.flv");
    const first = setup(fx);
    const w = first.stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const v = new Viewer(w);
    w.add(v);
    first.feed(first.frameStart(6));
    expect(first.m.forward.packets).toBeGreaterThan(0);
    // The publisher goes (its session closes: it drops the writer), a new one publishes the same path.
    first.owner.setRtpWriter(null, w);
    first.stream.setState("waiting");
    const owner = new Owner();
    owner.stream = first.stream;
    owner.clockMs = first.owner.clockMs + 500;
    first.stream.beginEpoch(owner);
    expect(owner.rtpWriter).toBe(w);
    const m = new MediaIngest(videoSection("h264", 102, PUBLISHER_SSRC), owner);
    owner.sections.push(m);
    const pkts = publisherPackets(fx, 700, 0x1234, 0x10); // another SSRC's numbering and clock
    for (const p of pkts) {
      owner.clockMs += 1;
      m.reorder.push(p.bytes, p.bytes.length, p.seq, owner.clockMs);
    }
    first.stream.flush();
    w.flushForwarded();
    v.pump();
    expect(m.forward.packets).toBe(pkts.length - pkts.findIndex((p) => p.frame === 1));
    const got = v.decoded();
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequenceNumber).toBe((got[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect(((got[i]!.timestamp - got[i - 1]!.timestamp) | 0) >= 0).toBe(true);
    }
    expect(got[got.length - 1]!.payload).toEqual(pkts[pkts.length - 1]!.payload);
  });

  test("VP8 from a returning publisher: its PictureIDs are shifted to run on, nothing else in its payloads changes", () => {
    const fx = ivf("vp8", "vp8.ivf");
    const first = setup(fx);
    const w = first.stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const v = new Viewer(w);
    w.add(v);
    first.feed(first.frameStart(8));
    first.owner.setRtpWriter(null, w);
    first.stream.setState("waiting");
    const owner = new Owner();
    owner.stream = first.stream;
    first.stream.beginEpoch(owner);
    const m = new MediaIngest(videoSection("vp8", 96, PUBLISHER_SSRC + 1), owner);
    owner.sections.push(m);
    const pkts = publisherPackets(fx, 300, 0x4000, 0x20, 0x1234); // its own PictureIDs
    for (const p of pkts) {
      owner.clockMs += 1;
      m.reorder.push(p.bytes, p.bytes.length, p.seq, owner.clockMs);
    }
    first.stream.flush();
    w.flushForwarded();
    v.pump();
    const got = v.decoded();
    expectPictureIdsRunOn(got);
    const fwd = got.slice(got.length - m.forward.packets);
    const sent = pkts.slice(pkts.length - m.forward.packets);
    let shifted = 0;
    for (let i = 0; i < sent.length; i++) {
      const a = fwd[i]!.payload;
      const b = sent[i]!.payload;
      expect(a.length).toBe(b.length);
      // X and I set, 15-bit PictureID at bytes 2..3: those may differ, nothing else.
      for (let j = 0; j < a.length; j++) if (j !== 2 && j !== 3) expect(a[j]).toBe(b[j]!);
      if (pictureId("vp8", a) !== pictureId("vp8", b)) shifted++;
    }
    expect(shifted).toBe(sent.length);
    const { stats } = depacketize("vp8", got);
    expect(stats).toMatchObject({ lost: 0, framesDropped: 0, malformed: 0 });
  });

  test("an H.264 keyframe that came without SPS and PPS gets the track's in front: a viewer joining there decodes", () => {
    const fx = flvH264("h264-slices.flv");
    const { stream, m, feed, pkts, frameStart } = setup(fx, 500, false);
    expect(pkts.filter((p) => p.frame > 0 && (p.payload[0]! & 0x1f) === 24).length).toBe(0); // no STAP-A after frame 0
    const w = stream.writer("rtp", (s) => new RtpWriter(s, { random32 }));
    const first = new Viewer(w);
    w.add(first);
    feed(frameStart(10) + 1);
    const late = new Viewer(w);
    w.add(late);
    feed(pkts.length);
    first.pump();
    late.pump();
    expect(m.forward.parameterSetsAdded).toBe(2); // keyframes 10 and 20
    const p = late.decoded();
    expect(late.got[0]!.flags & FLAG_JOIN).toBe(FLAG_JOIN);
    expect(p[0]!.payload).toEqual(w.outs[0]!.parameterSets!);
    expect(p[1]!.payload).toEqual(pkts[frameStart(10)]!.payload);
    expect(p[0]!.timestamp).toBe(p[1]!.timestamp);
    const { sink, stats } = depacketize("h264", p);
    expect(stats).toMatchObject({ lost: 0, framesDropped: 0, malformed: 0 });
    expect(sink.frames.length).toBe(fx.frames.length - 10);
    expect(sink.frames[0]!.keyframe).toBe(true);
    // The viewer that was there all along: one sequence, the added packets included.
    const all = first.decoded();
    for (let i = 1; i < all.length; i++) expect(all[i]!.sequenceNumber).toBe((all[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect(depacketize("h264", all).sink.frames.length).toBe(fx.frames.length);
  });
});
