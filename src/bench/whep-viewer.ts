/**
 * One WHEP bench viewer without a browser: POSTs a recorded Chromium offer with its own ICE
 * credentials and DTLS fingerprint (RFC 9725 §4.2), sends STUN checks with USE-CANDIDATE to the
 * answer's candidate once a second (the server is ICE-lite, RFC 8445 §2.5, so we are the
 * controlling agent and must keep consent fresh, RFC 7675), runs werift's DTLS client, decrypts
 * SRTP with our own contexts, depacketizes the H.264 section (RFC 6184) and reads the bench stamp
 * out of each frame. Each viewer has its own UDP socket; many share one process.
 */
import type { udp } from "bun";
import { wallMs } from "../core/errors.ts";
import { H264Depacketizer } from "../protocols/webrtc/rtp/h264-depacketizer.ts";
import { parseSdp } from "../protocols/webrtc/sdp/parse.ts";
import type { DtlsCertificate } from "../protocols/webrtc/dtls/certificate.ts";
import type { SrtpContext } from "../protocols/webrtc/srtp/context.ts";
import { classify, KIND_DTLS, KIND_RTP } from "../protocols/webrtc/wire/demux.ts";
import { decodeRtp, RtpPacket } from "../protocols/webrtc/wire/rtp.ts";
import { MeasuredViewer, type MeasureWindow } from "./measured-viewer.ts";
import { readStampAt, type Stamp } from "./synthetic.ts";
import { WhepLink, whepOffer } from "./whep-link.ts";
import type { LatencyHistogram } from "./stats.ts";

/** RFC 7675 §5.1: consent is checked at least every 5 s; once a second keeps it fresh under load. */
const CHECK_INTERVAL_MS = 1000;
const RETRY_MS = 250;
/** Our SRTP contexts write the plain packet here: one RTP packet fits in a datagram. */
const MAX_DATAGRAM_BYTES = 2048;

/** What every viewer of a run shares, and the WebRTC counts they add to (whole run). */
export interface WhepViewerTarget {
  whepUrl: string;
  setupTimeoutMs: number;
  window: MeasureWindow;
  latency: LatencyHistogram;
  counts: WhepCounts;
}

export class WhepCounts {
  dtlsHandshakes = 0;
  srtpAuthFailures = 0;
  /** Video RTP packets decrypted, and sequence numbers never seen between them (a gap counts when the packet after it arrives). */
  packets = 0;
  packetsLost = 0;
  /** The same, for packets that arrived inside the measured window (a join-time skip is outside). */
  windowPackets = 0;
  windowPacketsLost = 0;
  /** Packets of other payload types (audio, RTX). */
  otherPackets = 0;
}

export class WhepViewer extends MeasuredViewer {
  private socket: udp.Socket<"uint8array"> | null = null;
  private link: WhepLink | null = null;
  private srtp: SrtpContext | null = null;
  private location: string | null = null;
  private stopped = false;
  private videoPt = -1;
  private arrivalMs = 0;
  private readonly plain = new Uint8Array(MAX_DATAGRAM_BYTES);
  private readonly rtp = new RtpPacket();
  private readonly stamp: Stamp = { seq: 0, sendTimeMs: 0 };
  private readonly depacketizer: H264Depacketizer;

  constructor(readonly target: WhepViewerTarget) {
    super(target.window, target.latency);
    this.depacketizer = new H264Depacketizer({ onFrame: (payload) => this.frame(payload), onParameterSets() {} });
  }

  start(): void {
    this.phase = "connecting";
    this.requestedMs = wallMs();
    this.connect().catch((e: Error) => this.fail(e.message));
  }

  stop(): void {
    this.stopped = true;
    if (this.location) void fetch(this.location, { method: "DELETE" }).catch(() => {});
    this.location = null;
    this.link?.close();
    this.link = null;
    this.socket?.close();
    this.socket = null;
    if (this.phase === "connecting" || this.phase === "idle") {
      this.phase = "failed";
      this.error ??= "not playing yet when the run ended";
    }
    if (this.phase === "playing") this.phase = "closed";
  }

