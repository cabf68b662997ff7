/**
 * Opus in MPEG-TS (the ETSI draft "Opus Interactive Audio Codec, Transport Multiplexing", 2013, as
 * ffmpeg and VLC implement it; wiki.xiph.org/OpusTS): stream_type 0x06 with a registration
 * descriptor "Opus" and an extension descriptor 0x80 carrying channel_config_code. Each access unit
 * in a PES starts with an opus_control_header: 11 bits 0x3FF, start/end trim and extension flags,
 * au_size in 0xFF-continued bytes, the optional trims and extension, then one Opus packet.
 */
import { buildOpusHead, describeOpus, OPUS_SAMPLE_RATE, opusPacketSamples, parseOpusHead } from "../../codecs/opus.ts";
import { ProtocolError } from "../../core/errors.ts";
import { rescale, TS_CLOCK } from "./timestamps.ts";
import { AUDIO_SNAP_MS } from "./adts-es.ts";
import type { EsReader, TsDemuxerSink, TsDemuxStats, TsTrack } from "./ts-track.ts";

/** RFC 6716 §3.4 [R2]: a packet holds at most 1275 × 48 bytes of frames (code 3, 48 frames). */
export const MAX_OPUS_PACKET_SIZE = 1275 * 48 + 3;

// channel_config_code 1..8: Vorbis channel order (RFC 7845 §5.1.1.2) with these stream counts.
const STREAMS = [1, 1, 1, 2, 2, 3, 4, 4, 5];
const COUPLED = [1, 0, 1, 1, 2, 2, 2, 3, 3];
const VORBIS_MAP = [[0], [0, 1], [0, 2, 1], [0, 1, 2, 3], [0, 4, 1, 2, 3], [0, 4, 1, 2, 3, 5], [0, 4, 1, 2, 3, 5, 6], [0, 6, 1, 2, 3, 4, 5, 7]];

/**
 * The OpusHead a channel_config_code describes: 1-2 mapping family 0, 3-8 family 1 (Vorbis order),
 * 0 dual mono, 0x81-0x88 family 1 with one uncoupled stream per channel. -1: no descriptor (stereo).
 * Unknown codes throw.
 */
export function opusHeadFromChannelCode(code: number, preSkip: number): Uint8Array {
  if (code < 0) code = 2;
  if (code === 1 || code === 2) return buildOpusHead({ channels: code, preSkip });
  if (code === 0) return buildOpusHead({ channels: 2, preSkip, mappingFamily: 255, streamCount: 2, coupledCount: 0, channelMapping: Uint8Array.of(0, 1) });
  if (code >= 3 && code <= 8) {
    return buildOpusHead({ channels: code, preSkip, mappingFamily: 1, streamCount: STREAMS[code]!, coupledCount: COUPLED[code]!, channelMapping: Uint8Array.from(VORBIS_MAP[code - 1]!) });
  }
  if (code >= 0x81 && code <= 0x88) {
    const n = code & 0xf;
    const map = Uint8Array.from({ length: n }, (_, i) => i);
    return buildOpusHead({ channels: n, preSkip, mappingFamily: 1, streamCount: n, coupledCount: 0, channelMapping: map });
  }
  throw new ProtocolError("mpegts", "unsupported", `Opus channel_config_code 0x${code.toString(16)}`);
}

/** The channel_config_code for an OpusHead, 0xFF when the mapping has none. */
export function channelCodeOf(head: Uint8Array): number {
  const h = parseOpusHead(head);
  if (h.mappingFamily === 0) return h.channels;
  const map = h.channelMapping!;
  const n = h.channels;
  if (h.mappingFamily === 255 && n === 2 && h.streamCount === 2 && h.coupledCount === 0 && map[0] === 0 && map[1] === 1) return 0;
  if (h.mappingFamily !== 1 || n > 8) return 0xff;
  if (h.streamCount === STREAMS[n] && h.coupledCount === COUPLED[n] && VORBIS_MAP[n - 1]!.every((c, i) => map[i] === c)) return n;
  if (h.streamCount === n && h.coupledCount === 0 && map.every((c, i) => c === i)) return 0x80 | n;
  return 0xff;
}

