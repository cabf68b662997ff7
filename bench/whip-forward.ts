/**
 * Straight WHIP → WHEP against the packetizing path it replaces, without crypto and sockets: a
 * publisher's RTP packets (H.264 at 2.5 Mbit/s, 30 fps: 10 KB frames and a 100 KB keyframe every
 * 2 s, cut into ~1,180-byte payloads as Chromium does) through one section's MediaIngest (reorder
 * buffer, depacketizer, stream ring) into the stream's RtpWriter and V viewer cursors that patch and
 * copy each packet as SRTP protect would. Two modes on the same code:
 *
 *   packetize — the publisher does not forward (the path before): each frame, once whole, is
 *               packetized again by the writer;
 *   forward   — the publisher's packets go into the writer as they come (forward.ts).
 *
 * Reports ns per publisher packet (CPU), heap objects per packet, and the ingest-to-egress delay of
 * a frame's first packet under a fake clock: packets arrive paced (Chromium's pacer sends at 2.5 ×
 * the target bitrate), and the delay is the fake time from the packet's arrival to a viewer getting
 * the first packet of that frame. `bun bench/whip-forward.ts --json` prints the figures.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { objectsPerCall } from "./alloc.ts";
import { fixture } from "../src/codecs/h264.cases.ts";
import type { Frame } from "../src/core/frame.ts";
import { PUMP_SKIPPED, RingCursor, type ByteSink } from "../src/core/ring-cursor.ts";
import type { RingReader } from "../src/core/ring-writer.ts";
import { Stream } from "../src/core/stream.ts";
import { FakeWhipPublisher, videoSection } from "../src/protocols/webrtc/forward-harness.ts";
import { MediaIngest } from "../src/protocols/webrtc/ingest-track.ts";
import { H264Packetizer } from "../src/protocols/webrtc/rtp/h264-packetizer.ts";
import { PayloadBatch } from "../src/protocols/webrtc/rtp/payload-batch.ts";
import { RtpViewerPatch } from "../src/protocols/webrtc/viewer-patch.ts";
import { RECORD_HEADER_SIZE, RtpWriter } from "../src/protocols/webrtc/writer.ts";

const FRAME_BYTES = 10_000;
const KEY_BYTES = 100_000;
const GOP = 60;
const FRAME_TICKS = 3000;
/** Chromium's pacer: 2.5 × 2.5 Mbit/s. */
const PACE_BPS = 6_250_000;
const CHROMIUM_MAX_PAYLOAD = 1180;
const copy = Buffer.prototype.copy;

type Mode = "packetize" | "forward";

class Viewer implements RingReader, ByteSink {
  readonly cursor: RingCursor;
  readonly patch = new RtpViewerPatch();
  readonly out = new Uint8Array(1500);
  transportSeq = 0;
  packets = 0;
  /** RTP timestamp of the newest packet, and what to call when a new one starts (latency probe). */
  lastTs = -1;
  onFrameStart: ((ts: number) => void) | null = null;

  constructor(writer: RtpWriter) {
    this.cursor = new RingCursor(writer.ring);
    this.patch.setTrack(0, { payloadType: 103, mid: "1", midId: 4, absSendTimeId: 2, transportCcId: 3 });
  }
  pump(): void {
    while (this.cursor.pump(this, Number.POSITIVE_INFINITY) === PUMP_SKIPPED) {}
  }
  write(data: Uint8Array, offset: number, length: number): number {
    for (let at = offset; at < offset + length; ) {
      const len = (data[at]! << 8) | data[at + 1]!;
      const p = at + RECORD_HEADER_SIZE;
      this.patch.apply(data, p, data[at + 2]!, this.transportSeq, 0x123456);
      this.transportSeq = (this.transportSeq + 1) & 0xffff;
      copy.call(data, this.out, 0, p, p + len);
      this.packets++;
      if (this.onFrameStart) {
        const ts = ((data[p + 4]! << 24) | (data[p + 5]! << 16) | (data[p + 6]! << 8) | data[p + 7]!) >>> 0;
        if (ts !== this.lastTs) this.onFrameStart(ts);
        this.lastTs = ts;
      }
      at = p + len;
    }
    return length;
  }
  onTracks(): void {}
  onState(): void {}
}

interface Packet {
  bytes: Uint8Array;
  frame: number;
  /** Fake arrival time within its frame (ms after the frame's first packet). */
  offsetMs: number;
}

/** One GOP of publisher packets: 12-byte header and an 8-byte extension block, as a browser sends them. */
function publisherGop(): Packet[] {
  const config = fixture("h264-high-720p.avcc");
  const p = new H264Packetizer({ maxPayload: CHROMIUM_MAX_PAYLOAD });
  p.setConfig(config);
  const batch = new PayloadBatch();
  const out: Packet[] = [];
  for (let n = 0; n < GOP; n++) {
    const size = n === 0 ? KEY_BYTES : FRAME_BYTES;
    const payload = new Uint8Array(size).fill(7);
    new DataView(payload.buffer).setUint32(0, size - 4);
    payload[4] = n === 0 ? 0x65 : 0x41;
    const count = p.packetize({ payload, dts: n * FRAME_TICKS, pts: n * FRAME_TICKS, keyframe: n === 0, track: 0 } as Frame, batch);
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const b = new Uint8Array(20 + batch.lengths[i]!);
      b[0] = 0x90;
      b[1] = (batch.markers[i] ? 0x80 : 0) | 102;
      new DataView(b.buffer).setUint32(8, 0x1234);
      new DataView(b.buffer).setUint32(12, 0xbede0001);
      b.set([0x10, 0x7f, 0, 0], 16);
      b.set(batch.payload(i), 20);
      out.push({ bytes: b, frame: n, offsetMs: (sent * 8 * 1000) / PACE_BPS });
      sent += b.length;
    }
  }
  return out;
}

