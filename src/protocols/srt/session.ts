/**
 * One SRT connection as a state machine (draft-sharabayko-srt-01): datagrams and a clock in
 * (`onPacket`, `tick`), datagrams out through an SrtTransport, payloads and events out through
 * callbacks. No sockets: the listener owns the UDP socket, routes a peer's datagrams here and calls
 * `tick` every ~10 ms. Either side of the handshake (caller or listener), and both directions of
 * data at once (Receiver, Sender). Its protocol state is one plain record (`state`).
 */
import { ProtocolError } from "../../core/errors.ts";
import { PayloadCipher } from "./crypto.ts";
import { DEFAULT_KM_PREANNOUNCE_PACKETS, DEFAULT_KM_REFRESH_PACKETS, KeyManager } from "./key-manager.ts";
import { Receiver } from "./receiver.ts";
import { wireTimestamp } from "./seq.ts";
import { Sender } from "./sender.ts";
import { callerOnHandshake, listenerOnConclusion, sendConclusion, sendInduction, type HandshakeHost } from "./session-handshake.ts";
import type { SrtCloseReason, SrtSessionOptions } from "./session-options.ts";
import type { Encodable, SessionIo } from "./session-io.ts";
import { initialState, type SrtCounters, type SrtSessionState } from "./session-state.ts";
import { sampleRates, sessionStats, type SrtStats } from "./stats.ts";
import { DropRequest, decodeDropRequest } from "./wire/control.ts";
import {
  CTRL_ACK, CTRL_ACKACK, CTRL_DROPREQ, CTRL_HANDSHAKE, CTRL_KEEPALIVE, CTRL_NAK, CTRL_SHUTDOWN, CTRL_USER, EXT_KMREQ, EXT_KMRSP,
  HEADER_SIZE, HS_CONCLUSION, HS_REJECT_BASE, MAX_PACKET_SIZE, REJ_TIMEOUT,
} from "./wire/constants.ts";
import { decodeHandshake, Handshake } from "./wire/handshake.ts";
import { ControlHeader, DataHeader, decodeControlHeader, decodeDataHeader, encodeControlHeader } from "./wire/packet.ts";

export type { SrtCloseInfo, SrtCloseReason, SrtSessionOptions, SrtTransport } from "./session-options.ts";
export type { SrtAcceptResult } from "./session-handshake.ts";
export type { SrtStats } from "./stats.ts";

const HANDSHAKE_RETRY_US = 250_000;

function defaultRandom(buf: Uint8Array): void {
  crypto.getRandomValues(buf);
}

export class SrtSession implements SessionIo, HandshakeHost {
  readonly state: SrtSessionState;
  readonly rxCipher: PayloadCipher;
  readonly txCipher: PayloadCipher;
  readonly keys: KeyManager;
  readonly receiver: Receiver;
  readonly sender: Sender;
  readonly settings: HandshakeHost["settings"];
  readonly random: (buf: Uint8Array) => void;
  private readonly opts: SrtSessionOptions;
  private readonly out: Uint8Array;
  private readonly ctrl: ControlHeader;
  private readonly data: DataHeader;
  private readonly dropReq: DropRequest;
  /** The handshake we repeat: the caller's conclusion until answered, the listener's answer. */
  private handshakeBytes: Uint8Array | null;
  private readonly connectTimeoutUs: number;
  private readonly idleTimeoutUs: number;
  private readonly keepaliveUs: number;

  constructor(opts: SrtSessionOptions, restored?: SrtSessionState) {
    this.opts = opts;
    const random = opts.random ?? defaultRandom;
    this.random = random;
    const keyLength = opts.keyLength ?? 16;
    if (![16, 24, 32].includes(keyLength)) throw new Error(`srt: key length ${keyLength} is not 16, 24 or 32`);
    if (opts.passphrase && (opts.passphrase.length < 10 || opts.passphrase.length > 79)) throw new Error("srt: a passphrase has 10 to 79 characters");
    this.settings = {
      latencyMs: opts.latencyMs ?? 120,
      passphrase: opts.passphrase ?? "",
      keyLength,
      streamId: opts.streamId ?? "",
      peerAddress: opts.peerAddress,
      accept: opts.accept,
    };
    this.connectTimeoutUs = (opts.connectTimeoutMs ?? 3000) * 1000;
    this.idleTimeoutUs = (opts.peerIdleTimeoutMs ?? 5000) * 1000;
    this.keepaliveUs = (opts.keepaliveMs ?? 1000) * 1000;
    this.state = restored ?? initialState(opts, random);
    this.rxCipher = new PayloadCipher();
    this.txCipher = new PayloadCipher();
    this.keys = new KeyManager(this, opts.kmRefreshPackets ?? DEFAULT_KM_REFRESH_PACKETS, opts.kmPreAnnouncePackets ?? DEFAULT_KM_PREANNOUNCE_PACKETS);
    this.receiver = new Receiver(this, opts.receiveBufferPackets ?? 8192);
    this.sender = new Sender(this, this.keys, opts.sendBufferPackets ?? 8192);
    this.out = new Uint8Array(MAX_PACKET_SIZE);
    this.ctrl = new ControlHeader();
    this.data = new DataHeader();
    this.dropReq = new DropRequest();
    this.handshakeBytes = null;
    if (restored) this.resume();
  }

