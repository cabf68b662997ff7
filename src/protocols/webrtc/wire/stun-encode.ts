/**
 * The STUN messages an ICE-lite agent sends (RFC 8445 §7.3: Binding success and error responses)
 * and the Binding request a test client or `spate bench webrtc` sends (RFC 8445 §7.2.2). Each ends
 * with MESSAGE-INTEGRITY (when keyed) and FINGERPRINT, which ICE requires on every check and
 * response (RFC 8445 §7.2.2, §7.3). Written into a caller buffer; `encodedSize()` first.
 */
import type { KeyObject } from "node:crypto";
import { assert } from "../../../core/errors.ts";
import { FAMILY_IPV4, FAMILY_IPV6, parseIp } from "./stun-address.ts";
import { crc32 } from "./stun-crc32.ts";
import { computeIntegrity } from "./stun-integrity.ts";
import {
  ATTR_ERROR_CODE,
  ATTR_FINGERPRINT,
  ATTR_ICE_CONTROLLED,
  ATTR_ICE_CONTROLLING,
  ATTR_MESSAGE_INTEGRITY,
  ATTR_PRIORITY,
  ATTR_USE_CANDIDATE,
  ATTR_USERNAME,
  ATTR_XOR_MAPPED_ADDRESS,
  BINDING_ERROR,
  BINDING_REQUEST,
  BINDING_SUCCESS,
  FINGERPRINT_XOR,
  MAGIC_COOKIE,
  MAX_REASON_BYTES,
  MAX_USERNAME_BYTES,
  MESSAGE_INTEGRITY_SIZE,
  STUN_HEADER_SIZE,
  TRANSACTION_ID_SIZE,
} from "./stun.ts";

/** RFC 8489 §14.8 and RFC 8445 §7.3.1.1: the errors an ICE-lite responder sends. */
export const ERROR_BAD_REQUEST = 400;
export const ERROR_UNAUTHENTICATED = 401;
export const ERROR_UNKNOWN_ATTRIBUTE = 420;
export const ERROR_ROLE_CONFLICT = 487;

const TAIL_WITH_INTEGRITY = 4 + MESSAGE_INTEGRITY_SIZE + 8;
const TAIL_FINGERPRINT_ONLY = 8;

function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function padded(n: number): number {
  return (n + 3) & ~3;
}

function writeHeader(buf: Uint8Array, off: number, type: number, length: number, tid: Uint8Array): void {
  writeU16(buf, off, type);
  writeU16(buf, off + 2, length);
  writeU32(buf, off + 4, MAGIC_COOKIE);
  buf.set(tid, off + 8);
}

/** ASCII text as an attribute value, zero-padded to 4 bytes; returns the next offset. */
function writeText(buf: Uint8Array, at: number, type: number, s: string): number {
  writeU16(buf, at, type);
  writeU16(buf, at + 2, s.length);
  for (let i = 0; i < s.length; i++) buf[at + 4 + i] = s.charCodeAt(i);
  const end = at + 4 + padded(s.length);
  buf.fill(0, at + 4 + s.length, end);
  return end;
}

/**
 * MESSAGE-INTEGRITY (when keyed) then FINGERPRINT at buf[at]; the header's length must already
 * count both. Returns the message's end.
 */
function writeTail(buf: Uint8Array, off: number, at: number, key: KeyObject | null): number {
  if (key) {
    writeU16(buf, at, ATTR_MESSAGE_INTEGRITY);
    writeU16(buf, at + 2, MESSAGE_INTEGRITY_SIZE);
    computeIntegrity(buf, off, at, key, buf, at + 4);
    at += 4 + MESSAGE_INTEGRITY_SIZE;
  }
  writeU16(buf, at, ATTR_FINGERPRINT);
  writeU16(buf, at + 2, 4);
  writeU32(buf, at + 4, (crc32(buf, off, at) ^ FINGERPRINT_XOR) >>> 0);
  return at + 8;
}

function checkAscii(s: string, max: number, what: string): void {
  assert(s.length <= max, `${what} ${s.length} bytes > max ${max}`);
  for (let i = 0; i < s.length; i++) assert(s.charCodeAt(i) < 0x80, `${what} is not ASCII`);
}

/** RFC 8445 §7.3.1.1 / RFC 8489 §14.2: a Binding success response carrying the request's source. */
export class BindingSuccess {
  readonly transactionId: Uint8Array;
  /** FAMILY_IPV4 or FAMILY_IPV6. */
  family: number;
  /** 4 or 16 bytes of the peer's address. */
  readonly address: Uint8Array;
  port: number;
  /** The local ICE password's key; a success response is always authenticated. */
  key: KeyObject | null;

  constructor() {
    this.transactionId = new Uint8Array(TRANSACTION_ID_SIZE);
    this.family = FAMILY_IPV4;
    this.address = new Uint8Array(16);
    this.port = 0;
    this.key = null;
  }

  /** The address as the UDP socket reports it; false when it is not an IP address. */
  setAddress(ip: string, port: number): boolean {
    const family = parseIp(ip, this.address);
    if (family === 0) return false;
    this.family = family;
    this.port = port;
    return true;
  }

