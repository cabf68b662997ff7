/**
 * The relay wire format: node-to-node transfer of common-format frames, unchanged. A byte stream of
 * messages, each `type u8 | bodyLength u32 | body` (big-endian), so several messages may share one
 * transport write and one message may span several reads. Pure: bytes in, messages out.
 *
 *   HELLO     server -> client  version u8, nonce [16], nodeId str8
 *   AUTH      client -> server  version u8, nodeId str8, nonce [16], mac [32] (HMAC-SHA256, see auth.ts)
 *   ACCEPT    server -> client  nodeId str8, hops u8 (the server's distance from the origin), mac [32]
 *   REFUSE    server -> client  code u8, reason str16
 *   TRACKS    server -> client  count u8, count x track (id u8, codec u8, clockRate u32, configVersion u32,
 *                               configLength u32 (0xffffffff: none), config, info: flags u8 + present fields)
 *   FRAME     server -> client  track u8, flags u8 (bit 0 keyframe), dts f64, pts f64, ingestMs f64,
 *                               sentMs f64, payload (the rest of the body)
 *   STATE     server -> client  state u8 (live, waiting: publisher gone, ended)
 *   KEEPALIVE either way        timeMs f64
 */
import { ProtocolError } from "../../../core/errors.ts";
import type { Codec, TrackInfo } from "../../../core/track.ts";

export const RELAY_VERSION = 1;
export const HEADER_BYTES = 5;
/** A keyframe of a very high bitrate stream fits; anything larger is refused before it is buffered. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const MAX_TRACKS = 16;
export const MAX_CONFIG_BYTES = 64 * 1024;
export const MAX_NODE_ID_BYTES = 128;
export const MAX_REASON_BYTES = 1024;
export const MAX_CLOCK_RATE = 1_000_000;
export const NONCE_BYTES = 16;
export const MAC_BYTES = 32;
export const FRAME_HEADER_BYTES = 34;
const NO_CONFIG = 0xffffffff;

export enum MsgType {
  Hello = 1,
  Auth = 2,
  Accept = 3,
  Refuse = 4,
  Tracks = 5,
  Frame = 6,
  State = 7,
  Keepalive = 8,
}

export enum RefuseCode {
  BadAuth = 1,
  Loop = 2,
  BadRequest = 3,
  Shutdown = 4,
}

export const RELAY_STATES = ["live", "waiting", "ended"] as const;
export type RelayState = (typeof RELAY_STATES)[number];

/** Codec ids on the wire: the index in this table (append only). */
export const CODECS: readonly Codec[] = ["h264", "h265", "av1", "vp9", "vp8", "aac", "opus", "mp3"];

export interface TrackDescription {
  id: number;
  codec: Codec;
  clockRate: number;
  configVersion: number;
  config: Uint8Array | null;
  info: TrackInfo;
}

/** One decoded message; a single object reused by a decoder (one shape, every field always set). */
export class RelayMessage {
  type = 0;
  version = 0;
  nonce: Uint8Array = new Uint8Array(0);
  nodeId = "";
  mac: Uint8Array = new Uint8Array(0);
  hops = 0;
  code = 0;
  reason = "";
  tracks: TrackDescription[] = [];
  track = 0;
  keyframe = false;
  dts = 0;
  pts = 0;
  ingestMs = 0;
  sentMs = 0;
  payload: Uint8Array = new Uint8Array(0);
  state: RelayState = "live";
  timeMs = 0;
}

const utf8 = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });

function fail(code: string, message: string): never {
  throw new ProtocolError("relay", code, message);
}

/** Reads message bodies with bounds checks: every overrun is a ProtocolError. */
class BodyReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly view: DataView,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end) fail("truncated", `${what}: needs ${n} bytes, ${this.end - this.pos} left`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isFinite(v)) fail("bad-number", `${what} is not finite`);
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  str(n: number, max: number, what: string): string {
    if (n > max) fail("too-long", `${what} ${n} bytes > max ${max}`);
    const b = this.bytes(n, what);
    try {
      return strict.decode(b);
    } catch {
      fail("bad-utf8", `${what} is not UTF-8`);
    }
  }
  done(what: string): void {
    if (this.pos !== this.end) fail("trailing", `${what}: ${this.end - this.pos} bytes left over`);
  }
}

