/**
 * The WHEP fan-out hot path without crypto and sockets: a frame into the stream's ring → RTP packets
 * encoded once by the RtpWriter → N viewer cursors, each walking the packet records, patching its
 * per-viewer bytes in place (RtpViewerPatch) and copying the packet into its own output buffer, as
 * SRTP protect would. 2.5 Mbit/s H.264 at 30 fps (10 KB frames, a 100 KB keyframe every 2 s).
 * Reports ns per frame, ns per packet per viewer (the 0-viewer cost taken out) and heap objects per
 * frame (JSC heap census) at 10 and 500 viewers. `bun bench/rtp-fanout.ts --json` prints the figures
 * for bench/run.ts.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { objectsPerCall } from "./alloc.ts";
import { describeAvcConfig } from "../src/codecs/h264.ts";
import { fixture } from "../src/codecs/h264.cases.ts";
import { PUMP_SKIPPED, RingCursor, type ByteSink } from "../src/core/ring-cursor.ts";
import type { RingReader } from "../src/core/ring-writer.ts";
import { Stream } from "../src/core/stream.ts";
import { RtpViewerPatch } from "../src/protocols/webrtc/viewer-patch.ts";
import { RECORD_HEADER_SIZE, RtpWriter } from "../src/protocols/webrtc/writer.ts";

const FRAME_BYTES = 10_000;
const KEY_BYTES = 100_000;
const GOP = 60;
/** Copies without a view per packet (what protect's read of src costs, minus the cipher). */
const copy = Buffer.prototype.copy;

/** One viewer: a cursor and an output buffer; what the WHEP egress does per packet, crypto aside. */
class BenchViewer implements RingReader, ByteSink {
  readonly cursor: RingCursor;
  readonly patch: RtpViewerPatch;
  readonly out: Uint8Array;
  transportSeq: number;
  packets: number;

  constructor(readonly writer: RtpWriter) {
    this.cursor = new RingCursor(writer.ring);
    this.patch = new RtpViewerPatch();
    this.patch.setTrack(0, { payloadType: 103, mid: "1", midId: 4, absSendTimeId: 2, transportCcId: 3 });
    this.out = new Uint8Array(1500);
    this.transportSeq = 0;
    this.packets = 0;
  }

  pump(): void {
    while (this.cursor.pump(this, Number.POSITIVE_INFINITY) === PUMP_SKIPPED) {}
  }

  write(data: Uint8Array, offset: number, length: number): number {
    const end = offset + length;
    for (let at = offset; at < end; ) {
      const len = (data[at]! << 8) | data[at + 1]!;
      const p = at + RECORD_HEADER_SIZE;
      this.patch.apply(data, p, data[at + 2]!, this.transportSeq, 0x123456);
      this.transportSeq = (this.transportSeq + 1) & 0xffff;
      copy.call(data, this.out, 0, p, p + len);
      this.packets++;
      at = p + len;
    }
    return length;
  }

  onTracks(): void {}
  onState(): void {}
}

export function rtpFanoutFixture(viewers: number) {
  const stream = new Stream("bench/rtp", 16 << 20, 4096);
  const track = stream.ensureTrack("h264", 90000);
  const config = fixture("h264-high-720p.avcc");
  stream.setConfig(track, config, describeAvcConfig(config));
  const writer = stream.writer("rtp", (s) => new RtpWriter(s));
  // One IDR / non-IDR slice per frame, in the length-prefixed form.
  const key = new Uint8Array(KEY_BYTES).fill(7);
  new DataView(key.buffer).setUint32(0, KEY_BYTES - 4);
  key[4] = 0x65;
  const delta = new Uint8Array(FRAME_BYTES).fill(7);
  new DataView(delta.buffer).setUint32(0, FRAME_BYTES - 4);
  delta[4] = 0x41;
  let n = 0;
  const push = () => {
    stream.push(n % GOP === 0 ? key : delta, track.id, n * 3000, n * 3000, n % GOP === 0);
    stream.flush();
    n++;
  };
  push();
  const list: BenchViewer[] = [];
  for (let i = 0; i < viewers; i++) {
    const v = new BenchViewer(writer);
    writer.add(v);
    list.push(v);
  }
  for (let i = 0; i < GOP; i++) push(); // steady state, JIT settled
  return { stream, writer, viewers: list, push };
}

/** Heap objects allocated per frame (census over a window too short for a GC), less the census's own. */
function objectsPerFrame(viewers: number, frames = 200): number {
  return objectsPerCall(rtpFanoutFixture(viewers).push, frames);
}

const counts = [0, 10, 500];
const fixtures = new Map(counts.map((c) => [c, rtpFanoutFixture(c)]));

summary(() => {
  for (const c of counts) {
    const f = fixtures.get(c)!;
    bench(c ? `frame to ${c} WHEP viewers (patch + copy)` : "frame to RTP packets, no viewer", () => {
      f.push();
      do_not_optimize(f.viewers[0]?.packets);
    }).gc("inner");
  }
});

if (import.meta.main) {
  const json = process.argv.includes("--json");
  const result = await run({ format: json ? "quiet" : "mitata", colors: !json });
  const ns = counts.map((_, i) => result.benchmarks[i]!.runs[0]!.stats!.avg);
  const w = fixtures.get(0)!.writer;
  const packetsPerFrame = w.packetsEncoded / w.framesEncoded;
  const figures = counts.map((viewers, i) => ({
    viewers,
    nsPerFrame: Math.round(ns[i]!),
    nsPerPacketViewer: viewers ? Math.round(((ns[i]! - ns[0]!) / (viewers * packetsPerFrame)) * 10) / 10 : 0,
    objectsPerFrame: objectsPerFrame(viewers),
  }));
  const out = { packetsPerFrame: Math.round(packetsPerFrame * 100) / 100, figures };
  if (json) console.log(JSON.stringify({ rtpFanout: out }));
  else {
    console.log(`${out.packetsPerFrame} packets/frame`);
    for (const f of figures) console.log(`${f.viewers} viewers: ${f.nsPerFrame} ns/frame, ${f.nsPerPacketViewer} ns/packet/viewer, ${f.objectsPerFrame} heap objects/frame`);
  }
}