  private async connect(): Promise<void> {
    const t = this.target;
    // The server rejects the offer's audio section for an AAC stream.
    const { sdp: offer, ufrag, cert } = await whepOffer();
    // The stream may not be live yet (the publisher starts with the run): retry until the setup limit.
    const deadline = wallMs() + t.setupTimeoutMs;
    let r: Response;
    for (;;) {
      r = await fetch(t.whepUrl, { method: "POST", headers: { "content-type": "application/sdp" }, body: offer });
      if (this.stopped) return;
      if (r.status === 201) break;
      const why = `WHEP POST ${r.status}: ${(await r.text()).slice(0, 100)}`;
      if (wallMs() > deadline) throw new Error(why);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    const location = r.headers.get("location");
    if (location) this.location = new URL(location, t.whepUrl).href;
    const answer = parseSdp(await r.text());
    const video = answer.media.find((m) => m.kind === "video" && m.port !== 0);
    if (!video || video.formats.length === 0) throw new Error("the answer has no video section");
    this.videoPt = Number(video.formats[0]);
    const m = answer.media.find((x) => x.port !== 0 && x.candidates.length > 0);
    if (!m || !m.icePwd) throw new Error("the answer has no candidate");
    const cand = m.candidates.find((c) => c.address === "127.0.0.1") ?? m.candidates[0]!;
    this.socket = await Bun.udpSocket({
      hostname: "0.0.0.0",
      port: 0,
      binaryType: "uint8array",
      socket: { data: (_s, buf) => this.onDatagram(buf), error() {} },
    });
    if (this.stopped) return void this.socket.close();
    this.begin(`${m.iceUfrag}:${ufrag}`, m.icePwd, cert, cand.address, cand.port);
    setTimeout(() => {
      if (!this.stopped && this.phase === "connecting") this.fail(`no DTLS connection within ${t.setupTimeoutMs} ms`);
    }, t.setupTimeoutMs);
  }

  private begin(username: string, serverPwd: string, cert: DtlsCertificate, host: string, port: number): void {
    this.link = new WhepLink({
      socket: this.socket!,
      username,
      serverPwd,
      cert,
      host,
      port,
      checkIntervalMs: CHECK_INTERVAL_MS,
      onConnected: (unprotect) => {
        this.srtp = unprotect;
        this.target.counts.dtlsHandshakes++;
        if (this.phase === "connecting") this.phase = "playing";
      },
      onError: (reason) => this.fail(reason),
    });
  }

  private onDatagram(buf: Uint8Array): void {
    const kind = classify(buf);
    if (kind === KIND_DTLS) return this.link?.dtlsIn(buf);
    if (kind !== KIND_RTP || !this.srtp) return;
    const counts = this.target.counts;
    const n = this.srtp.unprotect(buf, buf.length, this.plain, 0);
    if (n < 0) {
      counts.srtpAuthFailures++;
      return;
    }
    this.bytes += buf.length;
    const p = this.rtp;
    try {
      decodeRtp(this.plain.subarray(0, n), p);
    } catch {
      return;
    }
    if (p.payloadType !== this.videoPt) {
      counts.otherPackets++;
      return;
    }
    const st = this.depacketizer.stats;
    const lostBefore = st.lost;
    this.arrivalMs = wallMs();
    this.depacketizer.push(p.payload, p.marker, p.timestamp, p.sequenceNumber);
    counts.packets++;
    counts.packetsLost += st.lost - lostBefore;
    if (this.window.contains(this.arrivalMs)) {
      counts.windowPackets++;
      counts.windowPacketsLost += st.lost - lostBefore;
    }
  }

  /** A depacketized frame: 4-byte length-prefixed NAL units; the stamp is in its slice NAL. */
  private frame(payload: Uint8Array): void {
    let p = 0;
    while (p + 5 <= payload.length) {
      const size = ((payload[p]! << 24) | (payload[p + 1]! << 16) | (payload[p + 2]! << 8) | payload[p + 3]!) >>> 0;
      const nal = p + 4;
      const type = payload[nal]! & 0x1f;
      if ((type === 1 || type === 5) && readStampAt(payload, nal + 1, Math.min(payload.length, nal + size), this.stamp)) {
        this.onFrame(this.stamp.seq, this.stamp.sendTimeMs, this.arrivalMs);
        return;
      }
      p = nal + size;
    }
    this.unstamped++;
  }

  private fail(reason: string): void {
    if (this.phase === "failed" || this.phase === "closed") return;
    this.phase = "failed";
    this.error = reason;
    this.stopped = true;
  }
}