const GOP_PACKETS = publisherGop();

export function whipFixture(mode: Mode, viewers: number) {
  const owner = new FakeWhipPublisher(mode === "forward");
  const stream = new Stream("bench/whip", 16 << 20, 4096, () => owner.clockMs);
  owner.stream = stream;
  stream.beginEpoch(owner);
  const ingest = new MediaIngest(videoSection("h264", 102, 0x1234), owner);
  owner.sections.push(ingest);
  let seq = 0;
  let n = 0;
  let frames = 0;
  let startMs = 0;
  /** Feeds the next frame's packets, the fake clock at each one's paced arrival. */
  const pushFrame = () => {
    const frameIndex = frames % GOP;
    const base = frames * FRAME_TICKS;
    startMs = frames * (1000 / 30);
    while (GOP_PACKETS[n]!.frame === frameIndex) {
      const pk = GOP_PACKETS[n]!;
      const b = pk.bytes;
      b[2] = seq >>> 8;
      b[3] = seq;
      b[4] = base >>> 24;
      b[5] = base >>> 16;
      b[6] = base >>> 8;
      b[7] = base;
      owner.clockMs = startMs + pk.offsetMs;
      ingest.reorder.push(b, b.length, seq, owner.clockMs);
      stream.flush(); // what WhipIngest.onRtp does after each packet
      owner.rtpWriter?.flushForwarded();
      seq = (seq + 1) & 0xffff;
      n = (n + 1) % GOP_PACKETS.length;
    }
    frames++;
  };
  pushFrame(); // the first keyframe makes the track
  const writer = stream.writer("rtp", (s) => new RtpWriter(s));
  const list: Viewer[] = [];
  for (let i = 0; i < viewers; i++) {
    const v = new Viewer(writer);
    writer.add(v);
    list.push(v);
  }
  for (let i = 0; i < 2 * GOP; i++) pushFrame(); // steady state, JIT settled
  return { owner, stream, writer, ingest, viewers: list, pushFrame, frameStartMs: () => startMs };
}

/** Mean and max fake-clock delay from a frame's first packet arriving to a viewer getting the frame's first packet. */
function firstPacketDelay(mode: Mode): { meanMs: number; keyframeMs: number } {
  const f = whipFixture(mode, 1);
  const delays: number[] = [];
  let keyMs = 0;
  let frameIndex = 0;
  f.viewers[0]!.onFrameStart = () => {
    const d = f.owner.clockMs - f.frameStartMs();
    delays.push(d);
    if (frameIndex % GOP === 0) keyMs = Math.max(keyMs, d);
  };
  for (let i = 0; i < 4 * GOP; i++) {
    frameIndex = i + 2 * GOP + 1;
    f.pushFrame();
  }
  const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
  return { meanMs: Math.round(mean * 100) / 100, keyframeMs: Math.round(keyMs * 100) / 100 };
}

function objectsPerPacket(mode: Mode, viewers: number, frames = 120): number {
  const packetsPerFrame = GOP_PACKETS.length / GOP;
  return Math.round((objectsPerCall(whipFixture(mode, viewers).pushFrame, frames, GOP) / packetsPerFrame) * 100) / 100;
}

const MODES: Mode[] = ["packetize", "forward"];
const VIEWERS = [1, 100];
const cases = MODES.flatMap((mode) => VIEWERS.map((viewers) => ({ mode, viewers, f: whipFixture(mode, viewers) })));

summary(() => {
  for (const c of cases) {
    bench(`WHIP frame -> ${c.viewers} WHEP viewers (${c.mode})`, () => {
      c.f.pushFrame();
      do_not_optimize(c.f.viewers[0]!.packets);
    }).gc("inner");
  }
});

if (import.meta.main) {
  const json = process.argv.includes("--json");
  const result = await run({ format: json ? "quiet" : "mitata", colors: !json });
  const packetsPerFrame = GOP_PACKETS.length / GOP;
  const figures = cases.map((c, i) => {
    const ns = result.benchmarks[i]!.runs[0]!.stats!.avg;
    return {
      mode: c.mode,
      viewers: c.viewers,
      nsPerPacket: Math.round(ns / packetsPerFrame),
      nsPerPacketViewer: Math.round((ns / packetsPerFrame / c.viewers) * 10) / 10,
      objectsPerPacket: objectsPerPacket(c.mode, c.viewers),
      forwarded: c.f.writer.packetsForwarded,
      packetized: c.f.writer.packetsEncoded,
    };
  });
  const latency = Object.fromEntries(MODES.map((m) => [m, firstPacketDelay(m)]));
  const out = { packetsPerFrame: Math.round(packetsPerFrame * 100) / 100, figures, firstPacketDelay: latency };
  if (json) console.log(JSON.stringify({ whipForward: out }));
  else {
    console.log(`${out.packetsPerFrame} publisher packets/frame`);
    for (const f of figures) console.log(`${f.mode}, ${f.viewers} viewers: ${f.nsPerPacket} ns/packet (${f.nsPerPacketViewer} ns/packet/viewer), ${f.objectsPerPacket} heap objects/packet; writer forwarded ${f.forwarded}, packetized ${f.packetized}`);
    for (const m of MODES) console.log(`${m}: a frame's first packet reaches the viewers ${latency[m]!.meanMs} ms (mean) after it arrived; keyframes ${latency[m]!.keyframeMs} ms`);
  }
}
