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
 */
import type { Codec } from "../../core/track.ts";
import { isKeyframeStart } from "./keyframe-start.ts";
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
    if (w === null) return (this.active = false);
    if (this.active && w.outs[track] !== this.out) this.active = false; // another writer, or the track's codec changed
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
    }
    k.sequenceNumber = (this.seq + this.seqDelta) & 0xffff;
    k.timestamp = (this.ts + this.tsDelta) >>> 0;
    if (out && w.forwardPacket(out, k)) this.packets++;
    else this.refused++;
    k.payload = p0;
  }

  /** The track out of the writer when the frame at RTP time `ts` was forwarded (not to be packetized), else null. */
  frameOut(ts: number): RtpTrackOut | null {
    if (!this.active || ((ts - this.fromTs) | 0) < 0) return null;
    this.fromTs = ts;
    return this.out;
  }

  stop(): void {
    this.active = false;
    this.starting = false;
    this.out = null;
  }
}

const p0 = new Uint8Array(0);