  encodedSize(): number {
    return STUN_HEADER_SIZE + 4 + (this.family === FAMILY_IPV6 ? 20 : 8) + TAIL_WITH_INTEGRITY;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.key !== null, "a Binding success response needs the local ICE password");
    const size = this.encodedSize();
    writeHeader(buf, off, BINDING_SUCCESS, size - STUN_HEADER_SIZE, this.transactionId);
    let at = off + STUN_HEADER_SIZE;
    const n = this.family === FAMILY_IPV6 ? 16 : 4;
    writeU16(buf, at, ATTR_XOR_MAPPED_ADDRESS);
    writeU16(buf, at + 2, 4 + n);
    buf[at + 4] = 0;
    buf[at + 5] = this.family;
    writeU16(buf, at + 6, this.port ^ (MAGIC_COOKIE >>> 16));
    // The XOR mask is the header's cookie then transaction id, just written at off + 4.
    for (let i = 0; i < n; i++) buf[at + 8 + i] = this.address[i]! ^ buf[off + 4 + i]!;
    at += 8 + n;
    writeTail(buf, off, at, this.key);
    return size;
  }
}

/**
 * RFC 8489 §14.8: a Binding error response. Keyed for 487 (the request was authenticated,
 * RFC 8445 §7.3.1.1); unkeyed for 400 and 401 (RFC 8489 §9.1.3: there are no credentials to use).
 */
export class BindingErrorResponse {
  readonly transactionId: Uint8Array;
  code: number;
  reason: string;
  key: KeyObject | null;

  constructor() {
    this.transactionId = new Uint8Array(TRANSACTION_ID_SIZE);
    this.code = ERROR_BAD_REQUEST;
    this.reason = "";
    this.key = null;
  }

  encodedSize(): number {
    return STUN_HEADER_SIZE + 8 + padded(this.reason.length) + (this.key ? TAIL_WITH_INTEGRITY : TAIL_FINGERPRINT_ONLY);
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.code >= 300 && this.code <= 699, `error code ${this.code} outside 300..699`);
    checkAscii(this.reason, MAX_REASON_BYTES, "reason phrase");
    const size = this.encodedSize();
    writeHeader(buf, off, BINDING_ERROR, size - STUN_HEADER_SIZE, this.transactionId);
    let at = off + STUN_HEADER_SIZE;
    writeU16(buf, at, ATTR_ERROR_CODE);
    writeU16(buf, at + 2, 4 + this.reason.length);
    writeU16(buf, at + 4, 0);
    buf[at + 6] = Math.floor(this.code / 100);
    buf[at + 7] = this.code % 100;
    // The reason phrase follows the 4 code bytes, zero-padded.
    for (let i = 0; i < this.reason.length; i++) buf[at + 8 + i] = this.reason.charCodeAt(i);
    const end = at + 8 + padded(this.reason.length);
    buf.fill(0, at + 8 + this.reason.length, end);
    writeTail(buf, off, end, this.key);
    return size;
  }
}

/** RFC 8445 §7.2.2 / §16.1: a connectivity check, as the controlling browser would send it. */
export class BindingRequest {
  readonly transactionId: Uint8Array;
  /** "remoteUfrag:localUfrag" from the sender's view (RFC 8445 §7.2.2). */
  username: string;
  priority: number;
  /** ICE-CONTROLLING when true, ICE-CONTROLLED when false. */
  controlling: boolean;
  tieBreakerHi: number;
  tieBreakerLo: number;
  useCandidate: boolean;
  /** The remote (answering) agent's password. */
  key: KeyObject | null;

  constructor() {
    this.transactionId = new Uint8Array(TRANSACTION_ID_SIZE);
    this.username = "";
    this.priority = 0;
    this.controlling = true;
    this.tieBreakerHi = 0;
    this.tieBreakerLo = 0;
    this.useCandidate = false;
    this.key = null;
  }

  encodedSize(): number {
    return STUN_HEADER_SIZE + 4 + padded(this.username.length) + 8 + 12 + (this.useCandidate ? 4 : 0) + (this.key ? TAIL_WITH_INTEGRITY : TAIL_FINGERPRINT_ONLY);
  }

  encodeTo(buf: Uint8Array, off: number): number {
    checkAscii(this.username, MAX_USERNAME_BYTES, "username");
    const size = this.encodedSize();
    writeHeader(buf, off, BINDING_REQUEST, size - STUN_HEADER_SIZE, this.transactionId);
    let at = writeText(buf, off + STUN_HEADER_SIZE, ATTR_USERNAME, this.username);
    writeU16(buf, at, ATTR_PRIORITY);
    writeU16(buf, at + 2, 4);
    writeU32(buf, at + 4, this.priority);
    at += 8;
    writeU16(buf, at, this.controlling ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED);
    writeU16(buf, at + 2, 8);
    writeU32(buf, at + 4, this.tieBreakerHi);
    writeU32(buf, at + 8, this.tieBreakerLo);
    at += 12;
    if (this.useCandidate) {
      writeU16(buf, at, ATTR_USE_CANDIDATE);
      writeU16(buf, at + 2, 0);
      at += 4;
    }
    writeTail(buf, off, at, this.key);
    return size;
  }
}
