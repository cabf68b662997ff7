/**
 * Fuzz targets: a packet sequence (rtp-case.ts byte form: marker, timestamp steps, losses,
 * duplicates) through each codec's Depacketizer, seeded from its case table and from real frames
 * packetized small. A depacketizer throws nothing, so any exception is a crash; so is writing to
 * its input. `webrtc/packetize` sends mutated frames through a packetizer and back, and for the
 * codecs that carry frames unchanged (VP8, VP9, Opus) checks they come back byte for byte.
 */
import { equalBytes } from "../../../core/bytes.ts";
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { allFixtures } from "./fixtures.ts";
import { CASES, depacketizerFor, makeFrame, packetizerFor, RTP_CODECS, type RtpCodec } from "./harness.ts";
import type { Av1Sink } from "./av1-depacketizer.ts";
import type { H264Sink } from "./h264-depacketizer.ts";
import { PayloadBatch } from "./payload-batch.ts";
import { encodePacketStream, replayPacketStream, type PacketCase } from "./rtp-case.ts";

const MAX_INPUT = 8192;

/** Counts what comes out without keeping it. */
class CountingSink implements H264Sink, Av1Sink {
  frames = 0;
  bytes = 0;
  configs = 0;
  last: Uint8Array = new Uint8Array(0);
  onFrame(payload: Uint8Array): void {
    this.frames++;
    this.bytes += payload.length;
    this.last = payload;
  }
  onParameterSets(): void {
    this.configs++;
  }
  onSequenceHeader(): void {
    this.configs++;
  }
}

/** The first frames of the codec's fixtures, packetized at a small payload, as packet streams. */
function fixtureSeeds(codec: RtpCodec): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  for (const fx of allFixtures().filter((f) => f.codec === codec)) {
    const p = packetizerFor(codec, { maxPayload: 200 }, fx.config);
    const out = new PayloadBatch();
    const packets: PacketCase[] = [];
    for (const f of fx.frames.slice(0, 3)) {
      const n = p.packetize(makeFrame(f.payload.subarray(0, 600), 0, f.keyframe), out);
      for (let i = 0; i < n; i++) packets.push({ payload: out.payload(i).slice(), marker: out.markers[i] === 1, timestamp: packets.length });
    }
    seeds.push(encodePacketStream(packets).subarray(0, MAX_INPUT));
  }
  return seeds;
}

function depacketizeTarget(codec: RtpCodec): FuzzTarget {
  return {
    name: `webrtc/depacketize-${codec}`,
    seeds: [...CASES[codec].map((c) => encodePacketStream(c.packets)), ...fixtureSeeds(codec)],
    maxInputBytes: MAX_INPUT,
    run(input: Uint8Array): number {
      const sink = new CountingSink();
      const d = depacketizerFor(codec, sink, { maxFrameBytes: 16_384 });
      const copy = input.slice();
      replayPacketStream(input, (payload, marker, ts, seq) => d.push(payload, marker, ts, seq));
      if (!equalBytes(copy, input)) throw new Error(`${codec} depacketizer wrote to its input`);
      return sink.frames + sink.configs;
    },
  };
}

const batch = new PayloadBatch();

/** First byte: codec (low 3 bits), keyframe (bit 3); the rest is the frame. */
const packetizeTarget: FuzzTarget = {
  name: "webrtc/packetize",
  seeds: allFixtures().flatMap((fx) =>
    fx.frames.slice(0, 2).map((f) => Uint8Array.of(RTP_CODECS.indexOf(fx.codec) | (f.keyframe ? 8 : 0), ...f.payload.subarray(0, 2000))),
  ),
  maxInputBytes: MAX_INPUT,
  run(input: Uint8Array): number {
    if (input.length < 2) return 0;
    const codec = RTP_CODECS[input[0]! % RTP_CODECS.length]!;
    const keyframe = (input[0]! & 8) !== 0;
    const payload = input.subarray(1);
    const p = packetizerFor(codec, { maxPayload: 64 + (input[0]! >>> 4) * 16 });
    const n = p.packetize(makeFrame(payload, 0, keyframe), batch);
    const sink = new CountingSink();
    const d = depacketizerFor(codec, sink, { waitForKeyframe: false });
    for (let i = 0; i < n; i++) d.push(batch.payload(i), batch.markers[i] === 1, batch.timestamp, batch.sequence(i));
    const lossless = codec === "vp8" || codec === "vp9" || (codec === "opus" && n > 0);
    if (lossless && (sink.frames !== 1 || !equalBytes(sink.last, payload))) throw new Error(`${codec}: ${payload.length} bytes did not come back whole`);
    return n;
  },
};

export const targets: FuzzTarget[] = [...RTP_CODECS.map(depacketizeTarget), packetizeTarget];
