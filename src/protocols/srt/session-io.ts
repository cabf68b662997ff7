/** What the receive, send and key halves of a session need from it. */
import type { PayloadCipher } from "./crypto.ts";
import type { SrtSessionState } from "./session-state.ts";

export interface Encodable {
  encodedSize(): number;
  encodeTo(buf: Uint8Array, off: number): number;
}

export interface SessionIo {
  readonly state: SrtSessionState;
  readonly rxCipher: PayloadCipher;
  readonly txCipher: PayloadCipher;
  /** One control packet to the peer (header from the state: timestamp, peer socket id). */
  sendControl(type: number, subtype: number, info: number, body: Encodable | null, nowUs: number): void;
  /** One finished datagram (a data packet from the send ring). */
  sendDatagram(buf: Uint8Array, len: number, nowUs: number): void;
  /** A payload in order, at its play time; the view is valid during the call only. */
  deliver(payload: Uint8Array, seq: number, timestampUs: number): void;
  random(buf: Uint8Array): void;
}

/** §4.5: the synchronisation interval (full ACK period). */
export const SYN_US = 10_000;
