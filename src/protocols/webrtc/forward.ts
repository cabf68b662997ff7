/**
 * Straight WHIP → WHEP: one publisher section's packets go into the stream's RtpWriter as they come
 * out of the reorder buffer (in order, holes given up on already), payload bytes untouched, instead
 * of waiting for the depacketizer's frame and the packetizer's packets. The frames still go to the
 * stream's ring for every other format; the writer is told to skip them (`frameForwarded`).
 *
 * What is rewritten is what must be the writer's: its SSRC and payload type, its sequence numbers
 * (the publisher's, minus the padding-only probes the ingest drops, plus a delta fixed when
 * forwarding starts, so a loss the reorder buffer gave up on stays a gap the viewer can see) and
 * its timestamps (the publisher's plus the offset its frames get in the stream: the same RTP time a
 * packetized frame would carry). Forwarding starts at a frame boundary once the track has committed
 * a frame (that fixes the offset) and the writer exists; the packetized frames before it (the
 * writer's catch-up from the newest keyframe) and the forwarded ones after it continue one another's
 * numbering. It stops when the writer goes or the publisher does; the packetizer then continues.
 *
 * VP8 and VP9 PictureIDs must run on too (rtp/picture-id.ts: a receiver freezes on a jump). A new
 * writer's packetizer is primed so that its catch-up frames carry the publisher's own PictureIDs:
 * the forwarded ones then need no shift and stay byte for byte the publisher's. When that cannot
 * hold (a frame the depacketizer dropped, a writer that was already sending), the bridge shifts the
 * forwarded PictureIDs, in the publisher's decrypted packet after the depacketizer read it.
 */
import type { Codec } from "../../core/track.ts";
import { h264HasSps, isKeyframeStart } from "./keyframe-start.ts";
import { pictureId, PictureIdBridge, type PictureIdSource } from "./rtp/picture-id.ts";
import type { ForwardedPacket, RtpTrackOut, RtpWriter } from "./writer.ts";
import type { RtpPacket } from "./wire/rtp.ts";

export class TrackForward {
  /** Packets go to the writer; false until a frame start with everything known. */
  active: boolean;
  out: RtpTrackOut | null;
  /** Packets forwarded, and ones that could not be (bigger than the writer's packets allow). */
  packets: number;
  refused: number;
  private seqDelta: number;
  private tsDelta: number;
  /** The packet `begin` accepted is the first: the deltas are fixed in `write`, after the depacketizer. */
  private starting: boolean;
  private seq: number;
  private ts: number;
  /** RTP timestamp of the newest forwarded frame (or its first): frames from it on skip the packetizer. */
  private fromTs: number;
  private lastTs: number;
  private lastMarker: boolean;
  private readonly pkt: ForwardedPacket;
  /** The track's SPS/PPS STAP-A, sent before an H.264 keyframe that came without them. */
  private readonly params: ForwardedPacket;
  /** H.264 keyframes the publisher sent without SPS/PPS: the track's went first. */
  parameterSetsAdded: number;
  /** VP8/VP9: PictureIDs across packetized and forwarded frames; null for other codecs. */
  private readonly bridge: PictureIdBridge | null;
  /** PictureIDs of the two newest frame starts (their RTP timestamps), and of the newest committed frame. */
  private startTs: number;
  private startId: number;
  private prevStartTs: number;
  private prevStartId: number;
  private committedId: number;

  constructor(readonly codec: Codec) {
    this.active = false;
    this.out = null;
    this.packets = 0;
    this.refused = 0;
    this.seqDelta = 0;
    this.tsDelta = 0;
    this.starting = false;
    this.seq = 0;
    this.ts = 0;
    this.fromTs = 0;
    this.lastTs = -1;
    this.lastMarker = true;
    this.pkt = { payload: p0, marker: false, sequenceNumber: 0, timestamp: 0, frameStart: false, keyStart: false };
    this.params = { payload: p0, marker: false, sequenceNumber: 0, timestamp: 0, frameStart: true, keyStart: true };
    this.parameterSetsAdded = 0;
    this.bridge = codec === "vp8" || codec === "vp9" ? new PictureIdBridge(codec) : null;
    this.startTs = -1;
    this.startId = -1;
    this.prevStartTs = -1;
    this.prevStartId = -1;
    this.committedId = -1;
  }

