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
 * closes sessions whose consent expired (RFC 7675: no check for `consentTimeoutMs`).
 */
import type { udp } from "bun";
import type { Logger } from "../../core/log.ts";
import { findUdpSocketFd, setUdpSocketBuffers } from "../../server/socket-buffers.ts";
import { UdpBatch } from "../srt/udp-batch.ts";
import { MAX_DATAGRAM, WebRtcSession } from "./session.ts";
import { classify, KIND_DTLS, KIND_RTCP, KIND_RTP, KIND_STUN } from "./wire/demux.ts";
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

/** Why datagrams were dropped, read by the API. */
export class ListenerCounters {
  datagrams = 0;
  unknownAddress = 0;
  unknownUfrag = 0;
  badIntegrity = 0;
  malformedStun = 0;
  unknownKind = 0;
  stunAnswered = 0;
}

export class WebRtcListener {
  /** Live sessions by id. */
  readonly sessions = new Map<string, WebRtcSession>();
  readonly counters = new ListenerCounters();
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
    this.socket = await Bun.udpSocket({
      hostname: this.opts.host,
      port: this.opts.port,
      binaryType: "uint8array",
      socket: {
        data: (_s, buf, port, address) => this.onDatagram(buf, port, address),
        error: (_s, e) => this.log.debug("udp error", { error: String((e as Error | undefined)?.message ?? e) }),
      },
    });
    if (this.opts.socketBufferBytes) {
      const r = setUdpSocketBuffers(this.socket.port, this.opts.socketBufferBytes);
      if (typeof r === "string") this.log.warn("kept the default UDP buffers", { reason: r });
    }
    if (this.opts.gso !== false) this.batch.useGso(findUdpSocketFd(this.socket.port));
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref?.();
  }

  /** Registers a new session (after its answer was made): its ufrag starts routing checks. */
  add(s: WebRtcSession): void {
    this.sessions.set(s.id, s);
    this.byUfrag.set(s.ice.localUfrag, s);
  }

  /** The session ended: forget its routes. Called by the session itself. */
  remove(s: WebRtcSession): void {
    if (this.sessions.get(s.id) !== s) return;
    this.sessions.delete(s.id);
    this.byUfrag.delete(s.ice.localUfrag);
    for (const a of s.ice.validated) {
      const ports = this.byAddress.get(a.address);
      if (ports?.get(a.port) === s) {
        ports.delete(a.port);
        if (ports.size === 0) this.byAddress.delete(a.address);
      }
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
    const colon = m.username.indexOf(":");
    const s = this.byUfrag.get(colon < 0 ? m.username : m.username.slice(0, colon));
    if (!s) {
      c.unknownUfrag++;
      return;
    }
    let ok = false;
    try {
      ok = verifyIntegrity(buf, m, s.ice.key);
    } catch {
      ok = false;
    }
    if (!ok) {
      c.badIntegrity++;
      return;
    }
    if (s.ice.onCheck(address, port, m.useCandidate, this.clock())) {
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
    r.key = s.ice.key;
    const n = r.encodeTo(this.out, 0);
    c.stunAnswered++;
    this.batch.send(this.out, n, port, address);
  }

  /** Consent freshness (RFC 7675 §5.1): a session whose peer stopped checking is closed. */
  sweep(): void {
    const now = this.clock();
    for (const s of [...this.sessions.values()]) {
      if (s.ice.expired(now, this.consentTimeoutMs)) s.close(s.ice.checks === 0 ? "no ICE check arrived" : "consent expired (no ICE check)");
    }
  }

  stats(): object {
    let whip = 0;
    let whep = 0;
    for (const s of this.sessions.values()) s.kind === "whip" ? whip++ : whep++;
    return { sessions: { whip, whep }, ...this.counters, sent: this.batch.sent, sendDropped: this.batch.dropped };
  }
}