const NODE_ID_RE = /^[\x21-\x7e]+$/;

function nodeId(r: BodyReader): string {
  const id = r.str(r.u8("node id length"), MAX_NODE_ID_BYTES, "node id");
  if (!NODE_ID_RE.test(id)) fail("bad-node-id", `node id ${JSON.stringify(id)} is empty or not printable ASCII`);
  return id;
}

/** An integer timestamp in the track clock (dts and pts are integers everywhere in spate). */
function ticks(r: BodyReader, what: string): number {
  const v = r.f64(what);
  if (!Number.isSafeInteger(v)) fail("bad-timestamp", `${what} ${v} is not a safe integer`);
  return v;
}

/**
 * Decodes the message at `buf[offset...]` into `out`. Returns the bytes consumed, 0 when the message
 * is not complete yet. Views (`payload`, `nonce`, `mac`, configs) point into `buf`.
 */
export function decodeRelayMessage(buf: Uint8Array, offset: number, out: RelayMessage, view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)): number {
  if (buf.length - offset < HEADER_BYTES) return 0;
  const type = buf[offset]!;
  if (type < MsgType.Hello || type > MsgType.Keepalive) fail("bad-type", `message type ${type} unknown`);
  const len = view.getUint32(offset + 1);
  if (len > MAX_MESSAGE_BYTES) fail("too-long", `message length ${len} > max ${MAX_MESSAGE_BYTES}`);
  const end = offset + HEADER_BYTES + len;
  if (end > buf.length) return 0;
  const r = new BodyReader(buf, view, offset + HEADER_BYTES, end);
  out.type = type;
  switch (type) {
    case MsgType.Hello:
      out.version = r.u8("version");
      out.nonce = r.bytes(NONCE_BYTES, "nonce");
      out.nodeId = nodeId(r);
      break;
    case MsgType.Auth:
      out.version = r.u8("version");
      out.nodeId = nodeId(r);
      out.nonce = r.bytes(NONCE_BYTES, "nonce");
      out.mac = r.bytes(MAC_BYTES, "mac");
      break;
    case MsgType.Accept:
      out.nodeId = nodeId(r);
      out.hops = r.u8("hops");
      out.mac = r.bytes(MAC_BYTES, "mac");
      break;
    case MsgType.Refuse:
      out.code = r.u8("code");
      out.reason = r.str(r.u16("reason length"), MAX_REASON_BYTES, "reason");
      break;
    case MsgType.Tracks:
      out.tracks = decodeTracks(r);
      break;
    case MsgType.Frame: {
      out.track = r.u8("track");
      if (out.track >= MAX_TRACKS) fail("bad-track", `track ${out.track} >= max ${MAX_TRACKS}`);
      const flags = r.u8("flags");
      if (flags > 1) fail("bad-flags", `frame flags 0x${flags.toString(16)} unknown`);
      out.keyframe = flags === 1;
      out.dts = ticks(r, "dts");
      out.pts = ticks(r, "pts");
      out.ingestMs = r.f64("ingestMs");
      out.sentMs = r.f64("sentMs");
      out.payload = r.bytes(end - r.pos, "payload");
      break;
    }
    case MsgType.State: {
      const s = r.u8("state");
      if (s >= RELAY_STATES.length) fail("bad-state", `state ${s} unknown`);
      out.state = RELAY_STATES[s]!;
      break;
    }
    case MsgType.Keepalive:
      out.timeMs = r.f64("timeMs");
      break;
  }
  r.done(`message type ${type}`);
  return HEADER_BYTES + len;
}

const INFO_FIELDS = ["width", "height", "frameRate", "profile", "level", "sampleRate", "channels"] as const;
const INFO_CODEC_STRING = 1 << 7;
const MAX_CODEC_STRING_BYTES = 64;

