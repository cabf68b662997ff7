import { describe, expect, test } from "bun:test";
import { Frame } from "../core/frame.ts";
import { Track } from "../core/track.ts";
import { TsDemuxer, type TsDemuxerSink, type TsTrack } from "../formats/mpegts/demuxer.ts";
import { TsMuxer } from "../formats/mpegts/muxer.ts";
import { TS_PACKET_SIZE } from "../formats/mpegts/packet.ts";
import { STAMP_MAX_BYTES, SyntheticStream, writeStamp } from "./synthetic.ts";
import { SyntheticTs } from "./synthetic-ts.ts";
import { type StampSink, TsStampScanner } from "./ts-stamp-scanner.ts";

const SRT_PAYLOAD = 7 * TS_PACKET_SIZE;

class Stamps implements StampSink {
  readonly seqs: number[] = [];
  readonly times: number[] = [];
  readonly damaged: number[] = [];
  onStamp(seq: number, sendTimeMs: number): void {
    this.seqs.push(seq);
    this.times.push(sendTimeMs);
  }
  onDamaged(seq: number): void {
    this.damaged.push(seq);
  }
}

/** `seconds` of the synthetic stream muxed in send order; video frame i is stamped (i, base + i / 3). */
function muxedSeconds(seconds: number, opts = { bitrateMbps: 2.5, fps: 30, gopSeconds: 1 }): { ts: Uint8Array; videoFrames: number; audioFrames: number; base: number } {
  const s = new SyntheticStream(opts);
  const mux = new SyntheticTs(s);
  const parts: Uint8Array[] = [];
  const base = 1_763_942_400_000.125;
  let v = 0;
  let a = 0;
  while (s.videoDueMs(v) < seconds * 1000) {
    if (s.videoDueMs(v) <= s.audioDueMs(a)) {
      const key = s.isKeyframe(v);
      parts.push(mux.video(s.videoDueMs(v), s.videoFrame(v, base + v / 3, key), key).slice());
      v++;
    } else parts.push(mux.audio(s.audioDueMs(a++), s.audioFrame).slice());
  }
  const ts = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    ts.set(p, o);
    o += p.length;
  }
  return { ts, videoFrames: v, audioFrames: a, base };
}

function scanInPayloads(ts: Uint8Array, size = SRT_PAYLOAD): { scanner: TsStampScanner; stamps: Stamps } {
  const stamps = new Stamps();
  const scanner = new TsStampScanner(stamps);
  for (let p = 0; p < ts.length; p += size) scanner.push(ts.subarray(p, Math.min(ts.length, p + size)));
  return { scanner, stamps };
}

/** What the server does to a published stream: demux it to frames and mux those again (its TsWriter). */
function remux(ts: Uint8Array): Uint8Array {
  const tracks: Track[] = [];
  const out: Uint8Array[] = [];
  const muxer = new TsMuxer(tracks);
  let space = new Uint8Array(0);
  const frame = new Frame();
  const sink: TsDemuxerSink = {
    onTrack(t: TsTrack) {
      const track = new Track(t.index, t.codec, t.clockRate);
      track.setConfig(t.config!, t.info);
      tracks[t.index] = track;
    },
    reserve(size: number) {
      space = new Uint8Array(size);
      return space;
    },
    onFrame(t: TsTrack, size: number, dts: number, pts: number, keyframe: boolean) {
      frame.track = t.index;
      frame.dts = dts;
      frame.pts = pts;
      frame.keyframe = keyframe;
      frame.payload = space.subarray(0, size);
      const n = muxer.encodedSize(frame);
      if (n === 0) return;
      const buf = new Uint8Array(n);
      muxer.encodeTo(buf, 0);
      out.push(buf);
    },
  };
  const demuxer = new TsDemuxer(sink);
  demuxer.push(ts);
  return Buffer.concat(out);
}

