/**
 * The RTP writer of one stream: every frame of its H.264, VP8, VP9, AV1 and Opus tracks becomes
 * complete RTP packets once, into a ring every WHEP viewer reads with its own cursor. Only a few
 * bytes at fixed offsets differ per viewer (payload type, header extension ids and values, mid):
 * `RtpViewerPatch` writes them right before SRTP protect. Other codecs (AAC, MP3, H.265) are not
 * sent over WebRTC: their frames are counted and dropped.
 *
 * One ring entry per frame, holding its packets back to back, each behind a 4-byte record header:
 *
 *   record:  [0..1] RTP packet length  [2] stream track id  [3] FLAG_* bits
 *   packet:  [0] V=2 X=1  [1] M | PT   [2..3] seq  [4..7] timestamp  [8..11] SSRC
 *            [12..15] 0xBEDE, 6 words: a one-byte extension block (RFC 8285 §4.2) of fixed layout
 *            [16] transport-cc id|1   [17..18] transport-wide seq
 *            [19] abs-send-time id|2  [20..22] 6.18 seconds
 *            [23] mid id|len-1        [24..39] mid, zero-padded (16 bytes: the longest one-byte value)
 *            [40..] payload
 *
 * The writer leaves the block all zeros (padding bytes only, RFC 8285 §4.2), so an element a viewer
 * did not negotiate is simply padding; the patch fills in what it did. Records are self-describing,
 * so any run of whole records (what a RingCursor hands its sink) is walked with one loop and no
 * allocation: `at += RECORD_HEADER_SIZE + length`; a sink that takes only part of a run returns a
 * count that ends on a record boundary, and the cursor resumes on the next record. A keyframe entry
 * of the key track is a join point; for H.264 its first packet is a STAP-A with the SPS and PPS (the
 * packetizer's setConfig). NACKs are answered from each track's PacketHistory (`outs[t].history`).
 *
 * A WHIP publisher's packets may skip the packetizer (forward.ts): each one becomes a record of its
 * own, in the same layout, with the publisher's payload bytes as they came and this writer's SSRC,
 * sequence numbers and timestamps, while the frames they make go to the ring unpacketized.
 */
import { parseAvcConfig } from "../../codecs/h264.ts";
import { assert } from "../../core/errors.ts";
import type { Frame } from "../../core/frame.ts";
import { RingWriter, type RingReader } from "../../core/ring-writer.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import type { Codec, Track } from "../../core/track.ts";
import { DEFAULT_HISTORY_SIZE, PacketHistory } from "./packet-history.ts";
import { Av1Packetizer } from "./rtp/av1-packetizer.ts";
import { H264Packetizer } from "./rtp/h264-packetizer.ts";
import { OpusPacketizer, OPUS_RTP_CLOCK } from "./rtp/opus.ts";
import { DEFAULT_MAX_PAYLOAD, PayloadBatch, type Packetizer, type PacketizerOptions } from "./rtp/payload-batch.ts";
import { Vp8Packetizer } from "./rtp/vp8.ts";
import { Vp9Packetizer } from "./rtp/vp9.ts";
import { MAX_RTP_PACKET_SIZE } from "./wire/rtp.ts";
import { absSendTimeFromMs } from "./wire/rtp-extensions.ts";

export const RECORD_HEADER_SIZE = 4;
/** The fixed RTP header every packet of the ring has: 12 bytes and the 28-byte extension block. */
export const RTP_PACKET_HEADER_SIZE = 40;
export const EXTENSION_BLOCK_OFFSET = 12;
export const EXTENSION_BLOCK_SIZE = 28;
/** Offsets from the packet's first byte. */
export const PAYLOAD_TYPE_OFFSET = 1;
export const SEQUENCE_OFFSET = 2;
export const TIMESTAMP_OFFSET = 4;
export const SSRC_OFFSET = 8;
export const TRANSPORT_CC_OFFSET = 16;
export const ABS_SEND_TIME_OFFSET = 19;
export const MID_OFFSET = 23;
/** Longest mid that fits (RFC 8285 §4.2: a one-byte element holds at most 16 bytes). */
export const MAX_MID_LENGTH = 16;

