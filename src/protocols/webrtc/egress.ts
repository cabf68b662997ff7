/**
 * One WHEP viewer: a cursor into the stream's RtpWriter ring (packets made once per stream), each
 * packet patched with this viewer's payload type and header extensions (viewer-patch.ts), SRTP-
 * protected into the session's buffer and queued on the listener's UdpBatch (one sendmmsg per
 * event for every viewer). The cursor starts at the newest keyframe once DTLS is done; a UDP send
 * never blocks, so the cursor never lags (loss shows as NACKs instead).
 *
 * RTCP from the viewer (RFC 4585, RFC 5104): PLI and FIR go to the publisher when it can make a
 * keyframe (WHIP; RTMP and SRT publishers cannot be asked: the ring starts viewers at keyframes
 * anyway); NACKs are answered from the track's PacketHistory. A sender report per track every
 * second (RFC 3550 §6.4.1) lets the viewer sync audio and video.
 */
import { wallMs } from "../../core/errors.ts";
import type { PathTable } from "../../core/path-table.ts";
import { PUMP_SKIPPED, RingCursor } from "../../core/ring-cursor.ts";
import type { RingReader } from "../../core/ring-writer.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import type { WhepStarter } from "./http.ts";
import { answerWhep, type Negotiation, type NegotiatedMedia, type WhepSource } from "./sdp/answer.ts";
import { SdpError } from "./sdp/sdp-error.ts";
import type { SessionHandler, WebRtcSession } from "./session.ts";
import { RtpViewerPatch } from "./viewer-patch.ts";
import { RECORD_HEADER_SIZE, RtpWriter, type RtpTrackOut } from "./writer.ts";
import { decodeFir, decodeNack, Fir, Nack } from "./wire/rtcp-feedback.ts";
import { SenderReport } from "./wire/rtcp-report.ts";
import { FMT_FIR, FMT_NACK, FMT_PLI, PT_BYE, PT_PSFB, PT_RTPFB, RtcpReader } from "./wire/rtcp.ts";
import { absSendTimeFromMs } from "./wire/rtp-extensions.ts";

export const SENDER_REPORT_INTERVAL_MS = 1000;

/** Something that can be asked for a keyframe (a WHIP ingest). */
export interface KeyframeSource {
  requestKeyframe(): void;
}

function isKeyframeSource(p: unknown): p is KeyframeSource {
  return typeof (p as KeyframeSource | null)?.requestKeyframe === "function";
}

export class WhepEgress implements RingReader, SessionHandler {
  readonly writer: RtpWriter;
  readonly patch: RtpViewerPatch;
  cursor: RingCursor | null;
  transportSeq: number;
  packetsSent: number;
  nacksAnswered: number;
  nacksMissed: number;
  keyframeRequests: number;
  /** Per stream track: packets and payload octets sent, for sender reports. */
  private readonly sentPackets: number[];
  private readonly sentOctets: number[];
  private readonly tracks: number[];
  private readonly rtcp = new RtcpReader();
  private readonly nack = new Nack();
  private readonly fir = new Fir();
  private readonly sr = new SenderReport();
  private readonly out = new Uint8Array(1500);
  private timer: ReturnType<typeof setInterval> | null = null;
  private detached = false;
  /** Wall-clock ms when the first media packet went out, -1 before. */
  firstPacketMs = -1;

  constructor(
    readonly session: WebRtcSession,
    readonly stream: Stream,
    media: NegotiatedMedia[],
    /** Stream track id of each negotiation source index. */
    sourceTracks: number[],
    private readonly paths: PathTable,
  ) {
    this.writer = stream.writer("rtp", (s) => new RtpWriter(s));
    this.patch = new RtpViewerPatch();
    this.cursor = null;
    this.transportSeq = 0;
    this.packetsSent = 0;
    this.nacksAnswered = 0;
    this.nacksMissed = 0;
    this.keyframeRequests = 0;
    this.sentPackets = [];
    this.sentOctets = [];
    this.tracks = [];
    for (const m of media) {
      if (m.source === undefined) continue;
      const track = sourceTracks[m.source]!;
      this.patch.setTrack(track, { payloadType: m.payloadType, mid: m.mid, midId: m.extensions.mid, absSendTimeId: m.extensions.absSendTime, transportCcId: m.extensions.twcc });
      this.tracks.push(track);
      while (this.sentPackets.length <= track) {
        this.sentPackets.push(0);
        this.sentOctets.push(0);
      }
    }
    stream.addReader("webrtc");
    this.writer.add(this);
    session.handler = this;
  }

  onConnected(): void {
    // Start at the newest keyframe now, not at POST time: the first picture comes at once.
    this.cursor = new RingCursor(this.writer.ring);
    this.timer = setInterval(() => this.sendReports(), SENDER_REPORT_INTERVAL_MS);
    this.timer.unref?.();
    if (this.cursor.waitKey) this.askKeyframe();
    this.writer.stampSendTime();
    this.pump();
  }

  /** After the writer's flush (its abs-send-time is now), or when DTLS is done. */
  pump(): void {
    const c = this.cursor;
    if (!c || this.detached) return;
    for (let guard = 0; guard < 8; guard++) if (c.pump(this, Number.POSITIVE_INFINITY) !== PUMP_SKIPPED) break;
  }

  /** ByteSink: whole packet records of the writer's ring. UDP takes everything. */
  write(data: Uint8Array, offset: number, length: number): number {
    const end = offset + length;
    const ast = this.writer.absSendTime;
    for (let at = offset; at < end; ) {
      const len = (data[at]! << 8) | data[at + 1]!;
      const track = data[at + 2]!;
      const p = at + RECORD_HEADER_SIZE;
      at = p + len;
      if (!this.patch.apply(data, p, track, this.transportSeq, ast)) continue;
      this.transportSeq = (this.transportSeq + 1) & 0xffff;
      this.session.sendRtp(data, len, p);
      this.packetsSent++;
      this.sentPackets[track]!++;
      this.sentOctets[track]! += len - 40;
    }
    if (this.firstPacketMs < 0 && this.packetsSent > 0) this.firstPacketMs = wallMs();
    this.stream.bytesOut += length;
    return length;
  }

