/**
 * The only WebRTC file with a socket: one UDP port for every WHIP and WHEP session (ICE-lite, the
 * DESIGN's "one shared port"). Datagrams are told apart by their first byte (RFC 7983 §7):
 *
 * - STUN Binding requests are routed by the local ufrag in USERNAME ("ours:theirs", RFC 8445
 *   §7.2.2), authenticated with that session's password, answered, and their source address bound
 *   to the session (DTLS/SRTP are taken from every validated address; we send to the newest
 *   nominated one, see ice.ts).
 * - DTLS, RTP and RTCP are routed by source address (one nested map lookup, no string built).
 *
 * Anything from an unknown address or for an unknown ufrag is dropped and counted. A 500 ms timer
 * closes sessions whose consent expired (RFC 7675: no check for `consentTimeoutMs`). An ICE restart
 * routes the session's new ufrag beside the old one until the peer nominates with it (ice.ts).
 *
 * Counters are plain number fields bumped where things happen (here, in each session and its
 * handler); `totals()` adds them up at scrape time, with what ended sessions left behind.
 */
import type { udp } from "bun";
import type { Logger } from "../../core/log.ts";
import { listenUdpPort, UdpBatch } from "../srt/udp-batch.ts";
import { MAX_DATAGRAM, SessionCounters, WebRtcSession } from "./session.ts";
import { classify, KIND_DTLS, KIND_RTCP, KIND_RTP, KIND_STUN } from "./wire/demux.ts";
import { randomIceString } from "./ice.ts";
import { BINDING_REQUEST, decodeStun, StunMessage } from "./wire/stun.ts";
import { BindingSuccess } from "./wire/stun-encode.ts";
import { verifyIntegrity } from "./wire/stun-integrity.ts";

export interface WebRtcListenerOptions {
  host: string;
  port: number;
  /** Kernel buffers of the socket (one port carries every peer). */
  socketBufferBytes?: number;
  /** A session without an authenticated check for this long is closed (consent freshness). */
  consentTimeoutMs?: number;
  gso?: boolean;
}

/** Chromium checks a nominated pair every ~2.5 s: one lost check is survived, a vanished peer is gone in under 7 s. */
export const DEFAULT_CONSENT_TIMEOUT_MS = 6000;
const SWEEP_MS = 500;

/** What the shared port saw, and why datagrams were dropped; read by the API and /metrics. */
export class ListenerCounters {
  datagrams = 0;
  unknownAddress = 0;
  unknownUfrag = 0;
  badIntegrity = 0;
  malformedStun = 0;
  unknownKind = 0;
  stunRequests = 0;
  stunAnswered = 0;
  iceRestarts = 0;
  /** Sessions closed by the sweep: checks stopped (RFC 7675), or none ever came. */
  consentExpired = 0;
  noCheck = 0;
  whipOpened = 0;
  whepOpened = 0;
}

/** Every WebRTC session counter summed over live and ended sessions (scrape time only). */
export class WebRtcTotals {
  sessionsWhip = 0;
  sessionsWhep = 0;
  readonly session = new SessionCounters();
  plisSent = 0;
  nacksSent = 0;
  nacksAnswered = 0;
  nacksMissed = 0;
  keyframeRequests = 0;

  /** Adds one session's counters (and its handler's feedback counts). */
  add(s: WebRtcSession): void {
    s.counters.addTo(this.session);
    const h = s.handler;
    if (!h) return;
    this.plisSent += h.plisSent ?? 0;
    this.nacksSent += h.nacksSent ?? 0;
    this.nacksAnswered += h.nacksAnswered ?? 0;
    this.nacksMissed += h.nacksMissed ?? 0;
    // A WHIP ingest counts the requests it forwards; those are the viewers' counted here.
    if (s.kind === "whep") this.keyframeRequests += h.keyframeRequests ?? 0;
  }

  addAll(t: WebRtcTotals): void {
    t.session.addTo(this.session);
    this.plisSent += t.plisSent;
    this.nacksSent += t.nacksSent;
    this.nacksAnswered += t.nacksAnswered;
    this.nacksMissed += t.nacksMissed;
    this.keyframeRequests += t.keyframeRequests;
  }
}

/** The listener's counters and the session totals, as /metrics and /api/v1/server show them. */
export interface WebRtcMetrics {
  listener: ListenerCounters;
  totals: WebRtcTotals;
  sent: number;
  sendDropped: number;
}

export class WebRtcListener {
  /** Live sessions by id. */
  readonly sessions = new Map<string, WebRtcSession>();
  readonly counters = new ListenerCounters();
  /** What ended sessions counted, folded in when they go. */
  private readonly ended = new WebRtcTotals();
  readonly batch = new UdpBatch(() => this.socket);
  private readonly byUfrag = new Map<string, WebRtcSession>();
  /** address → port → session, for every validated address. */
  private readonly byAddress = new Map<string, Map<number, WebRtcSession>>();
  private socket: udp.Socket<"uint8array"> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly stun = new StunMessage();
  private readonly success = new BindingSuccess();
  private readonly out = new Uint8Array(MAX_DATAGRAM);
  readonly consentTimeoutMs: number;

  constructor(
    private readonly opts: WebRtcListenerOptions,
    private readonly log: Logger,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.consentTimeoutMs = opts.consentTimeoutMs ?? DEFAULT_CONSENT_TIMEOUT_MS;
  }

  get port(): number {
    return this.socket?.port ?? 0;
  }

  now(): number {
    return this.clock();
  }

  async listen(): Promise<void> {
    this.socket = await listenUdpPort(this.opts, this.batch, this.log, (buf, port, address) => this.onDatagram(buf, port, address));
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref?.();
  }

