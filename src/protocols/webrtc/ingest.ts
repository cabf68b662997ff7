/**
 * WHIP into the core: the publisher's RTP, per negotiated section, through a small reorder buffer
 * and the codec's depacketizer into frames of a stream track (one copy: depacketizer buffer →
 * ring). Browsers send no B-frames, so dts = pts. RTP timestamps are unwrapped per track and
 * anchored to the session's clock at each track's first frame (audio and video start together
 * from a browser; their RTP clocks have random offsets, RFC 3550 §5.1).
 *
 * RTCP back to the publisher (RFC 4585, draft-alvestrand-rmcat-remb): a NACK as soon as the reorder
 * buffer sees a hole (the retransmission fills it while later packets wait), a receiver report and a REMB
 * every second (we answer without transport-cc, so the browser's estimate rides on REMB and loss),
 * and a PLI — at most one per PLI_INTERVAL_MS — while a depacketizer waits for a keyframe, a
 * viewer asks for one, or the last one is older than the keyframe interval.
 *
 * While the stream has WHEP viewers, its RtpWriter announces itself (`setRtpWriter`) and every
 * section forwards its packets into it unchanged but for the header (forward.ts).
 */
import { randomBytes } from "node:crypto";
import type { PathTable } from "../../core/path-table.ts";
import type { Publisher, Stream } from "../../core/stream.ts";
import { MediaIngest, type MediaIngestOwner } from "./ingest-track.ts";
import type { NegotiatedMedia } from "./sdp/answer.ts";
import type { SessionHandler, WebRtcSession } from "./session.ts";
import { Nack, Pli, Remb } from "./wire/rtcp-feedback.ts";
import { ReceiverReport } from "./wire/rtcp-report.ts";
import { PT_BYE, RtcpReader } from "./wire/rtcp.ts";
import { decodeRtp, RtpPacket } from "./wire/rtp.ts";
import type { RtpForwarder, RtpWriter } from "./writer.ts";

export const PLI_INTERVAL_MS = 500;
export const REPORT_INTERVAL_MS = 1000;
/** What REMB tells the publisher it may send (bits/s). */
export const REMB_BPS = 4_000_000;
const TICK_MS = 50;
/** An RTCP BYE ends the session when no RTP follows it for this long. */
export const BYE_GRACE_MS = 500;
/**
 * Browsers send a keyframe only at the start and when asked: segmenters (LL-HLS, DASH cut at
 * keyframes) and joining RTMP/SRT readers (which start at one) need them regularly.
 */
export const DEFAULT_KEYFRAME_INTERVAL_MS = 2000;

export class WhipIngest implements Publisher, SessionHandler, MediaIngestOwner, RtpForwarder {
  readonly protocol = "webrtc";
  readonly stream: Stream;
  readonly startMs: number;
  readonly localSsrc: number;
  framesIn = 0;
  plisSent = 0;
  lastKeyframeMs = -Infinity;
  keyframeRequests = 0;
  rtpWriter: RtpWriter | null = null;
  private readonly medias: MediaIngest[];
  private readonly byPt = new Map<number, MediaIngest>();
  private readonly pkt = new RtpPacket();
  private readonly rtcp = new RtcpReader();
  private readonly rr = new ReceiverReport();
  private readonly remb = new Remb();
  private readonly pli = new Pli();
  private readonly nack = new Nack();
  private readonly lost = new Uint16Array(32);
  nacksSent = 0;
  private readonly out = new Uint8Array(1500);
  private timer: ReturnType<typeof setInterval> | null = null;
  /** When an RTCP BYE came (-1: none pending), and the RTP packet count then. */
  private byeAtMs = -1;
  private packetsAtBye = 0;
  private rtpPackets = 0;
  /** BYEs followed by more media (not an end). */
  byesIgnored = 0;
  private lastPliMs = -Infinity;
  private lastReportMs = 0;
  private keyframeWanted = false;
  private detached = false;