  /** A session rebuilt from `state` (e.g. in another process), with empty packet buffers. */
  static restore(state: SrtSessionState, opts: SrtSessionOptions): SrtSession {
    return new SrtSession(opts, structuredClone(state));
  }

  get isConnected(): boolean {
    return this.state.phase === "connected";
  }

  get isClosed(): boolean {
    return this.state.phase === "closed";
  }

  /** Caller: starts the handshake. */
  connect(nowUs: number): void {
    const st = this.state;
    if (st.role !== "caller" || st.phase !== "induction") return;
    st.connectStartUs = nowUs;
    sendInduction(this, nowUs);
  }

  /** One datagram from the peer. Malformed ones are counted and dropped (anyone can forge UDP). */
  onPacket(buf: Uint8Array, nowUs: number): void {
    if (this.state.phase === "closed") return;
    try {
      if (buf.length > 0 && buf[0]! & 0x80) this.onControl(buf, nowUs);
      else this.onData(buf, nowUs);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.state.counters.packetsMalformed++;
    }
  }

  /** Timers: call every ~10 ms. */
  tick(nowUs: number): void {
    const st = this.state;
    if (st.phase === "closed") return;
    if (st.phase !== "connected") {
      if (nowUs - st.connectStartUs > this.connectTimeoutUs) {
        this.finish("timeout", REJ_TIMEOUT, "no answer to the handshake", nowUs, false);
      } else if (st.role === "caller" && nowUs - st.handshakeSentUs >= HANDSHAKE_RETRY_US) {
        if (st.phase === "induction") sendInduction(this, nowUs);
        else this.sendConclusionOnce(nowUs);
      }
      return;
    }
    if (nowUs - st.lastRecvUs > this.idleTimeoutUs) {
      this.finish("timeout", 0, `peer silent for ${Math.round((nowUs - st.lastRecvUs) / 1000)} ms`, nowUs, false);
      return;
    }
    this.receiver.tick(nowUs);
    this.sender.tick(nowUs);
    this.keys.tick(nowUs);
    if (nowUs - st.lastSendUs >= this.keepaliveUs) this.sendControl(CTRL_KEEPALIVE, 0, 0, null, nowUs);
    if (nowUs - st.rateSampleUs >= 1_000_000) sampleRates(st, nowUs);
  }

  /** Sends one payload (≤ 1456 bytes, usually 1316 = 7 TS packets); false when not connected. */
  send(payload: Uint8Array, nowUs: number, srcTimeUs = nowUs): boolean {
    if (this.state.phase !== "connected") return false;
    this.sender.send(payload, nowUs, srcTimeUs);
    return true;
  }

  /** Ends the connection: tells the peer (SHUTDOWN) and reports "local". */
  close(nowUs: number): void {
    if (this.state.phase === "closed") return;
    this.finish("local", 0, "closed", nowUs, this.state.phase === "connected");
  }

  stats(): SrtStats {
    return sessionStats(this.state, this.receiver, this.sender);
  }

  get counters(): SrtCounters {
    return this.state.counters;
  }

  // SessionIo and HandshakeHost

  sendControl(type: number, subtype: number, info: number, body: Encodable | null, nowUs: number): void {
    const st = this.state;
    const out = this.out;
    encodeControlHeader(out, 0, type, subtype, info, wireTimestamp(nowUs, st.startUs), st.peerSocketId);
    let len = HEADER_SIZE;
    if (body) len += body.encodeTo(out, HEADER_SIZE);
    else {
      out.fill(0, HEADER_SIZE, HEADER_SIZE + 4); // libsrt pads empty control packets with one word
      len += 4;
    }
    st.lastSendUs = nowUs;
    this.opts.transport.send(out, len);
  }

  sendDatagram(buf: Uint8Array, len: number, nowUs: number): void {
    const st = this.state;
    st.lastSendUs = nowUs;
    st.counters.packetsSent++;
    st.counters.bytesSent += len - HEADER_SIZE;
    this.opts.transport.send(buf, len);
  }

  deliver(payload: Uint8Array, seq: number, timestampUs: number): void {
    this.opts.onPayload?.(payload, seq, timestampUs);
  }

  sendHandshake(hs: Handshake, destSocketId: number, nowUs: number): Uint8Array {
    const out = this.out;
    encodeControlHeader(out, 0, CTRL_HANDSHAKE, 0, 0, wireTimestamp(nowUs, this.state.startUs), destSocketId);
    const len = HEADER_SIZE + hs.encodeTo(out, HEADER_SIZE);
    this.state.lastSendUs = nowUs;
    this.opts.transport.send(out, len);
    return out.slice(0, len);
  }

  resend(bytes: Uint8Array, nowUs: number): void {
    this.state.lastSendUs = nowUs;
    this.opts.transport.send(bytes, bytes.length);
  }