  /** Registers a new session (after its answer was made): its ufrag starts routing checks. */
  add(s: WebRtcSession): void {
    this.sessions.set(s.id, s);
    this.byUfrag.set(s.ice.localUfrag, s);
    if (s.kind === "whip") this.counters.whipOpened++;
    else this.counters.whepOpened++;
  }

  /**
   * RFC 9725 §4.3.2 / RFC 8445 §9: new credentials for `s` (the peer's new ufrag given); checks
   * with the new ufrag are routed at once, the old one until the restart completes (see onStun).
   */
  restartIce(s: WebRtcSession, remoteUfrag: string): void {
    const pending = s.ice.restarting ? s.ice.localUfrag : null;
    let ufrag = randomIceString(8);
    while (this.byUfrag.has(ufrag)) ufrag = randomIceString(8);
    s.ice.restart(remoteUfrag, ufrag);
    if (pending !== null) this.byUfrag.delete(pending);
    this.byUfrag.set(ufrag, s);
    this.counters.iceRestarts++;
  }

  /** The session ended: forget its routes and keep its counts. Called by the session itself. */
  remove(s: WebRtcSession): void {
    if (this.sessions.get(s.id) !== s) return;
    this.sessions.delete(s.id);
    this.byUfrag.delete(s.ice.localUfrag);
    if (s.ice.previousUfrag !== null) this.byUfrag.delete(s.ice.previousUfrag);
    for (const a of s.ice.validated) this.unroute(s, a.address, a.port);
    this.ended.add(s);
  }

  private unroute(s: WebRtcSession, address: string, port: number): void {
    const ports = this.byAddress.get(address);
    if (ports?.get(port) === s) {
      ports.delete(port);
      if (ports.size === 0) this.byAddress.delete(address);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of [...this.sessions.values()]) s.close("server stopping");
    this.batch.flush();
    this.socket?.close();
    this.socket = null;
  }

  onDatagram(buf: Uint8Array, port: number, address: string): void {
    const c = this.counters;
    c.datagrams++;
    const kind = classify(buf);
    if (kind === KIND_STUN) return this.onStun(buf, port, address);
    const s = this.byAddress.get(address)?.get(port);
    if (!s) {
      c.unknownAddress++;
      return;
    }
    if (kind === KIND_RTP) s.handleRtp(buf);
    else if (kind === KIND_RTCP) s.handleRtcp(buf);
    else if (kind === KIND_DTLS) s.handleDtls(buf);
    else c.unknownKind++;
  }

  private onStun(buf: Uint8Array, port: number, address: string): void {
    const c = this.counters;
    const m = this.stun;
    try {
      if (decodeStun(buf, m) === 0) throw new Error("short");
    } catch {
      c.malformedStun++;
      return;
    }
    // Indications (keepalives) and responses need no answer from a lite agent.
    if (m.type !== BINDING_REQUEST) return;
    c.stunRequests++;
    const colon = m.username.indexOf(":");
    const ufrag = colon < 0 ? m.username : m.username.slice(0, colon);
    const s = this.byUfrag.get(ufrag);
    const ice = s?.ice;
    // The old credentials during a restart, else the current ones.
    const key = ice?.keyFor(ufrag);
    if (!s || !ice || !key) {
      c.unknownUfrag++;
      return;
    }
    let ok = false;
    try {
      ok = verifyIntegrity(buf, m, key);
    } catch {
      ok = false;
    }
    if (!ok) {
      c.badIntegrity++;
      return;
    }
    const previous = ice.previousUfrag;
    const added = ice.onCheck(address, port, m.useCandidate, this.clock(), key === ice.key);
    if (previous !== null && ice.previousUfrag === null) {
      // The restart completed: the old ufrag and the addresses only it validated are gone.
      this.byUfrag.delete(previous);
      for (const a of ice.retired) this.unroute(s, a.address, a.port);
      ice.retired.length = 0;
    }
    if (added) {
      let ports = this.byAddress.get(address);
      if (!ports) this.byAddress.set(address, (ports = new Map()));
      const previous = ports.get(port);
      // A port reused by a new peer (the old one is gone) moves to the new session.
      if (previous && previous !== s) previous.close("its address was taken over by another session");
      ports.set(port, s);
    }
    const r = this.success;
    r.transactionId.set(m.transactionId);
    if (!r.setAddress(address, port)) return;
    r.key = key;
    const n = r.encodeTo(this.out, 0);
    c.stunAnswered++;
    this.batch.send(this.out, n, port, address);
  }

  /** Consent freshness (RFC 7675 §5.1): a session whose peer stopped checking is closed. */
  sweep(): void {
    const now = this.clock();
    for (const s of [...this.sessions.values()]) {
      if (!s.ice.expired(now, this.consentTimeoutMs)) continue;
      if (s.ice.checks === 0) this.counters.noCheck++;
      else this.counters.consentExpired++;
      s.close(s.ice.checks === 0 ? "no ICE check arrived" : "consent expired (no ICE check)");
    }
  }

  /** Every counter, summed now over live sessions and what ended ones left. */
  metrics(): WebRtcMetrics {
    const totals = new WebRtcTotals();
    totals.addAll(this.ended);
    for (const s of this.sessions.values()) {
      totals.add(s);
      if (s.kind === "whip") totals.sessionsWhip++;
      else totals.sessionsWhep++;
    }
    return { listener: this.counters, totals, sent: this.batch.sent, sendDropped: this.batch.dropped };
  }

  stats(): object {
    const m = this.metrics();
    const { sessionsWhip, sessionsWhep, session, ...feedback } = m.totals;
    return { sessions: { whip: sessionsWhip, whep: sessionsWhep }, ...this.counters, ...session, ...feedback, sent: m.sent, sendDropped: m.sendDropped };
  }
}
