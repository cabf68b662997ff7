/**
 * Both sides of the HSv5 caller-listener handshake (draft-sharabayko-srt-01 §4.3.1): the caller's
 * induction and conclusion (HSREQ, stream id, KMREQ), the listener's answer to a conclusion
 * (HSRSP, KMRSP) or its rejection (handshake type 1000 + reason), and the negotiation: the larger
 * latency wins in each direction, the listener adopts the caller's initial sequence number.
 */
import { encodePeerIp } from "./handshake-gate.ts";
import type { KeyManager } from "./key-manager.ts";
import type { Receiver } from "./receiver.ts";
import type { Sender } from "./sender.ts";
import type { SessionIo } from "./session-io.ts";
import type { SrtMode } from "./session-state.ts";
import { parseStreamId } from "./stream-id.ts";
import {
  EXT_HSREQ, EXT_HSRSP, EXT_KMREQ, EXT_KMRSP, FLAG_CRYPT, FLAG_PERIODICNAK, FLAG_REXMITFLG, FLAG_STREAM, FLAG_TLPKTDROP,
  FLAG_TSBPDRCV, FLAG_TSBPDSND, HS_CONCLUSION, HS_EXT_CONFIG, HS_EXT_HSREQ, HS_EXT_KMREQ, HS_INDUCTION, HS_REJECT_BASE,
  KM_S_BADSECRET, REJ_BADSECRET, REJ_CONGESTION, REJ_CRYPTO, REJ_FILTER, REJ_GROUP, REJ_MESSAGEAPI, REJ_ROGUE,
  REJ_UNSECURE, REJ_VERSION, SRT_MAGIC_CODE, SRT_VERSION, UDT_DGRAM,
} from "./wire/constants.ts";
import { Handshake, SrtHsExtension } from "./wire/handshake.ts";
import { KM_CIPHER_CTR, type KeyMaterial } from "./wire/key-material.ts";

/** What we support and announce: live mode with TSBPD both ways, too-late drop, periodic NAK. */
export const OUR_FLAGS = FLAG_TSBPDSND | FLAG_TSBPDRCV | FLAG_CRYPT | FLAG_TLPKTDROP | FLAG_PERIODICNAK | FLAG_REXMITFLG;

/** A listener's verdict on a stream id: accept as publish or read of a path, or reject with a code. */
export type SrtAcceptResult = { mode: SrtMode; path: string; passphrase?: string } | { reject: number };

export interface HandshakeHost extends SessionIo {
  readonly keys: KeyManager;
  readonly receiver: Receiver;
  readonly sender: Sender;
  readonly settings: {
    latencyMs: number;
    passphrase: string;
    keyLength: number;
    streamId: string;
    peerAddress: string | undefined;
    accept: ((streamId: string) => SrtAcceptResult) | undefined;
  };
  sendHandshake(hs: Handshake, destSocketId: number, nowUs: number): Uint8Array;
  resend(bytes: Uint8Array, nowUs: number): void;
  connected(nowUs: number): void;
  reject(code: number, message: string, nowUs: number): void;
}

function base(host: HandshakeHost, type: number, initialSeq: number): Handshake {
  const hs = new Handshake();
  hs.version = 5;
  hs.initialSeq = initialSeq;
  hs.mtu = host.state.mtu;
  hs.flowWindow = host.receiver.buffer.maxCapacity;
  hs.type = type;
  hs.socketId = host.state.socketId;
  hs.peerIp = encodePeerIp(host.settings.peerAddress);
  return hs;
}

/** Caller, step 1: a version-4 induction (every SRT caller starts like a UDT one). */
export function sendInduction(host: HandshakeHost, nowUs: number): void {
  const hs = base(host, HS_INDUCTION, host.state.initialSeq);
  hs.version = 4;
  hs.extension = UDT_DGRAM;
  host.state.handshakeSentUs = nowUs;
  host.sendHandshake(hs, 0, nowUs);
}

/** Caller, step 3: the conclusion with our extensions; returns its bytes (resent until answered). */
export function sendConclusion(host: HandshakeHost, km: KeyMaterial | null, nowUs: number): Uint8Array {
  const st = host.state;
  const hs = base(host, HS_CONCLUSION, st.initialSeq);
  hs.cookie = st.cookie;
  hs.encryption = km ? km.keyLength >> 3 : 0;
  hs.hs = new SrtHsExtension(EXT_HSREQ, SRT_VERSION, OUR_FLAGS, host.settings.latencyMs, host.settings.latencyMs);
  hs.extension = HS_EXT_HSREQ;
  if (host.settings.streamId) {
    hs.streamId = host.settings.streamId;
    hs.extension |= HS_EXT_CONFIG;
  }
  if (km) {
    hs.kmCmd = EXT_KMREQ;
    hs.km = km;
    hs.extension |= HS_EXT_KMREQ;
  }
  st.handshakeSentUs = nowUs;
  return host.sendHandshake(hs, 0, nowUs);
}