/** Record flags. */
export const FLAG_FRAME_START = 1;
/** The frame's last packet (video: the one with the marker bit). */
export const FLAG_FRAME_END = 2;
/** The first packet of a keyframe (H.264: the STAP-A with SPS/PPS). */
export const FLAG_KEYFRAME = 4;
/** The first packet of an entry that is a join point of the ring. */
export const FLAG_JOIN = 8;

/** Payload types in the packets as written (what Chromium offers); a viewer's patch replaces them. */
export const DEFAULT_PAYLOAD_TYPES: Partial<Record<Codec, number>> = { vp8: 96, vp9: 98, h264: 102, av1: 45, opus: 111 };

const HEADROOM = RECORD_HEADER_SIZE + RTP_PACKET_HEADER_SIZE;

export interface RtpWriterOptions {
  /** Largest RTP payload (header excluded); default 1,200. */
  maxPayload?: number;
  /** Packets kept per track for NACKs (power of two); default 512. */
  historySize?: number;
  /** Source of the random SSRCs, first sequence numbers and timestamp offsets (tests pass a fixed one). */
  random32?: () => number;
}

/** What the writer keeps per stream track it sends. */
export class RtpTrackOut {
  readonly track: number;
  readonly codec: Codec;
  /** Announced in the WHEP answer (a=ssrc): the same for every viewer. */
  readonly ssrc: number;
  readonly payloadType: number;
  /** RTP clock (90 kHz video, 48 kHz Opus). */
  readonly rtpClock: number;
  /** Null for a codec WebRTC does not carry: its frames are ignored. */
  readonly packetizer: Packetizer | null;
  readonly history: PacketHistory;
  configVersion: number;
  packets: number;
  /** RTP timestamp and wall-clock ms (ingest) of the newest frame sent: the sender reports' anchor. */
  lastTimestamp: number;
  lastIngestMs: number;
  /** Packets that came from the publisher as they were (forward.ts), and the frames they made. */
  packetsForwarded: number;
  framesForwarded: number;
  /** Set by the forwarder while it commits a frame whose packets it already forwarded: not packetized. */
  frameForwarded: boolean;
  /**
   * H.264: the track's SPS and PPS as one STAP-A payload (RFC 6184 §5.7.1), what the forwarder puts
   * before a keyframe that came without them; null for other codecs or when they do not fit a packet.
   */
  parameterSets: Uint8Array | null;

  constructor(t: Track, ssrc: number, opts: PacketizerOptions, history: PacketHistory) {
    this.track = t.id;
    this.codec = t.codec;
    this.ssrc = ssrc >>> 0;
    this.payloadType = DEFAULT_PAYLOAD_TYPES[t.codec] ?? 0;
    this.rtpClock = t.codec === "opus" ? OPUS_RTP_CLOCK : 90_000;
    this.packetizer = makePacketizer(t.codec, { ...opts, clockRate: t.clockRate });
    this.history = history;
    this.configVersion = -1;
    this.packets = 0;
    this.lastTimestamp = 0;
    this.lastIngestMs = 0;
    this.packetsForwarded = 0;
    this.framesForwarded = 0;
    this.frameForwarded = false;
    this.parameterSets = null;
  }

  /** The track's decoder configuration, for packetizers that send parameter sets in band. */
  setConfig(config: Uint8Array | null): void {
    const p = this.packetizer;
    if (p instanceof H264Packetizer || p instanceof Av1Packetizer) p.setConfig(config);
    if (p instanceof H264Packetizer) this.parameterSets = config ? stapA(config, p.maxPayload) : null;
  }
}