function decodeTracks(r: BodyReader): TrackDescription[] {
  const count = r.u8("track count");
  if (count > MAX_TRACKS) fail("too-many", `track count ${count} > max ${MAX_TRACKS}`);
  const tracks: TrackDescription[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.u8("track id");
    if (id >= MAX_TRACKS) fail("bad-track", `track ${id} >= max ${MAX_TRACKS}`);
    if (tracks.some((t) => t.id === id)) fail("bad-track", `track ${id} described twice`);
    const c = r.u8("codec");
    const codec = CODECS[c] ?? fail("bad-codec", `codec ${c} unknown`);
    const clockRate = r.u32("clock rate");
    if (clockRate === 0 || clockRate > MAX_CLOCK_RATE) fail("bad-clock", `clock rate ${clockRate} out of 1..${MAX_CLOCK_RATE}`);
    const configVersion = r.u32("config version");
    const configLength = r.u32("config length");
    let config: Uint8Array | null = null;
    if (configLength !== NO_CONFIG) {
      if (configLength > MAX_CONFIG_BYTES) fail("too-long", `config ${configLength} bytes > max ${MAX_CONFIG_BYTES}`);
      config = r.bytes(configLength, "config");
    }
    const flags = r.u8("info flags");
    if (flags & 0x7f & ~((1 << INFO_FIELDS.length) - 1)) fail("bad-flags", `info flags 0x${flags.toString(16)} unknown`);
    const info: TrackInfo = {};
    if (flags & INFO_CODEC_STRING) info.codecString = r.str(r.u8("codec string length"), MAX_CODEC_STRING_BYTES, "codec string");
    for (let b = 0; b < INFO_FIELDS.length; b++) if (flags & (1 << b)) info[INFO_FIELDS[b]!] = r.f64(INFO_FIELDS[b]!);
    tracks.push({ id, codec, clockRate, configVersion, config, info });
  }
  return tracks;
}

// ---- encoders: `...Size()` then `encode...To(buf, offset): number` (bytes written) ----

function header(view: DataView, buf: Uint8Array, at: number, type: MsgType, len: number): number {
  buf[at] = type;
  view.setUint32(at + 1, len);
  return at + HEADER_BYTES;
}

