/**
 * STUN messages (RFC 8489, RFC 5389) as ICE-lite sees them (RFC 8445 §2.5, §7.3): the header, the
 * attributes ICE uses, and the FINGERPRINT check. A datagram is one message. The decoder fills a
 * caller-owned StunMessage (reused per socket) and records where MESSAGE-INTEGRITY sits so the
 * caller can verify it once it has looked up the password by USERNAME (stun-integrity.ts).
 */
import { ProtocolError } from "../../../core/errors.ts";
import { crc32 } from "./stun-crc32.ts";
import { FAMILY_IPV4, FAMILY_IPV6, formatIp } from "./stun-address.ts";

export const STUN_PROTOCOL = "stun";

export function stunError(code: string, message: string): ProtocolError {
  return new ProtocolError(STUN_PROTOCOL, code, message);
}

/** RFC 8489 §5: 20-byte header, fixed magic cookie. */
export const STUN_HEADER_SIZE = 20;
export const MAGIC_COOKIE = 0x2112a442;
export const TRANSACTION_ID_SIZE = 12;
/** Larger than any ICE check (~100 bytes) and than a 1500-byte MTU allows. */
export const MAX_STUN_MESSAGE_SIZE = 1500;
/** RFC 8489 §14.3: USERNAME is less than 509 bytes. */
export const MAX_USERNAME_BYTES = 508;
/** RFC 8489 §14.8: the reason phrase is at most 763 bytes. */
export const MAX_REASON_BYTES = 763;

/** RFC 8489 §5 and §18.2: Binding is method 0x001; the class bits are interleaved into the type. */
export const BINDING_REQUEST = 0x0001;
export const BINDING_INDICATION = 0x0011;
export const BINDING_SUCCESS = 0x0101;
export const BINDING_ERROR = 0x0111;

/** RFC 8489 §18.3, RFC 8445 §16.1: attribute types. */
export const ATTR_MAPPED_ADDRESS = 0x0001;
export const ATTR_USERNAME = 0x0006;
export const ATTR_MESSAGE_INTEGRITY = 0x0008;
export const ATTR_ERROR_CODE = 0x0009;
export const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
export const ATTR_PRIORITY = 0x0024;
export const ATTR_USE_CANDIDATE = 0x0025;
export const ATTR_SOFTWARE = 0x8022;
export const ATTR_FINGERPRINT = 0x8028;
export const ATTR_ICE_CONTROLLED = 0x8029;
export const ATTR_ICE_CONTROLLING = 0x802a;

export const MESSAGE_INTEGRITY_SIZE = 20;
/** RFC 8489 §14.7: the CRC is XORed with "STUN". */
export const FINGERPRINT_XOR = 0x5354554e;