/** Caller: the listener's answer to our induction or conclusion. Returns true once connected. */
export function callerOnHandshake(host: HandshakeHost, hs: Handshake, peerTimestamp: number, nowUs: number): boolean {
  const st = host.state;
  if (hs.type >= HS_REJECT_BASE && hs.type < HS_CONCLUSION - 16) {
    host.reject(hs.type - HS_REJECT_BASE, `listener rejected the connection (${hs.type - HS_REJECT_BASE})`, nowUs);
    return false;
  }
  if (st.phase === "induction" && hs.type === HS_INDUCTION) {
    if (hs.version < 5 || hs.extension !== SRT_MAGIC_CODE) {
      host.reject(REJ_VERSION, `listener speaks handshake version ${hs.version}, not 5`, nowUs);
      return false;
    }
    st.cookie = hs.cookie;
    st.phase = "conclusion";
    return false;
  }
  if (st.phase !== "conclusion" || hs.type !== HS_CONCLUSION) return false;
  if (!hs.hs || hs.hs.cmd !== EXT_HSRSP) {
    host.reject(REJ_ROGUE, "conclusion answer without HSRSP", nowUs);
    return false;
  }
  if (st.keyLength) {
    if (hs.kmCmd !== EXT_KMRSP || !hs.km) {
      const bad = hs.kmState === KM_S_BADSECRET;
      host.reject(bad ? REJ_BADSECRET : REJ_UNSECURE, bad ? "listener has another passphrase" : "listener does not encrypt", nowUs);
      return false;
    }
  }
  st.peerSocketId = hs.socketId;
  st.rcvLatencyMs = Math.max(host.settings.latencyMs, hs.hs.senderDelayMs);
  st.sndLatencyMs = Math.max(host.settings.latencyMs, hs.hs.receiverDelayMs);
  st.mtu = Math.min(st.mtu, hs.mtu);
  host.receiver.start(hs.initialSeq, peerTimestamp, nowUs);
  host.sender.start(st.initialSeq, hs.flowWindow);
  host.connected(nowUs);
  return true;
}

/** Listener: a conclusion (its cookie already checked by the gate). Answers it or rejects it. */
export function listenerOnConclusion(host: HandshakeHost, hs: Handshake, peerTimestamp: number, nowUs: number): Uint8Array | null {
  const st = host.state;
  st.peerSocketId = hs.socketId;
  const fail = (code: number, message: string) => {
    host.reject(code, message, nowUs);
    return null;
  };
  if (hs.version !== 5) return fail(REJ_VERSION, `caller speaks handshake version ${hs.version}, not 5`);
  if (!hs.hs || hs.hs.cmd !== EXT_HSREQ) return fail(REJ_ROGUE, "conclusion without HSREQ");
  if (hs.hs.flags & FLAG_STREAM) return fail(REJ_MESSAGEAPI, "stream (file) mode is not supported");
  if (hs.congestion !== null && hs.congestion !== "live") return fail(REJ_CONGESTION, `congestion control ${hs.congestion} is not supported`);
  if (hs.filter !== null) return fail(REJ_FILTER, `packet filter ${hs.filter} is not supported`);
  if (hs.group) return fail(REJ_GROUP, "socket groups are not supported");
  st.streamId = hs.streamId ?? "";
  const verdict: SrtAcceptResult = host.settings.accept
    ? host.settings.accept(st.streamId)
    : (parseStreamId(st.streamId) ?? { mode: "publish", path: st.streamId });
  if ("reject" in verdict) return fail(verdict.reject, `stream id ${JSON.stringify(st.streamId)} refused`);
  st.mode = verdict.mode;
  st.path = verdict.path;
  const passphrase = verdict.passphrase ?? host.settings.passphrase;
  let km: KeyMaterial | null = null;
  if (hs.kmCmd === EXT_KMREQ && hs.km) {
    if (!passphrase) return fail(REJ_UNSECURE, "caller encrypts, we have no passphrase");
    if (hs.km.cipher !== KM_CIPHER_CTR) return fail(REJ_CRYPTO, `cipher ${hs.km.cipher} is not AES-CTR`);
    if (!host.keys.acceptInitial(passphrase, hs.km)) return fail(REJ_BADSECRET, "wrong passphrase");
    km = hs.km;
  } else if (passphrase) {
    return fail(REJ_UNSECURE, "a passphrase is required");
  }
  st.rcvLatencyMs = Math.max(host.settings.latencyMs, hs.hs.senderDelayMs);
  st.sndLatencyMs = Math.max(host.settings.latencyMs, hs.hs.receiverDelayMs);
  st.mtu = Math.min(st.mtu, hs.mtu);
  host.receiver.start(hs.initialSeq, peerTimestamp, nowUs);
  host.sender.start(hs.initialSeq, hs.flowWindow);

  const answer = base(host, HS_CONCLUSION, hs.initialSeq);
  answer.cookie = hs.cookie;
  answer.extension = HS_EXT_HSREQ | (km ? HS_EXT_KMREQ : 0);
  answer.hs = new SrtHsExtension(EXT_HSRSP, SRT_VERSION, OUR_FLAGS, st.rcvLatencyMs, st.sndLatencyMs);
  if (km) {
    answer.kmCmd = EXT_KMRSP;
    answer.km = km;
  }
  const bytes = host.sendHandshake(answer, st.peerSocketId, nowUs);
  host.connected(nowUs);
  return bytes;
}