describe("TsStampScanner", () => {
  test("finds every stamp of the synthetic stream muxed as TS, in SRT payloads of 7 packets", () => {
    const { ts, videoFrames, audioFrames, base } = muxedSeconds(3);
    expect(ts.length % TS_PACKET_SIZE).toBe(0);
    const { scanner, stamps } = scanInPayloads(ts);
    expect(stamps.seqs).toEqual(Array.from({ length: videoFrames }, (_, i) => i));
    expect(stamps.times).toEqual(Array.from({ length: videoFrames }, (_, i) => base + i / 3));
    expect(scanner).toMatchObject({ videoFrames, audioFrames, unstamped: 0, badPackets: 0, ccErrors: 0 });
    expect(stamps.damaged).toEqual([]);
  });

  test("a packet missing after the stamp: the frame arrives, damaged, and the gap is counted", () => {
    const { ts, videoFrames } = muxedSeconds(1);
    // The 3rd video PES start, then drop a packet two packets later (inside that frame: frames are ~50 packets).
    const starts: number[] = [];
    for (let p = 0; p < ts.length; p += TS_PACKET_SIZE) if (ts[p + 1] === 0x41 && ts[p + 2] === 0x00) starts.push(p); // PUSI on PID 0x100
    const drop = starts[2]! + 2 * TS_PACKET_SIZE;
    const cut = Buffer.concat([ts.subarray(0, drop), ts.subarray(drop + TS_PACKET_SIZE)]);
    const { scanner, stamps } = scanInPayloads(cut);
    expect(stamps.seqs.length).toBe(videoFrames);
    expect(stamps.damaged).toEqual([2]);
    expect(scanner).toMatchObject({ ccErrors: 1, packetsMissing: 1 });
  });

  test("finds them after the server's demux and remux (AUD, SPS/PPS before keyframes, PCR)", () => {
    const { ts, videoFrames } = muxedSeconds(2);
    const { scanner, stamps } = scanInPayloads(remux(ts), TS_PACKET_SIZE);
    // The demuxer completes a video PES when the next one starts: the last frame stays inside.
    expect(stamps.seqs).toEqual(Array.from({ length: videoFrames - 1 }, (_, i) => i));
    expect(scanner.unstamped).toBe(0);
  });

  test("tiny frames at a low bitrate, one packet at a time", () => {
    const { ts, videoFrames } = muxedSeconds(2, { bitrateMbps: 0.05, fps: 25, gopSeconds: 0.2 });
    const { stamps, scanner } = scanInPayloads(ts, TS_PACKET_SIZE);
    expect(stamps.seqs.length).toBe(videoFrames);
    expect(scanner.unstamped).toBe(0);
  });

  test("stamp bytes in a second packet of the PES are gathered", () => {
    // A hand-made PES: header, AUD, then our slice with the stamp starting 10 bytes before the packet ends.
    const pes = videoPes(184 - 9 - 6 - 4 - 1 - 10);
    const packets = packetize(0x100, pes);
    expect(packets.length).toBe(2 * TS_PACKET_SIZE);
    const { stamps, scanner } = scanInPayloads(packets, TS_PACKET_SIZE);
    expect(stamps.seqs).toEqual([77]);
    expect(scanner.unstamped).toBe(0);
  });

  test("a slice without our stamp, a PES cut short, and a lost sync byte are counted", () => {
    const foreign = videoPes(20);
    foreign[9 + 6 + 4 + 1 + 20] ^= 0xff; // the magic's first byte
    const short = videoPes(0).subarray(0, 9 + 6 + 4 + 1 + 5); // ends inside the stamp
    const good = packetize(0x100, videoPes(0));
    const ts = Buffer.concat([packetize(0x100, foreign), packetize(0x100, short), good, good]);
    ts[ts.length - TS_PACKET_SIZE] = 0; // no sync byte: the last PES is never seen
    const { stamps, scanner } = scanInPayloads(ts);
    expect(stamps.seqs).toEqual([77]);
    expect(scanner).toMatchObject({ videoFrames: 3, unstamped: 2, badPackets: 1 });
    scanner.push(ts.subarray(0, 100));
    expect(scanner.badPackets).toBe(2);
  });
});

/** A video PES (no PTS) with an AUD, filler NAL bytes, and a type-1 slice stamped (77, 1000.5). */
function videoPes(fillerBytes: number): Uint8Array {
  const head = [0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0]; // stream_id, unbounded length, no PTS, header data length 0
  const aud = [0, 0, 1, 0x09, 0xf0, 0];
  const filler = [0, 0, 1, 0x0c, ...new Array(Math.max(0, fillerBytes - 4)).fill(0xff)].slice(0, fillerBytes);
  const slice = new Uint8Array(4 + 1 + STAMP_MAX_BYTES + 40).fill(0xa5);
  slice.set([0, 0, 0, 1, 0x41]);
  writeStamp(slice, 5, 77, 1000.5);
  return Uint8Array.from([...head, ...aud, ...filler, ...slice]);
}

/** Packets of one PES on `pid`, the last one padded with adaptation-field stuffing. */
function packetize(pid: number, pes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let p = 0, first = true; p < pes.length; first = false) {
    const take = Math.min(184, pes.length - p);
    const pad = 184 - take;
    out.push(0x47, (first ? 0x40 : 0) | (pid >> 8), pid & 0xff, pad > 0 ? 0x30 : 0x10);
    if (pad > 0) {
      out.push(pad - 1);
      if (pad > 1) out.push(0, ...new Array(pad - 2).fill(0xff));
    }
    out.push(...pes.subarray(p, p + take));
    p += take;
  }
  return Uint8Array.from(out);
}
