/**
 * ICE-lite (RFC 8445 §2.5) for one session: our credentials, the remote addresses that passed a
 * connectivity check, the one we send to, and consent freshness (RFC 7675). Pure state: the
 * listener feeds it checks and a clock; no sockets here.
 *
 * A lite agent never checks on its own: every address a check authenticated is valid for DTLS and
 * SRTP from then on (RFC 8445 §7.3.1.4 — the peer may move among them), and we send to the newest
 * address nominated with USE-CANDIDATE (§7.3.1.5; the controlling agent's latest choice wins), or
 * to the first validated one until a nomination arrives.
 */
import { randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { stunKey } from "./wire/stun-integrity.ts";

/** RFC 8839 §5.4 ice-chars. */
const ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A random string of ice-chars (ufrag: 8, pwd: 24 — RFC 8445 §5.3 asks ≥ 24 bits and ≥ 128 bits). */
export function randomIceString(length: number): string {
  const bytes = randomBytes(length);
  let s = "";
  for (let i = 0; i < length; i++) s += ICE_CHARS[bytes[i]! & 63];
  return s;
}

/** A peer may check from this many addresses (host, srflx, each interface); more are refused. */
export const MAX_VALIDATED_ADDRESSES = 16;

export interface IceAddress {
  address: string;
  port: number;
}

/** The plain record an upgrade hands over. */
export interface IceRecord {
  localUfrag: string;
  localPwd: string;
  remoteUfrag: string;
  validated: IceAddress[];
  selected: IceAddress | null;
  nominated: boolean;
}

export class IceState {
  readonly localUfrag: string;
  readonly localPwd: string;
  /** HMAC key of our password (checks are authenticated with the receiver's password, RFC 8445 §7.2.2). */
  readonly key: KeyObject;
  remoteUfrag: string;
  readonly validated: IceAddress[];
  /** Where we send; null until the first check passed. */
  selected: IceAddress | null;
  /** The selected address was nominated (USE-CANDIDATE), not only validated. */
  nominated: boolean;
  /** Clock of the last authenticated check: consent is fresh while it is recent (RFC 7675 §5.1). */
  lastCheckMs: number;
  checks: number;

  constructor(remoteUfrag: string, nowMs: number, localUfrag = randomIceString(8), localPwd = randomIceString(24)) {
    this.localUfrag = localUfrag;
    this.localPwd = localPwd;
    this.key = stunKey(localPwd);
    this.remoteUfrag = remoteUfrag;
    this.validated = [];
    this.selected = null;
    this.nominated = false;
    this.lastCheckMs = nowMs;
    this.checks = 0;
  }

  /**
   * An authenticated Binding request arrived from `address:port`. Returns true when the address is
   * newly validated (the listener then routes its datagrams to this session), false when it was
   * known already or refused (over MAX_VALIDATED_ADDRESSES).
   */
  onCheck(address: string, port: number, useCandidate: boolean, nowMs: number): boolean {
    this.lastCheckMs = nowMs;
    this.checks++;
    let known = this.find(address, port);
    let added = false;
    if (!known) {
      if (this.validated.length >= MAX_VALIDATED_ADDRESSES) return false;
      known = { address, port };
      this.validated.push(known);
      added = true;
    }
    if (useCandidate) {
      this.selected = known;
      this.nominated = true;
    } else if (!this.selected) {
      this.selected = known;
    }
    return added;
  }

  isValidated(address: string, port: number): boolean {
    return this.find(address, port) !== null;
  }

  /** RFC 7675 §5.1: no authenticated check for `timeoutMs`: consent expired, stop sending. */
  expired(nowMs: number, timeoutMs: number): boolean {
    return nowMs - this.lastCheckMs > timeoutMs;
  }

  toRecord(): IceRecord {
    return {
      localUfrag: this.localUfrag,
      localPwd: this.localPwd,
      remoteUfrag: this.remoteUfrag,
      validated: this.validated.map((a) => ({ ...a })),
      selected: this.selected ? { ...this.selected } : null,
      nominated: this.nominated,
    };
  }

  static fromRecord(r: IceRecord, nowMs: number): IceState {
    const s = new IceState(r.remoteUfrag, nowMs, r.localUfrag, r.localPwd);
    for (const a of r.validated) s.validated.push({ ...a });
    s.selected = r.selected ? s.find(r.selected.address, r.selected.port) : null;
    s.nominated = r.nominated;
    return s;
  }

  private find(address: string, port: number): IceAddress | null {
    for (const a of this.validated) if (a.port === port && a.address === address) return a;
    return null;
  }
}