/** SPS and PPS of an avcC in one STAP-A payload (RFC 6184 §5.7.1), null if longer than `maxPayload`. */
function stapA(avcC: Uint8Array, maxPayload: number): Uint8Array | null {
  let nals: Uint8Array[];
  try {
    const c = parseAvcConfig(avcC);
    nals = [...c.sps, ...c.pps];
  } catch {
    return null;
  }
  let n = 1;
  for (const x of nals) n += 2 + x.length;
  if (nals.length === 0 || n > maxPayload) return null;
  const b = new Uint8Array(n);
  b[0] = 0x78; // F 0, NRI 3, type 24
  let at = 1;
  for (const x of nals) {
    b[at] = x.length >>> 8;
    b[at + 1] = x.length;
    b.set(x, at + 2);
    at += 2 + x.length;
  }
  return b;
}

function makePacketizer(codec: Codec, opts: PacketizerOptions): Packetizer | null {
  switch (codec) {
    case "h264":
      return new H264Packetizer(opts);
    case "vp8":
      return new Vp8Packetizer(opts);
    case "vp9":
      return new Vp9Packetizer(opts);
    case "av1":
      return new Av1Packetizer(opts);
    case "opus":
      return new OpusPacketizer(opts);
    default:
      return null;
  }
}

function cryptoRandom32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export class RtpWriter extends RingWriter<RingReader> {
  readonly format = "rtp";
  readonly maxPayload: number;
  /** By stream track id; null until the track's first frame or `trackOut` call. */
  readonly outs: (RtpTrackOut | null)[];
  framesEncoded: number;
  packetsEncoded: number;
  /** Frames of codecs WebRTC does not carry here (AAC, MP3, H.265): not sent. */
  framesIgnored: number;
  /** Publisher packets written as they came (forwardPacket), all tracks. */
  packetsForwarded: number;
  /** Forwarded packets not yet handed to the readers (the stream flushes only after frames). */
  private unflushed: boolean;
  /** abs-send-time (24 bits) of this flush: read by every reader, not once per reader per packet. */
  absSendTime: number;
  private readonly historySize: number;
  private readonly random32: () => number;
  private readonly batch: PayloadBatch;

  constructor(stream: Stream, opts: RtpWriterOptions = {}) {
    super(stream, 3); // 44 bytes per ~1,200: ~4 %, more on small audio packets
    this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    assert(this.maxPayload + RTP_PACKET_HEADER_SIZE <= MAX_RTP_PACKET_SIZE, `max payload ${this.maxPayload} + ${RTP_PACKET_HEADER_SIZE} > ${MAX_RTP_PACKET_SIZE}`);
    this.outs = [];
    this.framesEncoded = 0;
    this.packetsEncoded = 0;
    this.framesIgnored = 0;
    this.packetsForwarded = 0;
    this.unflushed = false;
    this.absSendTime = 0;
    this.historySize = opts.historySize ?? DEFAULT_HISTORY_SIZE;
    this.random32 = opts.random32 ?? cryptoRandom32;
    this.batch = new PayloadBatch({ headroom: HEADROOM, tailroom: 0 });
    for (const t of stream.tracks) if (t) this.trackOut(t.id);
    attachForwarder(stream, this); // before the catch-up: a forwarder primes the packetizers for it
    this.catchUp();
  }

  /** Frames packetizers refused (malformed or too big), all tracks. */
  get framesRefused(): number {
    let n = 0;
    for (const o of this.outs) if (o?.packetizer) n += o.packetizer.framesRefused;
    return n;
  }

  /**
   * The sending state of stream track `id` (its SSRC for the WHEP answer), created on first use and
   * again when the track's codec changed (same SSRC, sequence numbers continue). Null: no such track.
   */
  trackOut(id: number): RtpTrackOut | null {
    const t = this.stream.tracks[id];
    if (!t) return null;
    const prev = this.outs[id] ?? null;
    if (prev && prev.codec === t.codec) return prev;
    const seq = prev?.packetizer ? prev.packetizer.sequenceNumber : this.random32() & 0xffff;
    const opts = { maxPayload: this.maxPayload, sequenceNumber: seq, timestampOffset: this.random32() >>> 0 };
    const history = prev ? prev.history : new PacketHistory(this.ring, this.historySize);
    const out = new RtpTrackOut(t, prev ? prev.ssrc : this.random32(), opts, history);
    while (this.outs.length <= id) this.outs.push(null);
    this.outs[id] = out;
    return out;
  }

  override onState(state: StreamState): void {
    // A new publisher (beginEpoch): one that can forward its packets starts doing so at its next frame.
    if (state === "live") attachForwarder(this.stream, this);
    super.onState(state);
  }

  override remove(reader: RingReader): boolean {
    if (!super.remove(reader)) return false;
    this.discard();
    return true;
  }

  /** Gone from the stream (its last reader left, or the first never came): the publisher stops forwarding. */
  discard(): void {
    this.stream.removeWriter(this);
    const p = this.stream.publisher;
    if (isRtpForwarder(p)) p.setRtpWriter(null, this);
  }

  override flush(): void {
    this.unflushed = false;
    this.stampSendTime();
    super.flush();
  }

  /** The abs-send-time readers write into the packets they send from now on (RFC draft abs-send-time). */
  stampSendTime(): void {
    this.absSendTime = absSendTimeFromMs(performance.timeOrigin + performance.now());
  }

  /** After an ingest batch: readers get forwarded packets now, not when their frame is whole. */
  flushForwarded(): void {
    if (this.unflushed) this.flush();
  }

  override onTracks(): void {
    for (const t of this.stream.tracks) if (t) this.trackOut(t.id);
    super.onTracks();
  }

  onFrame(f: Frame): void {
    const o = this.outs[f.track] ?? null;
    const out = o && o.codec === this.stream.tracks[f.track]?.codec ? o : this.trackOut(f.track);
    const p = out?.packetizer;
    if (!out || !p) {
      this.framesIgnored++;
      return;
    }
    const track = this.stream.tracks[f.track]!;
    if (track.configVersion !== out.configVersion) {
      out.configVersion = track.configVersion;
      out.setConfig(track.config);
    }
    if (out.frameForwarded) {
      out.framesForwarded++;
      return;
    }
    const b = this.batch;
    const n = p.packetize(f, b);
    if (n === 0) return; // refused (counted by the packetizer) or nothing to send
    const join = this.isJoin(f);
    const buf = b.buf;
    const ssrc = out.ssrc;
    const pt = out.payloadType;
    const ts = b.timestamp;
    for (let i = 0; i < n; i++) {
      const len = RTP_PACKET_HEADER_SIZE + b.lengths[i]!;
      const r = b.offsets[i]! - HEADROOM;
      buf[r] = len >>> 8;
      buf[r + 1] = len;
      buf[r + 2] = f.track;
      buf[r + 3] =
        (i === 0 ? FLAG_FRAME_START | (f.keyframe ? FLAG_KEYFRAME : 0) | (join ? FLAG_JOIN : 0) : 0) | (i === n - 1 ? FLAG_FRAME_END : 0);
      writeHeader(buf, r + RECORD_HEADER_SIZE, b.markers[i] === 1, pt, b.sequence(i), ts, ssrc);
    }
    const size = b.offsets[n - 1]! + b.lengths[n - 1]!;
    this.ring.reserve(size).set(buf.subarray(0, size));
    const entry = this.ring.commit(0, size, join, f.ingestMs);
    const h = out.history;
    for (let i = 0; i < n; i++) h.add(b.sequence(i), entry, b.offsets[i]! - RTP_PACKET_HEADER_SIZE, RTP_PACKET_HEADER_SIZE + b.lengths[i]!);
    out.packets += n;
    out.lastTimestamp = ts;
    out.lastIngestMs = f.ingestMs;
    this.packetsEncoded += n;
    this.framesEncoded++;
  }

  /**
   * Writes one forwarded packet as a ring entry of its own (a join point when it starts a keyframe of
   * the key track), records it in the track's history and moves the track's sequence counter past it,
   * so a packetized frame after it continues the numbering. Returns false when it does not fit.
   */
  forwardPacket(out: RtpTrackOut, pkt: ForwardedPacket): boolean {
    const payloadLen = pkt.payload.length;
    const len = RTP_PACKET_HEADER_SIZE + payloadLen;
    if (len > MAX_RTP_PACKET_SIZE || !out.packetizer) return false;
    const keyTrack = this.stream.ring.keyTrack;
    const join = pkt.keyStart && (keyTrack < 0 || out.track === keyTrack);
    const ring = this.ring;
    const r = ring.reserveAt(RECORD_HEADER_SIZE + len);
    const buf = ring.buf;
    buf[r] = len >>> 8;
    buf[r + 1] = len;
    buf[r + 2] = out.track;
    buf[r + 3] = forwardFlags(pkt.frameStart, pkt.marker, pkt.keyStart, join);
    writeHeader(buf, r + RECORD_HEADER_SIZE, pkt.marker, out.payloadType, pkt.sequenceNumber, pkt.timestamp, out.ssrc);
    buf.set(pkt.payload, r + HEADROOM);
    const nowMs = this.stream.clock();
    const entry = ring.commit(0, RECORD_HEADER_SIZE + len, join, nowMs);
    out.history.add(pkt.sequenceNumber, entry, RECORD_HEADER_SIZE, len);
    out.packetizer.sequenceNumber = (pkt.sequenceNumber + 1) & 0xffff;
    out.packets++;
    out.packetsForwarded++;
    if (pkt.frameStart) {
      out.lastTimestamp = pkt.timestamp;
      out.lastIngestMs = nowMs;
    }
    this.packetsForwarded++;
    this.unflushed = true;
    return true;
  }
}