function dv(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function putStr8(buf: Uint8Array, at: number, s: Uint8Array): number {
  buf[at] = s.length;
  buf.set(s, at + 1);
  return at + 1 + s.length;
}

function idBytes(id: string): Uint8Array {
  const b = utf8.encode(id);
  if (b.length === 0 || b.length > MAX_NODE_ID_BYTES || !NODE_ID_RE.test(id)) throw new RangeError(`node id ${JSON.stringify(id)}: 1..${MAX_NODE_ID_BYTES} printable ASCII`);
  return b;
}

/** A whole message as a new buffer (handshake, tracks, state: rare messages, not the frame path). */
function message(type: MsgType, body: (buf: Uint8Array, view: DataView, at: number) => void, bodyLen: number): Uint8Array {
  const buf = new Uint8Array(HEADER_BYTES + bodyLen);
  const view = dv(buf);
  body(buf, view, header(view, buf, 0, type, bodyLen));
  return buf;
}

export function encodeHello(nonce: Uint8Array, node: string): Uint8Array {
  const id = idBytes(node);
  return message(MsgType.Hello, (b, _v, at) => {
    b[at] = RELAY_VERSION;
    b.set(nonce.subarray(0, NONCE_BYTES), at + 1);
    putStr8(b, at + 1 + NONCE_BYTES, id);
  }, 1 + NONCE_BYTES + 1 + id.length);
}

export function encodeAuth(node: string, nonce: Uint8Array, mac: Uint8Array): Uint8Array {
  const id = idBytes(node);
  return message(MsgType.Auth, (b, _v, at) => {
    b[at] = RELAY_VERSION;
    const n = putStr8(b, at + 1, id);
    b.set(nonce.subarray(0, NONCE_BYTES), n);
    b.set(mac.subarray(0, MAC_BYTES), n + NONCE_BYTES);
  }, 1 + 1 + id.length + NONCE_BYTES + MAC_BYTES);
}

export function encodeAccept(node: string, hops: number, mac: Uint8Array): Uint8Array {
  const id = idBytes(node);
  return message(MsgType.Accept, (b, _v, at) => {
    const n = putStr8(b, at, id);
    b[n] = Math.min(hops, 255);
    b.set(mac.subarray(0, MAC_BYTES), n + 1);
  }, 1 + id.length + 1 + MAC_BYTES);
}

export function encodeRefuse(code: RefuseCode, reason: string): Uint8Array {
  let r = utf8.encode(reason);
  if (r.length > MAX_REASON_BYTES) r = utf8.encode(reason.slice(0, MAX_REASON_BYTES / 4));
  return message(MsgType.Refuse, (b, v, at) => {
    b[at] = code;
    v.setUint16(at + 1, r.length);
    b.set(r, at + 3);
  }, 3 + r.length);
}

export function encodeState(state: RelayState): Uint8Array {
  return message(MsgType.State, (b, _v, at) => void (b[at] = RELAY_STATES.indexOf(state)), 1);
}

export function encodeKeepalive(timeMs: number): Uint8Array {
  return message(MsgType.Keepalive, (_b, v, at) => v.setFloat64(at, timeMs), 8);
}

export function encodeTracks(tracks: readonly TrackDescription[]): Uint8Array {
  const parts = tracks.map((t) => {
    const codecString = t.info.codecString !== undefined ? utf8.encode(t.info.codecString).subarray(0, MAX_CODEC_STRING_BYTES) : null;
    let flags = codecString ? INFO_CODEC_STRING : 0;
    let size = 1 + 1 + 4 + 4 + 4 + (t.config?.length ?? 0) + 1 + (codecString ? 1 + codecString.length : 0);
    for (let b = 0; b < INFO_FIELDS.length; b++) {
      const v = t.info[INFO_FIELDS[b]!];
      if (typeof v === "number" && Number.isFinite(v)) {
        flags |= 1 << b;
        size += 8;
      }
    }
    return { t, codecString, flags, size };
  });
  const bodyLen = 1 + parts.reduce((n, p) => n + p.size, 0);
  return message(MsgType.Tracks, (b, v, at) => {
    b[at++] = parts.length;
    for (const { t, codecString, flags } of parts) {
      b[at] = t.id;
      b[at + 1] = CODECS.indexOf(t.codec);
      v.setUint32(at + 2, t.clockRate);
      v.setUint32(at + 6, t.configVersion >>> 0);
      v.setUint32(at + 10, t.config ? t.config.length : NO_CONFIG);
      at += 14;
      if (t.config) {
        b.set(t.config, at);
        at += t.config.length;
      }
      b[at++] = flags;
      if (codecString) at = putStr8(b, at, codecString);
      for (let i = 0; i < INFO_FIELDS.length; i++) {
        if (!(flags & (1 << i))) continue;
        v.setFloat64(at, t.info[INFO_FIELDS[i]!]!);
        at += 8;
      }
    }
  }, bodyLen);
}

export function frameMessageSize(payloadBytes: number): number {
  return HEADER_BYTES + FRAME_HEADER_BYTES + payloadBytes;
}

/**
 * Writes a FRAME message header into `buf` at `at` (the payload follows it, written by the caller,
 * so a writer copies the payload straight into its ring). Returns the offset of the payload.
 */
export function encodeFrameHeaderTo(
  buf: Uint8Array,
  view: DataView,
  at: number,
  track: number,
  keyframe: boolean,
  dts: number,
  pts: number,
  ingestMs: number,
  sentMs: number,
  payloadBytes: number,
): number {
  header(view, buf, at, MsgType.Frame, FRAME_HEADER_BYTES + payloadBytes);
  at += HEADER_BYTES;
  buf[at] = track;
  buf[at + 1] = keyframe ? 1 : 0;
  view.setFloat64(at + 2, dts);
  view.setFloat64(at + 10, pts);
  view.setFloat64(at + 18, ingestMs);
  view.setFloat64(at + 26, sentMs);
  return at + FRAME_HEADER_BYTES;
}

/** A FRAME message as a new buffer (tests, seeds). */
export function encodeFrame(track: number, keyframe: boolean, dts: number, pts: number, ingestMs: number, sentMs: number, payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(frameMessageSize(payload.length));
  buf.set(payload, encodeFrameHeaderTo(buf, dv(buf), 0, track, keyframe, dts, pts, ingestMs, sentMs, payload.length));
  return buf;
}
