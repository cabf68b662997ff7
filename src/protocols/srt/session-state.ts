/**
 * The SRT session as a plain record: numbers, strings and booleans only, so a session can be
 * serialised (JSON) and moved to another process (DESIGN.md "Upgrade without dropping sessions").
 * Packet rings are not part of it: a restored session starts with empty buffers and recovers like
 * after a burst of loss (the peer's NAKs are answered with drop requests).
 */

import { seqStart } from "./seq.ts";
import { SEQ_MASK } from "./wire/constants.ts";

export type SrtRole = "caller" | "listener";
export type SrtPhase = "induction" | "conclusion" | "connected" | "closed";
export type SrtMode = "publish" | "read";

export interface SrtCounters {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Gaps the receiver detected (each sequence number once). */
  packetsLost: number;
  /** Packets we sent again (NAK or timeout). */
  packetsRetransmitted: number;
  /** Packets the receiver skipped: too late to play, or dropped by the sender. */
  packetsDropped: number;
  /** Packets our sender gave up before they were acknowledged. */
  packetsSendDropped: number;
  packetsDuplicate: number;
  /** Originals that arrived after a later packet (counted out of packetsLost). */
  packetsReordered: number;
  packetsUndecryptable: number;
  /** Datagrams that failed to decode or were not for us. */
  packetsMalformed: number;
  packetsDelivered: number;
  naksSent: number;
  naksReceived: number;
}

export interface SrtSessionState {
  role: SrtRole;
  phase: SrtPhase;
  socketId: number;
  peerSocketId: number;
  /** Our clock at the connection start: packet timestamps count from it. */
  startUs: number;
  streamId: string;
  mode: SrtMode | null;
  path: string;
  /** Negotiated TSBPD delays: ours as a receiver, the peer's as a receiver. */
  rcvLatencyMs: number;
  sndLatencyMs: number;
  peerFlowWindow: number;
  mtu: number;
  /** Handshake (caller): our initial sequence number, the listener's cookie, retry timing. */
  initialSeq: number;
  cookie: number;
  connectStartUs: number;
  handshakeSentUs: number;

  /** Crypto: 0 = none. Keys as hex ("" = absent); the passphrase is kept to wrap refreshed keys. */
  keyLength: number;
  passphrase: string;
  salt: string;
  rxEven: string;
  rxOdd: string;
  txEven: string;
  txOdd: string;
  /** KK of the key we encrypt with. */
  txKeyFlag: number;
  txPacketsWithKey: number;
  /** A key refresh announced (KMREQ sent) and not yet answered: when we last sent it, else 0. */
  kmRequestSentUs: number;

  /** Receiver: next sequence number to deliver, highest received (unwrapped). */
  rcvBase: number;
  rcvMax: number;
  /** Peer timestamp 0 in our clock (µs), and the last peer timestamp seen (unwrapped). */
  rcvTimeBaseUs: number;
  rcvLastTimestamp: number;
  ackNo: number;
  lastAckAckedSeq: number;
  lastFullAckUs: number;
  lastNakUs: number;
  packetsSinceAck: number;
  rttUs: number;
  rttVarUs: number;
  rttMeasured: boolean;

  /** Sender: next new sequence number, first unacknowledged, first not yet sent (unwrapped). */
  sndNext: number;
  sndAcked: number;
  sndSentUpTo: number;
  /** Everything below this we gave up (a NAK for it is answered with a drop request). */
  sndDroppedUpTo: number;
  msgNo: number;
  peerAvailableBuffer: number;
  lastAckReceivedUs: number;
  /** When we last answered a full ACK with an ACKACK (they are rate-limited, see Sender.onAck). */
  lastAckAckSentUs: number;

  lastSendUs: number;
  lastRecvUs: number;
  /** Rate sampling (once a second). */
  rateSampleUs: number;
  rateBytesSent: number;
  rateBytesReceived: number;
  rateSendBps: number;
  rateReceiveBps: number;
  ratePacketsReceived: number;
  ratePacketsPerSecond: number;
  counters: SrtCounters;
}

export function newCounters(): SrtCounters {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    packetsLost: 0,
    packetsRetransmitted: 0,
    packetsDropped: 0,
    packetsSendDropped: 0,
    packetsDuplicate: 0,
    packetsReordered: 0,
    packetsUndecryptable: 0,
    packetsMalformed: 0,
    packetsDelivered: 0,
    naksSent: 0,
    naksReceived: 0,
  };
}

function randomU32(random: (b: Uint8Array) => void): number {
  const b = new Uint8Array(4);
  random(b);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** The state of a session not yet connected. */
export function initialState(
  opts: { role: SrtRole; nowUs: number; streamId?: string; latencyMs?: number; socketId?: number; initialSeq?: number },
  random: (b: Uint8Array) => void,
): SrtSessionState {
  const socketId = (opts.socketId ?? randomU32(random) & 0x3fffffff) || 1;
  const initialSeq = (opts.initialSeq ?? randomU32(random)) & SEQ_MASK;
  const start = seqStart(initialSeq);
  return {
    role: opts.role,
    phase: opts.role === "caller" ? "induction" : "conclusion",
    socketId,
    peerSocketId: 0,
    startUs: opts.nowUs,
    streamId: opts.streamId ?? "",
    mode: null,
    path: "",
    rcvLatencyMs: opts.latencyMs ?? 120,
    sndLatencyMs: opts.latencyMs ?? 120,
    peerFlowWindow: 8192,
    mtu: 1500,
    initialSeq,
    cookie: 0,
    connectStartUs: opts.nowUs,
    handshakeSentUs: 0,
    keyLength: 0,
    passphrase: "",
    salt: "",
    rxEven: "",
    rxOdd: "",
    txEven: "",
    txOdd: "",
    txKeyFlag: 0,
    txPacketsWithKey: 0,
    kmRequestSentUs: 0,
    rcvBase: start,
    rcvMax: start - 1,
    rcvTimeBaseUs: 0,
    rcvLastTimestamp: 0,
    ackNo: 0,
    lastAckAckedSeq: start,
    lastFullAckUs: 0,
    lastNakUs: 0,
    packetsSinceAck: 0,
    rttUs: 100_000,
    rttVarUs: 50_000,
    rttMeasured: false,
    sndNext: start,
    sndAcked: start,
    sndSentUpTo: start,
    sndDroppedUpTo: start,
    msgNo: 1,
    peerAvailableBuffer: 8192,
    lastAckReceivedUs: 0,
    lastAckAckSentUs: 0,
    lastSendUs: opts.nowUs,
    lastRecvUs: opts.nowUs,
    rateSampleUs: opts.nowUs,
    rateBytesSent: 0,
    rateBytesReceived: 0,
    rateSendBps: 0,
    rateReceiveBps: 0,
    ratePacketsReceived: 0,
    ratePacketsPerSecond: 0,
    counters: newCounters(),
  };
}