/** RFC 3550 §5.1 header with X set, then the extension block: profile 0xBEDE, 6 words of padding. */
function writeHeader(buf: Uint8Array, at: number, marker: boolean, pt: number, seq: number, ts: number, ssrc: number): void {
  buf[at] = 0x90;
  buf[at + 1] = (marker ? 0x80 : 0) | pt;
  buf[at + 2] = seq >>> 8;
  buf[at + 3] = seq;
  buf[at + 4] = ts >>> 24;
  buf[at + 5] = ts >>> 16;
  buf[at + 6] = ts >>> 8;
  buf[at + 7] = ts;
  buf[at + 8] = ssrc >>> 24;
  buf[at + 9] = ssrc >>> 16;
  buf[at + 10] = ssrc >>> 8;
  buf[at + 11] = ssrc;
  buf[at + 12] = 0xbe;
  buf[at + 13] = 0xde;
  buf[at + 14] = 0;
  buf[at + 15] = (EXTENSION_BLOCK_SIZE - 4) >>> 2;
  for (let i = at + 16; i < at + RTP_PACKET_HEADER_SIZE; i++) buf[i] = 0;
}

/** What a publisher does to forward its RTP packets into the writer (WhipIngest). */
export interface RtpForwarder {
  /** The stream's RTP writer came (or went: null, `w` the one that goes). */
  setRtpWriter(w: RtpWriter | null, from?: RtpWriter): void;
}

export function isRtpForwarder(p: unknown): p is RtpForwarder {
  return typeof (p as RtpForwarder | null)?.setRtpWriter === "function";
}

function attachForwarder(stream: Stream, w: RtpWriter): void {
  const p = stream.publisher;
  if (isRtpForwarder(p)) p.setRtpWriter(w);
}

/** Flags of a forwarded packet's record (FLAG_* of the writer's layout). */
export function forwardFlags(frameStart: boolean, frameEnd: boolean, keyStart: boolean, join: boolean): number {
  return (frameStart ? FLAG_FRAME_START : 0) | (frameEnd ? FLAG_FRAME_END : 0) | (keyStart ? FLAG_KEYFRAME : 0) | (join ? FLAG_JOIN : 0);
}

export interface ForwardedPacket {
  /** The publisher's payload (a view of its decrypted packet), copied once, into the ring. */
  payload: Uint8Array;
  marker: boolean;
  /** This writer's sequence number and RTP timestamp for it. */
  sequenceNumber: number;
  timestamp: number;
  frameStart: boolean;
  keyStart: boolean;
}