/** RFC 8489 §5: method and class from the 14-bit message type. */
export function stunMethod(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

/** 0 request, 1 indication, 2 success response, 3 error response. */
export function stunClass(type: number): number {
  return ((type & 0x0100) >> 7) | ((type & 0x0010) >> 4);
}

function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Latin-1 decode of ASCII text; ICE ufrags and reason phrases are ASCII (RFC 8445 §5.3). */
function text(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** A decoded STUN message. Absent attributes read as their defaults (hasX false, -1 offsets). */
export class StunMessage {
  type: number;
  /** Attribute bytes after the header (the header's length field). */
  length: number;
  /** Copied out of the datagram, so a kept message does not alias the socket's buffer. */
  readonly transactionId: Uint8Array;
  username: string;
  hasPriority: boolean;
  priority: number;
  useCandidate: boolean;
  iceControlling: boolean;
  iceControlled: boolean;
  /** The 64-bit tie-breaker as two halves. */
  tieBreakerHi: number;
  tieBreakerLo: number;
  /** XOR-MAPPED-ADDRESS, un-XORed: FAMILY_IPV4 or FAMILY_IPV6, 0 when absent. */
  mappedFamily: number;
  mappedPort: number;
  mappedAddress: string;
  /** ERROR-CODE: class * 100 + number, 0 when absent. */
  errorCode: number;
  errorReason: string;
  /** Offset of the MESSAGE-INTEGRITY attribute header in the datagram, -1 when absent. */
  integrityOffset: number;
  /** Offset of the FINGERPRINT attribute header, -1 when absent; when present it has been checked. */
  fingerprintOffset: number;
  /** The first comprehension-required attribute (< 0x8000) we do not know, 0 when none (RFC 8489 §7.3.1: answer 420). */
  unknownRequired: number;

  constructor() {
    this.transactionId = new Uint8Array(TRANSACTION_ID_SIZE);
    // The same values reset() sets.
    this.type = this.length = this.priority = this.tieBreakerHi = this.tieBreakerLo = 0;
    this.mappedFamily = this.mappedPort = this.errorCode = this.unknownRequired = 0;
    this.username = this.mappedAddress = this.errorReason = "";
    this.hasPriority = this.useCandidate = this.iceControlling = this.iceControlled = false;
    this.integrityOffset = this.fingerprintOffset = -1;
  }

  reset(): void {
    this.type = 0;
    this.length = 0;
    this.transactionId.fill(0);
    this.username = "";
    this.hasPriority = false;
    this.priority = 0;
    this.useCandidate = false;
    this.iceControlling = false;
    this.iceControlled = false;
    this.tieBreakerHi = 0;
    this.tieBreakerLo = 0;
    this.mappedFamily = 0;
    this.mappedPort = 0;
    this.mappedAddress = "";
    this.errorCode = 0;
    this.errorReason = "";
    this.integrityOffset = -1;
    this.fingerprintOffset = -1;
    this.unknownRequired = 0;
  }
}

function expectLength(type: number, got: number, want: number): void {
  if (got !== want) throw stunError("attribute-length", `attribute 0x${type.toString(16).padStart(4, "0")} length ${got} != ${want}`);
}

/** RFC 8489 §14.2: XOR-MAPPED-ADDRESS, port XOR the cookie's top half, address XOR cookie + transaction id. */
function decodeXorAddress(buf: Uint8Array, at: number, len: number, m: StunMessage): void {
  if (len < 4) throw stunError("attribute-length", `XOR-MAPPED-ADDRESS length ${len} < 4`);
  const family = buf[at + 1]!;
  if (family === FAMILY_IPV4) expectLength(ATTR_XOR_MAPPED_ADDRESS, len, 8);
  else if (family === FAMILY_IPV6) expectLength(ATTR_XOR_MAPPED_ADDRESS, len, 20);
  else throw stunError("address-family", `XOR-MAPPED-ADDRESS family ${family} is neither 1 nor 2`);
  m.mappedFamily = family;
  m.mappedPort = readU16(buf, at + 2) ^ (MAGIC_COOKIE >>> 16);
  // The mask is the header's bytes 4..20 (cookie, then transaction id); un-XOR into scratch.
  const n = family === FAMILY_IPV4 ? 4 : 16;
  for (let i = 0; i < n; i++) ADDRESS[i] = buf[at + 4 + i]! ^ buf[4 + i]!;
  m.mappedAddress = formatIp(family, ADDRESS, 0);
}

const ADDRESS = new Uint8Array(16);

/**
 * Decodes one STUN datagram into `m`; returns its length, 0 when shorter than a header. Throws
 * ProtocolError on a malformed message or a wrong FINGERPRINT. MESSAGE-INTEGRITY is located, not
 * checked: see verifyIntegrity.
 */
export function decodeStun(buf: Uint8Array, m: StunMessage): number {
  if (buf.length < STUN_HEADER_SIZE) return 0;
  if (buf.length > MAX_STUN_MESSAGE_SIZE) throw stunError("message-size", `datagram ${buf.length} bytes > max ${MAX_STUN_MESSAGE_SIZE}`);
  m.reset();
  const type = readU16(buf, 0);
  if (type & 0xc000) throw stunError("not-stun", `first two bits ${type >>> 14} != 0`);
  const cookie = readU32(buf, 4);
  if (cookie !== MAGIC_COOKIE) throw stunError("magic-cookie", `magic cookie 0x${cookie.toString(16)} != 0x2112a442`);
  const length = readU16(buf, 2);
  if (length & 3) throw stunError("message-length", `message length ${length} is not a multiple of 4`);
  if (STUN_HEADER_SIZE + length !== buf.length) {
    throw stunError("message-length", `message length ${length} + 20 != datagram ${buf.length} bytes`);
  }
  m.type = type;
  m.length = length;
  m.transactionId.set(buf.subarray(8, STUN_HEADER_SIZE));
  const end = buf.length;
  let at = STUN_HEADER_SIZE;
  while (at < end) {
    if (end - at < 4) throw stunError("attribute-header", `attribute header at ${at} runs past message end ${end}`);
    const t = readU16(buf, at);
    const len = readU16(buf, at + 2);
    const v = at + 4;
    const next = v + ((len + 3) & ~3);
    if (v + len > end) throw stunError("attribute-length", `attribute 0x${t.toString(16).padStart(4, "0")} length ${len} at ${at} runs past message end ${end}`);
    if (m.fingerprintOffset >= 0) throw stunError("fingerprint-not-last", `attribute 0x${t.toString(16)} at ${at} after FINGERPRINT`);
    if (t === ATTR_FINGERPRINT) {
      expectLength(t, len, 4);
      // §14.7: CRC over everything before the attribute, the header length already counting it.
      const want = (crc32(buf, 0, at) ^ FINGERPRINT_XOR) >>> 0;
      const got = readU32(buf, v);
      if (got !== want) throw stunError("fingerprint", `fingerprint 0x${got.toString(16)} != computed 0x${want.toString(16)}`);
      m.fingerprintOffset = at;
    } else if (m.integrityOffset >= 0) {
      // §14.5: everything after MESSAGE-INTEGRITY but FINGERPRINT is ignored.
    } else {
      switch (t) {
        case ATTR_USERNAME:
          if (len > MAX_USERNAME_BYTES) throw stunError("username-length", `USERNAME ${len} bytes > max ${MAX_USERNAME_BYTES}`);
          if (m.username === "") m.username = text(buf, v, v + len);
          break;
        case ATTR_MESSAGE_INTEGRITY:
          expectLength(t, len, MESSAGE_INTEGRITY_SIZE);
          m.integrityOffset = at;
          break;
        case ATTR_PRIORITY:
          expectLength(t, len, 4);
          m.hasPriority = true;
          m.priority = readU32(buf, v);
          break;
        case ATTR_USE_CANDIDATE:
          expectLength(t, len, 0);
          m.useCandidate = true;
          break;
        case ATTR_ICE_CONTROLLED:
        case ATTR_ICE_CONTROLLING:
          expectLength(t, len, 8);
          if (t === ATTR_ICE_CONTROLLING) m.iceControlling = true;
          else m.iceControlled = true;
          m.tieBreakerHi = readU32(buf, v);
          m.tieBreakerLo = readU32(buf, v + 4);
          break;
        case ATTR_XOR_MAPPED_ADDRESS:
          decodeXorAddress(buf, v, len, m);
          break;
        case ATTR_ERROR_CODE: {
          // §14.8: 21 reserved bits, class (3..6), number (0..99), reason phrase.
          if (len < 4) throw stunError("attribute-length", `ERROR-CODE length ${len} < 4`);
          if (len - 4 > MAX_REASON_BYTES) throw stunError("reason-length", `ERROR-CODE reason ${len - 4} bytes > max ${MAX_REASON_BYTES}`);
          const cls = buf[v + 2]! & 7;
          const num = buf[v + 3]!;
          if (cls < 3 || cls > 6 || num > 99) throw stunError("error-code", `ERROR-CODE class ${cls} number ${num} out of range`);
          m.errorCode = cls * 100 + num;
          m.errorReason = text(buf, v + 4, v + len);
          break;
        }
        default:
          if (t < 0x8000 && m.unknownRequired === 0) m.unknownRequired = t;
      }
    }
    if (next > end) throw stunError("attribute-padding", `attribute 0x${t.toString(16)} padding at ${at} runs past message end ${end}`);
    at = next;
  }
  return end;
}
