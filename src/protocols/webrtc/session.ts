/**
 * One WebRTC session (a WHIP publisher or a WHEP viewer) on the shared port: ICE-lite state, the
 * DTLS handshake, then SRTP/SRTCP both ways. Datagrams and a clock in, datagrams out through a
 * transport; the media meaning of RTP and RTCP belongs to the handler (ingest.ts, egress.ts).
 * No sockets here: the listener routes datagrams to the session by ufrag and validated address.
 *
 * Protect goes into one preallocated buffer per session, sent at once (the transport copies it into
 * its batch), so nothing is allocated per packet.
 */
import type { DtlsCertificate, Fingerprint } from "./dtls/certificate.ts";
import { DtlsSession } from "./dtls/session.ts";
import { IceState, type IceRecord } from "./ice.ts";
import { SrtpContext, type SrtpContextRecord } from "./srtp/context.ts";
import { srtpContexts } from "./srtp/keying.ts";
import { srtpProfile, type SrtpProfile } from "./srtp/profile.ts";

/** Bigger than any datagram we accept or send (MTU-sized RTP plus the SRTP tag). */
export const MAX_DATAGRAM = 2048;

export interface Transport {
  /** Queues `buf[0, len)` (copied) for `address:port`. */
  send(buf: Uint8Array, len: number, port: number, address: string): void;
}

export interface SessionHandler {
  /** DTLS done, SRTP keys in place: media may flow. */
  onConnected(): void;
  /** A decrypted RTP packet, `buf[0, len)` (buf.length === len), valid only during the call. */
  onRtp(buf: Uint8Array, len: number): void;
  /** A decrypted compound RTCP packet, valid only during the call. */
  onRtcp(buf: Uint8Array, len: number): void;
  /** The session ended (DELETE, consent expired, DTLS failed or closed); called once. */
  onClose(reason: string): void;
  /**
   * RTCP feedback counts a handler keeps as plain fields, read at scrape time (listener totals):
   * a WHIP ingest's PLIs and NACKed packets sent to the publisher, a WHEP egress's NACKed packets
   * answered from the history or missed, and keyframe requests (PLI/FIR) it got.
   */
  readonly plisSent?: number;
  readonly nacksSent?: number;
  readonly nacksAnswered?: number;
  readonly nacksMissed?: number;
  readonly keyframeRequests?: number;
}

export type SessionKind = "whip" | "whep";

export interface WebRtcSessionRecord {
  id: string;
  kind: SessionKind;
  path: string;
  ice: IceRecord;
  /** Null before DTLS finished: such a session cannot move (its peer restarts it). */
  srtp: { profile: number; protect: SrtpContextRecord; unprotect: SrtpContextRecord } | null;
}

export class SessionCounters {
  rtpIn = 0;
  rtcpIn = 0;
  rtpOut = 0;
  rtcpOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** SRTP/SRTCP packets that failed authentication or replay checks. */
  unprotectFailed = 0;
  protectFailed = 0;
  /** Media before DTLS finished, or with nowhere to go. */
  dropped = 0;
  /** DTLS handshakes completed (one per session: an ICE restart keeps DTLS) and failed. */
  dtlsConnected = 0;
  dtlsFailed = 0;

  /** Adds every count into `into` (totals over sessions, made at scrape time). */
  addTo(into: SessionCounters): void {
    for (const k of Object.keys(this) as CounterName[]) into[k] += this[k];
  }
}

type CounterName = { [K in keyof SessionCounters]: SessionCounters[K] extends number ? K : never }[keyof SessionCounters];

export class WebRtcSession {
  readonly id: string;
  readonly kind: SessionKind;
  readonly path: string;
  ice: IceState;
  readonly createdMs: number;
  readonly counters: SessionCounters;
  handler: SessionHandler | null;
  closed: boolean;
  closeReason: string;
  profile: SrtpProfile | null;
  /** Null for a session restored from a record (its handshake happened in another process). */
  private dtls: DtlsSession | null;
  private protect: SrtpContext | null;
  private unprotect: SrtpContext | null;
  private readonly out: Uint8Array;
  private readonly plain: Uint8Array;
  /** Views of `plain` by length, made once each: decoders take a packet as an exact view, none made per packet. */
  private readonly plainViews: (Uint8Array | undefined)[];