  connected(nowUs: number): void {
    const st = this.state;
    st.phase = "connected";
    st.lastRecvUs = nowUs;
    st.lastSendUs = nowUs;
    st.rateSampleUs = nowUs;
    this.opts.onConnected?.(this);
  }

  /** Refuses the peer: the listener answers with handshake type 1000 + code; both sides close. */
  reject(code: number, message: string, nowUs: number): void {
    const st = this.state;
    if (st.role === "listener") {
      const hs = new Handshake();
      hs.type = HS_REJECT_BASE + code;
      hs.socketId = st.socketId;
      hs.initialSeq = st.initialSeq;
      hs.flowWindow = this.receiver.buffer.maxCapacity;
      this.sendHandshake(hs, st.peerSocketId, nowUs);
    }
    this.finish("rejected", code, message, nowUs, false);
  }

  private onControl(buf: Uint8Array, nowUs: number): void {
    const st = this.state;
    const h = this.ctrl;
    if (decodeControlHeader(buf, h) === 0) throw new ProtocolError("srt", "short", `control packet of ${buf.length} bytes`);
    if (h.destSocketId !== st.socketId && !(h.type === CTRL_HANDSHAKE && h.destSocketId === 0)) {
      st.counters.packetsMalformed++;
      return;
    }
    if (h.type === CTRL_HANDSHAKE) return this.onHandshake(buf, h.timestamp, nowUs);
    if (st.phase !== "connected") return;
    st.lastRecvUs = nowUs;
    const body = buf.subarray(HEADER_SIZE);
    switch (h.type) {
      case CTRL_ACK:
        return this.sender.onAck(h.info, body, nowUs);
      case CTRL_NAK:
        return this.sender.onNak(body, nowUs);
      case CTRL_ACKACK:
        return this.receiver.onAckAck(h.info, nowUs);
      case CTRL_DROPREQ:
        decodeDropRequest(body, 0, body.length, this.dropReq);
        return this.receiver.onDropRequest(this.dropReq.firstSeq, this.dropReq.lastSeq, nowUs);
      case CTRL_SHUTDOWN:
        return this.finish("shutdown", 0, "peer shut the connection down", nowUs, false);
      case CTRL_USER:
        if (h.subtype === EXT_KMREQ) this.keys.onKmRequest(body, nowUs);
        else if (h.subtype === EXT_KMRSP) this.keys.onKmResponse(body);
        return;
      default:
        return; // keepalive, congestion warning, peer error: being alive is all they say
    }
  }

  private onHandshake(buf: Uint8Array, peerTimestamp: number, nowUs: number): void {
    const st = this.state;
    const hs = new Handshake();
    decodeHandshake(buf, HEADER_SIZE, buf.length, hs);
    if (st.role === "caller") {
      if (st.phase === "connected") return;
      const wasInduction = st.phase === "induction";
      callerOnHandshake(this, hs, peerTimestamp, nowUs);
      if (wasInduction && st.phase === "conclusion") this.sendConclusionOnce(nowUs);
      return;
    }
    if (hs.type !== HS_CONCLUSION) return;
    st.lastRecvUs = nowUs;
    // Our answer was lost: the caller repeats its conclusion, we repeat the answer.
    if (st.phase === "connected") {
      if (this.handshakeBytes && hs.socketId === st.peerSocketId) this.resend(this.handshakeBytes, nowUs);
      return;
    }
    this.handshakeBytes = listenerOnConclusion(this, hs, peerTimestamp, nowUs);
  }

  private sendConclusionOnce(nowUs: number): void {
    const st = this.state;
    if (this.handshakeBytes) {
      st.handshakeSentUs = nowUs;
      this.resend(this.handshakeBytes, nowUs);
      return;
    }
    const km = this.settings.passphrase ? this.keys.createInitial(this.settings.passphrase, this.settings.keyLength) : null;
    this.handshakeBytes = sendConclusion(this, km, nowUs);
  }

  private onData(buf: Uint8Array, nowUs: number): void {
    const st = this.state;
    if (decodeDataHeader(buf, this.data) === 0) throw new ProtocolError("srt", "short", `data packet of ${buf.length} bytes`);
    if (st.phase !== "connected") return;
    if (this.data.destSocketId !== st.socketId) {
      st.counters.packetsMalformed++;
      return;
    }
    st.lastRecvUs = nowUs;
    this.receiver.onData(this.data, buf, nowUs);
  }

  private resume(): void {
    const st = this.state;
    this.keys.restore();
    // The rings did not travel: whatever was in flight is given up (NAKs for it get drop requests).
    st.sndAcked = st.sndSentUpTo = st.sndDroppedUpTo = st.sndNext;
    st.rcvMax = Math.max(st.rcvMax, st.rcvBase - 1);
    this.receiver.loss.clear();
    st.rcvBase = st.rcvMax + 1;
  }

  private finish(reason: SrtCloseReason, code: number, message: string, nowUs: number, notifyPeer: boolean): void {
    if (notifyPeer) this.sendControl(CTRL_SHUTDOWN, 0, 0, null, nowUs);
    this.state.phase = "closed";
    this.opts.onClose?.({ reason, code, message });
  }
}