  constructor(
    readonly session: WebRtcSession,
    media: NegotiatedMedia[],
    private readonly paths: PathTable,
    readonly now: () => number,
    /** Ask for a keyframe when the last one is this old (0: only on loss and viewer requests). */
    private readonly keyframeIntervalMs = DEFAULT_KEYFRAME_INTERVAL_MS,
  ) {
    this.startMs = now();
    this.localSsrc = randomBytes(4).readUInt32BE(0) || 1;
    this.medias = media.map((m) => new MediaIngest(m, this));
    for (const m of this.medias) this.byPt.set(m.media.payloadType, m);
    // Throws PathBusyError before anything else holds resources.
    this.stream = paths.publish(session.path, this);
    session.handler = this;
  }

  /** Where the publisher's media comes from (its nominated address), once a check passed. */
  get remoteAddress(): string {
    const a = this.session.ice.selected;
    return a ? `${a.address}:${a.port}` : "";
  }

  onConnected(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.keyframeWanted = true;
    this.tick();
  }

  onRtp(buf: Uint8Array, len: number): void {
    const p = this.pkt;
    try {
      if (decodeRtp(buf.length === len ? buf : buf.subarray(0, len), p) === 0) return;
    } catch {
      return;
    }
    this.rtpPackets++;
    const m = this.byPt.get(p.payloadType);
    if (!m) return; // RTX, RED, FEC we did not negotiate, or padding probes
    if (m.ssrc === 0) m.ssrc = p.ssrc;
    if (p.ssrc !== m.ssrc) return;
    m.packets++;
    m.seq.unwrap(p.sequenceNumber);
    if (m.firstSeq < 0) m.firstSeq = m.seq.last;
    m.reorder.push(buf, len, p.sequenceNumber, this.now());
    this.stream.flush();
    this.rtpWriter?.flushForwarded();
  }

  onRtcp(buf: Uint8Array, len: number): void {
    const r = this.rtcp;
    try {
      r.reset(buf.length === len ? buf : buf.subarray(0, len));
      while (r.next()) {
        if (r.packetType !== PT_BYE || this.byeAtMs >= 0) continue;
        this.byeAtMs = this.now();
        this.packetsAtBye = this.rtpPackets;
      }
    } catch {
      // malformed compound: ignored
    }
  }

  /** RFC 4585 §6.2.1: ask the publisher to resend packets the reorder buffer saw skipped. */
  sendNack(ssrc: number, first: number, count: number): void {
    if (ssrc === 0 || !this.session.connected) return;
    const n = Math.min(count, this.lost.length);
    for (let i = 0; i < n; i++) this.lost[i] = (first + i) & 0xffff;
    const k = this.nack;
    k.senderSsrc = this.localSsrc;
    k.mediaSsrc = ssrc;
    k.setLost(this.lost, n);
    this.session.sendRtcp(this.out, k.encodeTo(this.out, 0));
    this.nacksSent += n;
  }

  /** A viewer (or a joining one) wants a keyframe: PLI, rate-limited. */
  requestKeyframe(): void {
    this.keyframeRequests++;
    this.keyframeWanted = true;
    this.tick();
  }

  /** RtpForwarder: the stream's RTP writer came, or went (`w` null, `from` the one that went). */
  setRtpWriter(w: RtpWriter | null, from?: RtpWriter): void {
    if (w === null && from !== this.rtpWriter) return;
    if (w === this.rtpWriter) return;
    this.rtpWriter = this.detached ? null : w;
    for (const m of this.medias) m.forward.stop();
    // A writer that has sent nothing yet is about to packetize its catch-up.
    if (w && !this.detached && w.framesEncoded === 0 && w.packetsForwarded === 0) for (const m of this.medias) m.primeWriter(w);
  }

  /** Publisher: end the session (API DELETE, takeover). */
  close(reason: string): void {
    this.session.close(reason);
  }

  /** SessionHandler: the session is gone. */
  onClose(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.rtpWriter = null;
    for (const m of this.medias) m.forward.stop();
    this.stream.flush();
    this.paths.unpublish(this.stream, this);
  }