export function opusControlHeaderSize(packetLength: number): number {
  return 2 + Math.floor(packetLength / 255) + 1;
}

/** Writes an opus_control_header without trims or extension for a packet of `packetLength` bytes. */
export function writeOpusControlHeader(buf: Uint8Array, off: number, packetLength: number): number {
  buf[off] = 0x7f;
  buf[off + 1] = 0xe0;
  let o = off + 2;
  let n = packetLength;
  while (n >= 255) {
    buf[o++] = 0xff;
    n -= 255;
  }
  buf[o++] = n;
  return o - off;
}

export class OpusEsReader implements EsReader {
  readonly track: TsTrack;
  private readonly sink: TsDemuxerSink;
  private readonly stats: TsDemuxStats;
  /** From the PMT; the OpusHead is built at the first access unit (its start trim is the pre-skip). */
  readonly channelCode: number;
  private nextDts: number;

  constructor(track: TsTrack, sink: TsDemuxerSink, stats: TsDemuxStats, channelCode: number) {
    this.track = track;
    this.sink = sink;
    this.stats = stats;
    this.channelCode = channelCode;
    this.nextDts = Number.NaN;
  }

  discontinuity(): void {
    this.nextDts = Number.NaN;
  }

  pes(buf: Uint8Array, start: number, end: number, pts: number): void {
    let pos = start;
    let dts = this.base(pts);
    while (pos < end) {
      if (end - pos < 3 || ((buf[pos]! << 3) | (buf[pos + 1]! >>> 5)) !== 0x3ff) return this.error();
      const flags = buf[pos + 1]!;
      pos += 2;
      let size = 0;
      let b = 0xff;
      while (b === 0xff && pos < end) {
        b = buf[pos++]!;
        size += b;
      }
      let startTrim = 0;
      if (flags & 0x10) {
        startTrim = ((buf[pos]! << 8) | buf[pos + 1]!) & 0x1fff; // 3 reserved bits, 13 bits of trim
        pos += 2;
      }
      if (flags & 0x08) pos += 2; // end trim: not applied (the packets are passed on whole)
      if (flags & 0x04 && pos < end) pos += 1 + buf[pos]!; // control_extension_length and its bytes
      if (b === 0xff || size === 0 || size > MAX_OPUS_PACKET_SIZE || size > end - pos) return this.error();
      let samples: number;
      try {
        samples = opusPacketSamples(buf.subarray(pos, pos + 2));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        return this.error();
      }
      if (this.track.config === null && !this.configure(startTrim)) return;
      const out = this.sink.reserve(size);
      out.set(buf.subarray(pos, pos + size));
      this.track.frames++;
      this.stats.frames++;
      this.sink.onFrame(this.track, size, dts, dts, true);
      dts += samples;
      this.nextDts = dts;
      pos += size;
    }
  }

  private base(pts: number): number {
    const expected = this.nextDts;
    if (pts < 0) return Number.isNaN(expected) ? 0 : expected;
    const dts = rescale(pts, TS_CLOCK, OPUS_SAMPLE_RATE);
    return !Number.isNaN(expected) && Math.abs(dts - expected) <= (AUDIO_SNAP_MS * OPUS_SAMPLE_RATE) / 1000 ? expected : dts;
  }

  private configure(preSkip: number): boolean {
    const t = this.track;
    try {
      t.config = opusHeadFromChannelCode(this.channelCode, preSkip);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.esErrors++;
      return false;
    }
    t.configVersion++;
    t.info = describeOpus(t.config);
    this.sink.onTrack(t);
    return true;
  }

  private error(): void {
    this.stats.esErrors++;
  }
}