  onTracks(): void {}

  onState(state: StreamState): void {
    if (state === "ended") this.session.close("stream ended");
  }

  onRtp(): void {
    // A WHEP viewer sends no media.
  }

  onRtcp(buf: Uint8Array, len: number): void {
    const r = this.rtcp;
    try {
      r.reset(buf.length === len ? buf : buf.subarray(0, len));
      while (r.next()) {
        const pt = r.packetType;
        if (pt === PT_PSFB && (r.count === FMT_PLI || r.count === FMT_FIR)) {
          if (r.count === FMT_FIR) decodeFir(r.buf, r.start, r.end, this.fir);
          this.askKeyframe();
        } else if (pt === PT_RTPFB && r.count === FMT_NACK) {
          decodeNack(r.buf, r.start, r.end, this.nack);
          this.answerNack();
        } else if (pt === PT_BYE) {
          return this.session.close("viewer sent RTCP BYE");
        }
      }
    } catch {
      // a malformed compound packet: the rest of it is ignored
    }
  }

  onClose(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.writer.remove(this);
    this.stream.removeReader("webrtc");
    this.paths.readerLeft(this.stream);
  }

  stats(): object {
    return { session: this.session.id, packetsSent: this.packetsSent, nacksAnswered: this.nacksAnswered, nacksMissed: this.nacksMissed, keyframeRequests: this.keyframeRequests };
  }

  private askKeyframe(): void {
    this.keyframeRequests++;
    const p = this.stream.publisher;
    if (isKeyframeSource(p)) p.requestKeyframe();
  }

  /** RFC 4585 §6.2.1: resend each named packet from the track's history (patched for this viewer). */
  private answerNack(): void {
    const n = this.nack;
    const out = this.outBySsrc(n.mediaSsrc);
    if (!out) return;
    const ring = this.writer.ring;
    const ast = absSendTimeFromMs(performance.timeOrigin + performance.now());
    for (let i = 0; i < n.lostCount; i++) {
      const at = out.history.find(n.lost[i]!);
      if (at < 0) {
        this.nacksMissed++;
        continue;
      }
      const len = out.history.length;
      if (!this.patch.apply(ring.buf, at, out.track, this.transportSeq, ast)) continue;
      this.transportSeq = (this.transportSeq + 1) & 0xffff;
      this.session.sendRtp(ring.buf, len, at);
      this.nacksAnswered++;
    }
  }

  private outBySsrc(ssrc: number): RtpTrackOut | null {
    for (const o of this.writer.outs) if (o && o.ssrc === ssrc >>> 0) return o;
    return null;
  }

  /** RFC 3550 §6.4.1: one SR per track sent, its RTP time extrapolated from the newest frame. */
  private sendReports(): void {
    if (!this.session.connected) return;
    const now = wallMs();
    let n = 0;
    for (const track of this.tracks) {
      const o = this.writer.outs[track];
      if (!o || o.lastIngestMs === 0 || this.sentPackets[track] === 0) continue;
      const sr = this.sr;
      sr.ssrc = o.ssrc;
      sr.setNtpFromUnixMs(now);
      sr.rtpTimestamp = (o.lastTimestamp + Math.round(((now - o.lastIngestMs) * o.rtpClock) / 1000)) >>> 0;
      sr.packetCount = this.sentPackets[track]! >>> 0;
      sr.octetCount = this.sentOctets[track]! >>> 0;
      sr.reportCount = 0;
      n += sr.encodeTo(this.out, n);
    }
    if (n > 0) this.session.sendRtcp(this.out, n);
  }
}

/**
 * Answers a WHEP offer with the live stream's tracks (SSRCs from the stream's RtpWriter: the same
 * for every viewer) and attaches the viewer. H.264 is answered whatever profile the viewer listed
 * (strictH264Profile false): browsers decode every profile, and Chromium offers only Constrained
 * Baseline / Baseline / Main for receiving, which would refuse a High-profile stream.
 */
export function startWhep(paths: PathTable): WhepStarter {
  return (offer, path, local, makeSession) => {
    const live = paths.get(path);
    if (!live || live.state !== "live" || live.tracks.length === 0) return notFound(`stream ${JSON.stringify(path)} is not live`);
    const stream = paths.read(path);
    const created = !stream.writerFormats.includes("rtp");
    const writer = stream.writer("rtp", (s) => new RtpWriter(s));
    const tracks = stream.tracks.filter((t) => t && writer.trackOut(t.id)?.packetizer);
    const sources: WhepSource[] = tracks.map((t) => ({ codec: t.codec, config: t.config, info: t.info, ssrc: writer.trackOut(t.id)!.ssrc }));
    let n: Negotiation;
    try {
      n = answerWhep(offer, { ...local, sources, cname: "spate", streamId: path, strictH264Profile: false });
      if (n.media.length === 0) throw new SdpError("no-codec", `nothing to send: ${n.rejected.map((r) => r.reason).join("; ") || "no media"}`);
    } catch (e) {
      if (created && writer.readers.length === 0) writer.discard();
      paths.readerLeft(stream);
      throw e;
    }
    new WhepEgress(makeSession(n), stream, n.media, tracks.map((t) => t.id), paths);
    return n;
  };
}

function notFound(message: string): Response {
  return new Response(message + "\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "*" } });
}
