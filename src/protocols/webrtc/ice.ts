/**
 * ICE-lite (RFC 8445 §2.5) for one session: our credentials, the remote addresses that passed a
 * connectivity check, the one we send to, and consent freshness (RFC 7675). Pure state: the
 * listener feeds it checks and a clock; no sockets here.
 *
 * A lite agent never checks on its own: every address a check authenticated is valid for DTLS and
 * SRTP from then on (RFC 8445 §7.3.1.4 — the peer may move among them), and we send to the newest
 * address nominated with USE-CANDIDATE (§7.3.1.5; the controlling agent's latest choice wins), or
 * to the first validated one until a nomination arrives.
 *
 * An ICE restart (RFC 8445 §9, asked for by a WHIP/WHEP PATCH, RFC 9725 §4.3.2) changes both
 * sides' credentials and nothing else: DTLS and SRTP go on. Until the peer nominates a pair with
 * the new credentials, checks with the old ones still count (media and consent go on over the old
 * pair meanwhile, §9); that first nomination completes the restart, and the addresses no check with
 * the new credentials validated are retired.
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
  /** During a restart: the credentials still accepted, and indexes in `validated` not yet re-checked. */
  previous?: { ufrag: string; pwd: string; stale: number[] } | null;
}

export class IceState {
  localUfrag: string;
  localPwd: string;
  /** HMAC key of our password (checks are authenticated with the receiver's password, RFC 8445 §7.2.2). */
  key: KeyObject;
  remoteUfrag: string;
  /** The credentials before an ICE restart, accepted until the restart completes; null otherwise. */
  previousUfrag: string | null;
  previousPwd: string | null;
  previousKey: KeyObject | null;
  /** During a restart: validated addresses no check with the new credentials has reached yet. */
  readonly stale: IceAddress[];
  /** Addresses a completed restart dropped: the listener takes them (and forgets their routes). */
  readonly retired: IceAddress[];
  restarts: number;
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
    this.previousUfrag = null;
    this.previousPwd = null;
    this.previousKey = null;
    this.stale = [];
    this.retired = [];
    this.restarts = 0;
    this.validated = [];
    this.selected = null;
    this.nominated = false;
    this.lastCheckMs = nowMs;
    this.checks = 0;
  }

  get restarting(): boolean {
    return this.previousUfrag !== null;
  }

  /**
   * RFC 8445 §9: new credentials on both sides. The credentials the peer checks with now stay
   * valid until it nominates with the new ones; a second restart before that replaces only the
   * pending, never used, credentials.
   */
  restart(remoteUfrag: string, localUfrag = randomIceString(8), localPwd = randomIceString(24)): void {
    if (!this.restarting) {
      this.previousUfrag = this.localUfrag;
      this.previousPwd = this.localPwd;
      this.previousKey = this.key;
      this.stale.length = 0;
      for (const a of this.validated) this.stale.push(a);
    }
    this.localUfrag = localUfrag;
    this.localPwd = localPwd;
    this.key = stunKey(localPwd);
    this.remoteUfrag = remoteUfrag;
    this.restarts++;
  }

  /** The HMAC key for a check whose USERNAME starts with `ufrag`: current or previous credentials, else null. */
  keyFor(ufrag: string): KeyObject | null {
    if (ufrag === this.localUfrag) return this.key;
    return ufrag === this.previousUfrag ? this.previousKey : null;
  }

  /**
   * An authenticated Binding request arrived from `address:port` (with the current credentials, or
   * `current` false: the previous ones during a restart). Returns true when the address is newly
   * validated (the listener then routes its datagrams to this session), false when it was known
   * already or refused (over MAX_VALIDATED_ADDRESSES). A nomination with the current credentials
   * completes a pending restart: see `retired`.
   */
  onCheck(address: string, port: number, useCandidate: boolean, nowMs: number, current = true): boolean {
    this.lastCheckMs = nowMs;
    this.checks++;
    let known = this.find(address, port);
    let added = false;
    if (!known) {
      if (this.validated.length >= MAX_VALIDATED_ADDRESSES) return false;
      known = { address, port };
      this.validated.push(known);
      if (!current) this.stale.push(known);
      added = true;
    } else if (current && this.restarting) {
      const i = this.stale.indexOf(known);
      if (i >= 0) this.stale.splice(i, 1);
    }
    if (useCandidate) {
      this.selected = known;
      this.nominated = true;
      if (current && this.restarting) this.finishRestart();
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
      previous: this.previousUfrag !== null ? { ufrag: this.previousUfrag, pwd: this.previousPwd!, stale: this.stale.map((a) => this.validated.indexOf(a)) } : null,
    };
  }

  static fromRecord(r: IceRecord, nowMs: number): IceState {
    const s = new IceState(r.remoteUfrag, nowMs, r.localUfrag, r.localPwd);
    for (const a of r.validated) s.validated.push({ ...a });
    s.selected = r.selected ? s.find(r.selected.address, r.selected.port) : null;
    s.nominated = r.nominated;
    if (r.previous) {
      s.previousUfrag = r.previous.ufrag;
      s.previousPwd = r.previous.pwd;
      s.previousKey = stunKey(r.previous.pwd);
      for (const i of r.previous.stale) if (s.validated[i]) s.stale.push(s.validated[i]!);
    }
    return s;
  }

  /** The peer nominated with the new credentials: the old ones and the addresses only they validated go. */
  private finishRestart(): void {
    this.previousUfrag = null;
    this.previousPwd = null;
    this.previousKey = null;
    for (const a of this.stale) {
      if (a === this.selected) continue;
      this.validated.splice(this.validated.indexOf(a), 1);
      this.retired.push(a);
    }
    this.stale.length = 0;
  }

  private find(address: string, port: number): IceAddress | null {
    for (const a of this.validated) if (a.port === port && a.address === address) return a;
    return null;
  }
}