  /**
   * Before the depacketizer sees packet `p` (`seq`: its number without the dropped padding): whether
   * it is to be forwarded (`write` after the depacketizer). `frameDelta` is what the track's newest
   * committed frame added to its RTP time (NaN before the first one).
   */
  begin(w: RtpWriter | null, track: number, frameDelta: number, seq: number, p: RtpPacket): boolean {
    this.seq = seq;
    this.ts = p.timestamp;
    const frameStart = this.lastMarker || p.timestamp !== this.lastTs;
    this.lastTs = p.timestamp;
    this.lastMarker = p.marker;
    if (frameStart && this.bridge) {
      this.prevStartTs = this.startTs;
      this.prevStartId = this.startId;
      this.startTs = p.timestamp;
      this.startId = pictureId(this.bridge.codec, p.payload);
    }
    if (w === null) {
      if (this.active) this.stop();
      return false;
    }
    if (this.active && w.outs[track] !== this.out) this.stop(); // another writer, or the track's codec changed
    if (!this.active) {
      if (!frameStart || track < 0 || frameDelta !== frameDelta) return false;
      const out = w.outs[track] ?? null;
      const t = w.stream.tracks[track];
      if (!out || !out.packetizer || !t || out.codec !== this.codec || t.clockRate !== out.rtpClock) return false;
      this.out = out;
      this.fromTs = p.timestamp;
      this.active = true;
      this.starting = true;
    }
    const k = this.pkt;
    k.payload = p.payload;
    k.marker = p.marker;
    k.frameStart = frameStart;
    k.keyStart = frameStart && isKeyframeStart(this.codec, p.payload);
    return true;
  }

  /**
   * Writes the packet `begin` accepted into the writer's ring. The first one fixes the deltas now:
   * the depacketizer may just have committed the frame before it, packetized (a frame that ended
   * without a marker), and the numbering continues after that one.
   */
  write(w: RtpWriter, frameDelta: number): void {
    const k = this.pkt;
    const out = this.out;
    if (this.starting && out?.packetizer) {
      this.starting = false;
      this.seqDelta = (out.packetizer.sequenceNumber - this.seq) & 0xffff;
      this.tsDelta = (frameDelta + out.packetizer.timestampOffset) >>> 0;
      const ids = idSource(out);
      if (this.bridge && ids) this.bridge.begin(ids, k.payload);
    }
    k.timestamp = (this.ts + this.tsDelta) >>> 0;
    if (k.keyStart && out?.parameterSets && !h264HasSps(k.payload)) {
      // A viewer may join here: the SPS and PPS go first, in a packet of their own (one more number).
      const ps = this.params;
      ps.payload = out.parameterSets;
      ps.sequenceNumber = (this.seq + this.seqDelta) & 0xffff;
      ps.timestamp = k.timestamp;
      if (w.forwardPacket(out, ps)) {
        this.seqDelta = (this.seqDelta + 1) & 0xffff;
        this.parameterSetsAdded++;
        k.frameStart = false;
        k.keyStart = false;
      }
    }
    k.sequenceNumber = (this.seq + this.seqDelta) & 0xffff;
    this.bridge?.patch(k.payload); // a shift by 0 writes the same bytes; it records the newest PictureID
    if (out && w.forwardPacket(out, k)) this.packets++;
    else this.refused++;
    k.payload = p0;
  }

  /**
   * A frame of stream track `track` at RTP time `ts` is being committed: the track out of the writer
   * when its packets were forwarded (the writer must not packetize it), else null. A VP8/VP9 frame
   * the writer packetizes as the first of its track gets the publisher's PictureID, as primed ones do.
   */
  frameCommitted(ts: number, w: RtpWriter | null, track: number): RtpTrackOut | null {
    if (this.bridge) this.committedId = ts === this.startTs ? this.startId : ts === this.prevStartTs ? this.prevStartId : -1;
    if (this.active && ((ts - this.fromTs) | 0) >= 0) {
      this.fromTs = ts;
      return this.out;
    }
    if (this.bridge && w !== null && this.committedId >= 0) {
      const o = w.outs[track] ?? null;
      const ids = idSource(o);
      if (ids && o!.packets === 0) ids.pictureId = this.committedId;
    }
    return null;
  }

  /**
   * A new writer is about to packetize its catch-up: `frames` of this track, the newest committed
   * last. Its PictureIDs are set to end where the publisher's are, so forwarding continues unshifted.
   */
  prime(out: RtpTrackOut, frames: number): void {
    const ids = idSource(out);
    if (this.bridge && ids && this.committedId >= 0) ids.pictureId = (this.committedId + 1 - frames) & 0x7fff;
  }

  stop(): void {
    const ids = idSource(this.out);
    if (this.bridge && ids) this.bridge.end(ids);
    this.active = false;
    this.starting = false;
    this.out = null;
  }
}

const p0 = new Uint8Array(0);

/** The VP8/VP9 packetizer of a track out, as the PictureID bridge sees it. */
function idSource(out: RtpTrackOut | null): PictureIdSource | null {
  const p = out?.packetizer as Partial<PictureIdSource> | null | undefined;
  return p && typeof p.pictureId === "number" ? (p as PictureIdSource) : null;
}
