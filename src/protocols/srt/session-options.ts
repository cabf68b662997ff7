/** The SrtSession's options, transport and close report: its whole outside surface. */
import type { SrtSession } from "./session.ts";
import type { SrtAcceptResult } from "./session-handshake.ts";
import type { SrtRole } from "./session-state.ts";

/** One UDP datagram to the peer; `buf` may be reused once the call returns. */
export interface SrtTransport {
  send(buf: Uint8Array, len: number): void;
}

export type SrtCloseReason = "shutdown" | "timeout" | "rejected" | "local" | "error";

export interface SrtCloseInfo {
  reason: SrtCloseReason;
  /** For "rejected": the SRT_REJ_* / REJX_* code (ours or the peer's). */
  code: number;
  message: string;
}

export interface SrtSessionOptions {
  role: SrtRole;
  transport: SrtTransport;
  /** Our clock (µs) when the session is created. */
  nowUs: number;
  /** Our TSBPD latency; the larger of both sides' wins. Default 120 (libsrt's). */
  latencyMs?: number;
  /** Caller: encrypt with this; listener: require it (unless `accept` names another one). */
  passphrase?: string;
  /** Caller: 16, 24 or 32 (default 16). */
  keyLength?: number;
  /** Caller: sent in the SID extension. */
  streamId?: string;
  /** Listener: judges the stream id (default: parseStreamId, anything else is a publish of it). */
  accept?: (streamId: string) => SrtAcceptResult;
  /** The peer's IP, written into handshakes as libsrt does. */
  peerAddress?: string;
  socketId?: number;
  initialSeq?: number;
  /** Receive buffer cap in packets (a power of two); also the flow window we announce. */
  receiveBufferPackets?: number;
  sendBufferPackets?: number;
  connectTimeoutMs?: number;
  peerIdleTimeoutMs?: number;
  keepaliveMs?: number;
  kmRefreshPackets?: number;
  kmPreAnnouncePackets?: number;
  /** Fills bytes with randomness (keys, ids); tests seed it. */
  random?: (buf: Uint8Array) => void;
  onConnected?: (session: SrtSession) => void;
  /** A payload in order at its play time; the view is valid during the call only. */
  onPayload?: (payload: Uint8Array, seq: number, timestampUs: number) => void;
  onClose?: (info: SrtCloseInfo) => void;
}
