/**
 * Real frames for the round-trip tests, read from testdata/ (see its README for how each was made)
 * into our Frame form: H.264 from FLV (avcC + length-prefixed NAL units), VP8/VP9/AV1 from IVF (a
 * tiny reader here; AV1 temporal delimiters removed, as MP4 and our ingests do), Opus from Ogg.
 */
import { readFileSync } from "node:fs";
import { av1IsKeyframe, buildAv1ConfigFromSequenceHeader, ObuReader, OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER } from "../../../codecs/av1.ts";
import { opusPacketSamples } from "../../../codecs/opus.ts";
import { vp9IsKeyframe } from "../../../codecs/vp9.ts";
import { concatBytes } from "../../../core/bytes.ts";
import type { Frame } from "../../../core/frame.ts";
import { VIDEO_CLOCK } from "../../../core/track.ts";
import { readFlvFile, TAG_VIDEO } from "../../../formats/flv/file.ts";
import { decodeVideoTag } from "../../../formats/flv/video.ts";
import type { RtpCodec } from "./harness.ts";
import { makeFrame } from "./harness.ts";

export interface Fixture {
  codec: RtpCodec;
  name: string;
  /** avcC / av1C, or null. */
  config: Uint8Array | null;
  frames: Frame[];
}

const read = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

export function flvH264(name: string): Fixture {
  let config: Uint8Array | null = null;
  const frames: Frame[] = [];
  for (const tag of readFlvFile(read(name))) {
    if (tag.type !== TAG_VIDEO) continue;
    const v = decodeVideoTag(tag.body);
    const body = tag.body.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength);
    if (v.kind === "config") config = body.slice();
    else if (v.kind === "frame") frames.push(makeFrame(body.slice(), (tag.timestampMs + v.cts) * 90, v.keyframe, tag.timestampMs * 90));
  }
  return { codec: "h264", name, config, frames };
}

/** IVF (libvpx's container): a 32-byte file header, then per frame a 12-byte header (size LE32, pts LE64). */
export function ivf(codec: "vp8" | "vp9" | "av1", name: string): Fixture {
  const data = read(name);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint32(0) !== 0x444b4946) throw new Error(`${name}: not IVF`);
  const headerSize = dv.getUint16(6, true);
  const rate = dv.getUint32(16, true);
  const scale = dv.getUint32(20, true);
  const frames: Frame[] = [];
  let config: Uint8Array | null = null;
  for (let pos = headerSize; pos + 12 <= data.length; ) {
    const size = dv.getUint32(pos, true);
    const pts = Number(dv.getBigUint64(pos + 4, true));
    let payload: Uint8Array = data.slice(pos + 12, pos + 12 + size);
    pos += 12 + size;
    let key: boolean;
    if (codec === "vp8") key = (payload[0]! & 1) === 0;
    else if (codec === "vp9") key = vp9IsKeyframe(payload);
    else {
      payload = withoutTemporalDelimiters(payload);
      key = av1IsKeyframe(payload);
      if (!config) config = sequenceHeaderConfig(payload);
    }
    frames.push(makeFrame(payload, Math.round((pts * VIDEO_CLOCK * scale) / rate), key));
  }
  return { codec, name, config, frames };
}

function withoutTemporalDelimiters(tu: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const r = new ObuReader().reset(tu);
  while (r.next()) if (r.type !== OBU_TEMPORAL_DELIMITER) parts.push(tu.subarray(r.start, r.end));
  return concatBytes(parts);
}

function sequenceHeaderConfig(tu: Uint8Array): Uint8Array | null {
  const r = new ObuReader().reset(tu);
  while (r.next()) if (r.type === OBU_SEQUENCE_HEADER) return buildAv1ConfigFromSequenceHeader(tu.subarray(r.start, r.end));
  return null;
}

/** Ogg (RFC 3533) pages to packets; the first two (OpusHead, OpusTags) skipped; pts from samples. */
export function oggOpus(name: string): Fixture {
  const data = read(name);
  const packets: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  for (let pos = 0; pos + 27 <= data.length; ) {
    if (data[pos] !== 0x4f || data[pos + 1] !== 0x67) throw new Error(`${name}: lost Ogg sync at ${pos}`);
    const segments = data[pos + 26]!;
    let body = pos + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const lace = data[pos + 27 + i]!;
      partial.push(data.subarray(body, body + lace));
      body += lace;
      if (lace < 255) {
        packets.push(concatBytes(partial));
        partial = [];
      }
    }
    pos = body;
  }
  const frames: Frame[] = [];
  let pts = 0;
  for (const p of packets.slice(2)) {
    frames.push(makeFrame(p, pts, true));
    pts += opusPacketSamples(p);
  }
  return { codec: "opus", name, config: null, frames };
}

export function allFixtures(): Fixture[] {
  return [
    flvH264("h264-slices.flv"),
    flvH264("h264-bframes.flv"),
    ivf("vp8", "vp8.ivf"),
    ivf("vp9", "vp9.ivf"),
    ivf("av1", "av1.ivf"),
    oggOpus("opus.ogg"),
  ];
}