  stats(): object {
    const c = this.session.counters;
    return {
      session: this.session.id,
      srtpProfile: this.session.profile?.name ?? null,
      rtpIn: c.rtpIn,
      rtcpIn: c.rtcpIn,
      unprotectFailed: c.unprotectFailed,
      framesIn: this.framesIn,
      plisSent: this.plisSent,
      nacksSent: this.nacksSent,
      byesIgnored: this.byesIgnored,
      // Straight WHIP -> WHEP: packets the RTP writer took as they came vs. made from frames.
      rtpWriter: this.rtpWriter ? { packetsForwarded: this.rtpWriter.packetsForwarded, packetsPacketized: this.rtpWriter.packetsEncoded, framesPacketized: this.rtpWriter.framesEncoded } : null,
      tracks: this.medias.map((m) => ({
        mid: m.media.mid,
        codec: m.media.codec,
        packets: m.packets,
        lost: m.depacketizer.stats.lost,
        framesDropped: m.depacketizer.stats.framesDropped,
        reorderSkipped: m.reorder.skipped,
        paddingOnly: m.paddingOnly,
        repeatedTimestamps: m.repeatedTimestamps,
        packetsForwarded: m.forward.packets,
        forwardRefused: m.forward.refused,
        parameterSetsAdded: m.forward.parameterSetsAdded,
      })),
    };
  }

  private tick(): void {
    if (!this.session.connected) return;
    const now = this.now();
    if (this.byeAtMs >= 0 && now - this.byeAtMs >= BYE_GRACE_MS) {
      // RFC 3550 §6.6: the publisher's sources left — unless media kept coming (libwebrtc sends a
      // BYE for a sender it renegotiates, e.g. after an ICE restart, and goes on with the same SSRC).
      if (this.rtpPackets === this.packetsAtBye) return this.session.close("publisher sent RTCP BYE");
      this.byeAtMs = -1;
      this.byesIgnored++;
    }
    let wantKey = this.keyframeWanted;
    for (const m of this.medias) {
      m.reorder.tick(now);
      if (m.media.kind !== "video" || m.packets === 0) continue;
      if (m.depacketizer.waitingForKeyframe) wantKey = true;
      if (this.keyframeIntervalMs > 0 && now - this.lastKeyframeMs >= this.keyframeIntervalMs) wantKey = true;
    }
    if (wantKey && now - this.lastPliMs >= PLI_INTERVAL_MS) {
      for (const m of this.medias) {
        if (m.media.kind !== "video" || m.ssrc === 0) continue;
        this.pli.senderSsrc = this.localSsrc;
        this.pli.mediaSsrc = m.ssrc;
        this.session.sendRtcp(this.out, this.pli.encodeTo(this.out, 0));
        this.plisSent++;
        this.lastPliMs = now;
        this.keyframeWanted = false;
      }
    }
    if (now - this.lastReportMs >= REPORT_INTERVAL_MS) {
      this.lastReportMs = now;
      this.sendReports();
    }
    this.stream.flush();
    this.rtpWriter?.flushForwarded();
  }

  /** RFC 3550 §6.4.2 receiver report (loss from the depacketizers) and a REMB, one compound packet. */
  private sendReports(): void {
    const rr = this.rr;
    rr.ssrc = this.localSsrc;
    rr.reportCount = 0;
    const remb = this.remb;
    remb.senderSsrc = this.localSsrc;
    remb.bitrateBps = REMB_BPS;
    remb.count = 0;
    for (const m of this.medias) {
      if (m.ssrc === 0 || m.packets === 0) continue;
      const b = rr.reports[rr.reportCount++]!;
      b.ssrc = m.ssrc;
      b.fractionLost = 0;
      b.packetsLost = Math.max(0, Math.min(0x7fffff, m.seq.last - m.firstSeq + 1 - m.packets));
      b.highestSequence = m.seq.last >>> 0;
      b.jitter = 0;
      b.lastSr = 0;
      b.delaySinceLastSr = 0;
      remb.ssrcs[remb.count++] = m.ssrc;
    }
    if (rr.reportCount === 0) return;
    let n = rr.encodeTo(this.out, 0);
    n += remb.encodeTo(this.out, n);
    this.session.sendRtcp(this.out, n);
  }
}