  constructor(
    opts: {
      id: string;
      kind: SessionKind;
      path: string;
      localUfrag: string;
      localPwd: string;
      remoteUfrag: string;
      certificate: DtlsCertificate;
      remoteFingerprint: Fingerprint;
      nowMs: number;
      /** Continue a session handed over by another process (DESIGN: upgrade without dropping sessions). */
      restore?: WebRtcSessionRecord;
    },
    private readonly transport: Transport,
    /** Told when the session ends so it can forget its routes. */
    private readonly onEnded: (s: WebRtcSession) => void,
  ) {
    this.id = opts.id;
    this.kind = opts.kind;
    this.path = opts.path;
    this.ice = new IceState(opts.remoteUfrag, opts.nowMs, opts.localUfrag, opts.localPwd);
    this.createdMs = opts.nowMs;
    this.counters = new SessionCounters();
    this.handler = null;
    this.closed = false;
    this.closeReason = "";
    this.profile = null;
    this.protect = null;
    this.unprotect = null;
    this.out = new Uint8Array(MAX_DATAGRAM);
    this.plain = new Uint8Array(MAX_DATAGRAM);
    this.plainViews = [];
    const r = opts.restore;
    if (r) {
      this.ice = IceState.fromRecord(r.ice, opts.nowMs);
      this.dtls = null;
      if (r.srtp) {
        this.profile = srtpProfile(r.srtp.profile);
        this.protect = SrtpContext.fromRecord(r.srtp.protect);
        this.unprotect = SrtpContext.fromRecord(r.srtp.unprotect);
      }
      return;
    }
    this.dtls = new DtlsSession(
      { certificate: opts.certificate, remoteFingerprints: [opts.remoteFingerprint] },
      {
        send: (d) => this.sendRaw(d, d.length),
        connected: ({ profile, keyingMaterial }) => {
          const pair = srtpContexts(profile, keyingMaterial, "server");
          this.profile = profile;
          this.protect = pair.protect;
          this.unprotect = pair.unprotect;
          this.counters.dtlsConnected++;
          this.handler?.onConnected();
        },
        failed: (reason) => {
          this.counters.dtlsFailed++;
          this.close(`DTLS failed: ${reason}`);
        },
        closed: () => this.close("peer closed DTLS"),
      },
    );
  }

  get connected(): boolean {
    return this.protect !== null && !this.closed;
  }

  handleDtls(buf: Uint8Array): void {
    this.counters.bytesIn += buf.length;
    if (this.dtls) this.dtls.handleDatagram(buf);
    else this.counters.dropped++; // a restored session has no DTLS state: only SRTP goes on
  }

  handleRtp(buf: Uint8Array): void {
    const c = this.counters;
    c.bytesIn += buf.length;
    if (!this.unprotect || !this.handler) {
      c.dropped++;
      return;
    }
    const n = this.unprotect.unprotect(buf, buf.length, this.plain, 0);
    if (n < 0) {
      c.unprotectFailed++;
      return;
    }
    c.rtpIn++;
    this.handler.onRtp(this.plainView(n), n);
  }

  handleRtcp(buf: Uint8Array): void {
    const c = this.counters;
    c.bytesIn += buf.length;
    if (!this.unprotect || !this.handler) {
      c.dropped++;
      return;
    }
    const n = this.unprotect.unprotectRtcp(buf, buf.length, this.plain, 0);
    if (n < 0) {
      c.unprotectFailed++;
      return;
    }
    c.rtcpIn++;
    this.handler.onRtcp(this.plainView(n), n);
  }

  /** SRTP-protects and sends one RTP packet `buf[off, off + len)`. */
  sendRtp(buf: Uint8Array, len: number, off = 0): void {
    if (!this.protect) return;
    const n = this.protect.protect(buf, len, this.out, 0, off);
    if (n < 0) {
      this.counters.protectFailed++;
      return;
    }
    this.counters.rtpOut++;
    this.sendRaw(this.out, n);
  }

  /** SRTCP-protects and sends one compound RTCP packet. */
  sendRtcp(buf: Uint8Array, len: number): void {
    if (!this.protect) return;
    const n = this.protect.protectRtcp(buf, len, this.out, 0);
    if (n < 0) {
      this.counters.protectFailed++;
      return;
    }
    this.counters.rtcpOut++;
    this.sendRaw(this.out, n);
  }

  /** Ends the session now; the handler hears it once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.dtls?.close();
    this.protect?.close();
    this.unprotect?.close();
    this.onEnded(this);
    this.handler?.onClose(reason);
  }

  /** Everything another process needs to continue this session (with the socket's descriptor). */
  toRecord(): WebRtcSessionRecord {
    return {
      id: this.id,
      kind: this.kind,
      path: this.path,
      ice: this.ice.toRecord(),
      srtp: this.protect && this.unprotect && this.profile ? { profile: this.profile.id, protect: this.protect.toRecord(), unprotect: this.unprotect.toRecord() } : null,
    };
  }

  private plainView(n: number): Uint8Array {
    return (this.plainViews[n] ??= this.plain.subarray(0, n));
  }

  private sendRaw(buf: Uint8Array, len: number): void {
    const to = this.ice.selected;
    if (!to || this.closed) {
      this.counters.dropped++;
      return;
    }
    this.counters.bytesOut += len;
    this.transport.send(buf, len, to.port, to.address);
  }
}
