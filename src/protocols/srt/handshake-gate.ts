/**
 * The listener's door (draft-sharabayko-srt-01 §4.3.1.1): it answers inductions without keeping
 * any state, with a SYN cookie derived from the peer's address, the current minute and a secret
 * (libsrt hashes host:port:minute; we key the hash with a per-listener secret), and recognises a
 * conclusion carrying a cookie it baked this minute or the previous one. Only then does the
 * listener create an SrtSession for the peer and feed it the conclusion:
 *
 *   const s = sessions.get(key);                       // key = "ip:port"
 *   if (s) return s.onPacket(buf, nowUs);
 *   const n = gate.answerInduction(buf, key, nowUs, out, ip);
 *   if (n) return socket.send(out.subarray(0, n), port, ip);
 *   if (!gate.acceptsConclusion(buf, key, nowUs)) return;
 *   const session = new SrtSession({ role: "listener", transport, nowUs, peerAddress: ip, accept, ... });
 *   sessions.set(key, session);
 *   session.onPacket(buf, nowUs);                       // answers the conclusion or rejects it
 */
import { createHmac, randomBytes } from "node:crypto";
import { wireTimestamp } from "./seq.ts";
import { CTRL_HANDSHAKE, HEADER_SIZE, HS_CONCLUSION, HS_INDUCTION, SRT_MAGIC_CODE } from "./wire/constants.ts";
import { decodeHandshake, Handshake, HANDSHAKE_CIF_SIZE } from "./wire/handshake.ts";
import { ControlHeader, decodeControlHeader, encodeControlHeader, readU32 } from "./wire/packet.ts";

const COOKIE_BUCKET_US = 60_000_000;

/** libsrt's peer IP field: the address bytes in host-order 32-bit words, swapped to the wire (127.0.0.1 -> 01 00 00 7f). */
export function encodePeerIp(address: string | undefined): Uint8Array {
  const out = new Uint8Array(16);
  if (!address) return out;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  const bytes = new Uint8Array(16);
  let n = 0;
  if (v4) {
    for (let i = 0; i < 4; i++) bytes[i] = Number(v4[i + 1]) & 0xff;
    n = 4;
  } else if (address.includes(":")) {
    const [head = "", tail = ""] = address.split("::");
    const h = head ? head.split(":") : [];
    const t = address.includes("::") && tail ? tail.split(":") : [];
    const groups = [...h, ...new Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
    for (let i = 0; i < 8; i++) {
      const g = parseInt(groups[i] ?? "0", 16) || 0;
      bytes[i * 2] = g >> 8;
      bytes[i * 2 + 1] = g & 0xff;
    }
    n = 16;
  }
  for (let w = 0; w < n; w += 4) for (let i = 0; i < 4; i++) out[w + i] = bytes[w + 3 - i]!;
  return out;
}

export class SrtHandshakeGate {
  private readonly secret: Uint8Array;
  private readonly startUs: number;
  private readonly header: ControlHeader;
  private readonly hs: Handshake;

  constructor(opts: { secret?: Uint8Array; nowUs?: number } = {}) {
    this.secret = opts.secret ?? new Uint8Array(randomBytes(32));
    this.startUs = opts.nowUs ?? 0;
    this.header = new ControlHeader();
    this.hs = new Handshake();
  }

  cookie(peer: string, nowUs: number, minutesAgo = 0): number {
    const bucket = Math.floor(nowUs / COOKIE_BUCKET_US) - minutesAgo;
    return createHmac("sha256", this.secret).update(`${peer}|${bucket}`).digest().readUInt32BE(0);
  }

  /** The handshake type of a datagram addressed to no session yet, or -1. */
  handshakeType(buf: Uint8Array): number {
    if (buf.length < HEADER_SIZE + HANDSHAKE_CIF_SIZE || (buf[0]! & 0x80) === 0) return -1;
    if ((((buf[0]! & 0x7f) << 8) | buf[1]!) !== CTRL_HANDSHAKE) return -1;
    return readU32(buf, HEADER_SIZE + 20);
  }

  /**
   * Answers an induction from `peer` (any stable key: "ip:port") into `out`; returns the answer's
   * length, 0 when `buf` is no induction.
   */
  answerInduction(buf: Uint8Array, peer: string, nowUs: number, out: Uint8Array, peerAddress?: string): number {
    if (this.handshakeType(buf) !== HS_INDUCTION) return 0;
    try {
      decodeControlHeader(buf, this.header);
      decodeHandshake(buf, HEADER_SIZE, buf.length, this.hs);
    } catch {
      return 0;
    }
    const hs = this.hs;
    hs.version = 5;
    hs.encryption = 0;
    hs.extension = SRT_MAGIC_CODE;
    hs.mtu = Math.min(hs.mtu, 1500);
    hs.type = HS_INDUCTION;
    hs.cookie = this.cookie(peer, nowUs);
    hs.peerIp = encodePeerIp(peerAddress);
    hs.hs = null;
    hs.kmCmd = 0;
    hs.km = null;
    hs.streamId = null;
    hs.congestion = null;
    encodeControlHeader(out, 0, CTRL_HANDSHAKE, 0, 0, wireTimestamp(nowUs, this.startUs), hs.socketId);
    return HEADER_SIZE + hs.encodeTo(out, HEADER_SIZE);
  }

  /** A conclusion whose cookie we baked for `peer` in this minute or the last. */
  acceptsConclusion(buf: Uint8Array, peer: string, nowUs: number): boolean {
    if (this.handshakeType(buf) !== HS_CONCLUSION) return false;
    const cookie = readU32(buf, HEADER_SIZE + 28);
    return cookie === this.cookie(peer, nowUs) || cookie === this.cookie(peer, nowUs, 1);
  }
}
