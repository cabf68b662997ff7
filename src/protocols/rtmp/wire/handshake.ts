/**
 * RTMP handshake (RTMP 1.0 §5.2), both sides, as pure state machines: feed received bytes, send what
 * `takeOutput()` returns. `feed` returns the bytes it consumed (0 = need more); anything after the
 * handshake is left to the caller for the chunk decoder.
 *
 * The server answers the digest form (handshake-digest.ts) when C1 carries a valid client digest and
 * the plain echo of §5.2.4 otherwise.
 */
import { rtmpError } from "./chunk-header.ts";
import {
  type DigestScheme,
  HANDSHAKE_SIZE,
  PLAYER_KEY,
  PLAYER_KEY_TEXT,
  SERVER_KEY,
  SERVER_KEY_TEXT,
  findDigest,
  signResponse,
  verifyResponse,
  writeDigest,
} from "./handshake-digest.ts";

export { HANDSHAKE_SIZE } from "./handshake-digest.ts";
/** §5.2.2: the only version we speak (6 would be RTMPE). */
export const RTMP_VERSION = 3;
/** Version we claim in a digest S1 (any non-zero value tells clients to check our digest). */
const SERVER_VERSION = [4, 5, 0, 1];
/** Version a digest C1 claims (ffmpeg sends Flash 9.0.124.2). */
const CLIENT_VERSION = [9, 0, 124, 2];

export interface HandshakeOptions {
  /** Fills a buffer with random bytes (tests pass a seeded one). */
  random?: (buf: Uint8Array) => void;
  /** The 32-bit "time" field of our C1/S1, in ms (§5.2.3). */
  timeMs?: number;
}

const defaultRandom = (buf: Uint8Array) => void crypto.getRandomValues(buf);

function checkVersion(v: number, who: string): void {
  if (v !== RTMP_VERSION) throw rtmpError("handshake", `${who} version ${v}, expected ${RTMP_VERSION}`);
}

function writeTime(block: Uint8Array, timeMs: number): void {
  new DataView(block.buffer, block.byteOffset, 4).setUint32(0, timeMs >>> 0);
}

/** Server side: C0+C1 in, S0+S1+S2 out, C2 in. */
export class ServerHandshake {
  /** The client sent a valid digest and got a digest answer. */
  digest = false;
  scheme: DigestScheme | null = null;
  private state: "c0c1" | "c2" | "done" = "c0c1";
  private output: Uint8Array | null = null;

  constructor(private readonly opts: HandshakeOptions = {}) {}

  get done(): boolean {
    return this.state === "done";
  }

  /** Bytes to send, once: S0+S1+S2 after C0+C1 was fed. */
  takeOutput(): Uint8Array | null {
    const out = this.output;
    this.output = null;
    return out;
  }

  feed(buf: Uint8Array): number {
    let pos = 0;
    if (this.state === "c0c1") {
      if (buf.length >= 1) checkVersion(buf[0]!, "C0");
      if (buf.length < 1 + HANDSHAKE_SIZE) return 0;
      this.output = this.answer(buf.subarray(1, 1 + HANDSHAKE_SIZE));
      this.state = "c2";
      pos = 1 + HANDSHAKE_SIZE;
    }
    // §5.2.4: C2 should echo S1; clients differ (digest clients sign it instead), so it is not checked.
    if (this.state === "c2" && buf.length - pos >= HANDSHAKE_SIZE) {
      this.state = "done";
      pos += HANDSHAKE_SIZE;
    }
    return pos;
  }

  private answer(c1: Uint8Array): Uint8Array {
    const out = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    const random = this.opts.random ?? defaultRandom;
    random(s1);
    writeTime(s1, this.opts.timeMs ?? 0);
    // A plain C1 has zero in bytes 4..7 (§5.2.3); only a versioned one can carry a digest.
    const found = c1[4] || c1[5] || c1[6] || c1[7] ? findDigest(c1, PLAYER_KEY.subarray(0, PLAYER_KEY_TEXT)) : null;
    if (found === null) {
      s1.fill(0, 4, 8);
      s2.set(c1); // §5.2.4: S2 echoes C1
      return out;
    }
    this.digest = true;
    this.scheme = found.scheme;
    s1.set(SERVER_VERSION, 4);
    writeDigest(s1, found.scheme, SERVER_KEY.subarray(0, SERVER_KEY_TEXT));
    random(s2);
    signResponse(s2, SERVER_KEY, found.digest);
    return out;
  }
}

export interface ClientHandshakeOptions extends HandshakeOptions {
  /** Send a digest C1 (as ffmpeg and Flash do) and check the server's answer. Default true. */
  digest?: boolean;
  scheme?: DigestScheme;
}

/** Client side: `start()` gives C0+C1; S0+S1+S2 in; C2 out. */
export class ClientHandshake {
  /** The server answered with a digest S1 and a signed S2, and both checked out. */
  serverDigest = false;
  private readonly c1 = new Uint8Array(HANDSHAKE_SIZE);
  private clientDigest: Uint8Array | null = null;
  private state: "start" | "s0s1s2" | "done" = "start";
  private output: Uint8Array | null = null;

  constructor(private readonly opts: ClientHandshakeOptions = {}) {}

  get done(): boolean {
    return this.state === "done";
  }

  start(): Uint8Array {
    const out = new Uint8Array(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const c1 = this.c1;
    (this.opts.random ?? defaultRandom)(c1);
    writeTime(c1, this.opts.timeMs ?? 0);
    if (this.opts.digest ?? true) {
      c1.set(CLIENT_VERSION, 4);
      this.clientDigest = writeDigest(c1, this.opts.scheme ?? 0, PLAYER_KEY.subarray(0, PLAYER_KEY_TEXT));
    } else c1.fill(0, 4, 8);
    out.set(c1, 1);
    this.state = "s0s1s2";
    return out;
  }

  /** C2, once S0+S1+S2 was fed. */
  takeOutput(): Uint8Array | null {
    const out = this.output;
    this.output = null;
    return out;
  }

  feed(buf: Uint8Array): number {
    if (this.state !== "s0s1s2") return 0;
    if (buf.length >= 1) checkVersion(buf[0]!, "S0");
    if (buf.length < 1 + 2 * HANDSHAKE_SIZE) return 0;
    const s1 = buf.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = buf.subarray(1 + HANDSHAKE_SIZE, 1 + 2 * HANDSHAKE_SIZE);
    const c2 = new Uint8Array(HANDSHAKE_SIZE);
    // Like ffmpeg: a server whose S1 has a version (bytes 4..7) speaks the digest form and is checked.
    if (this.clientDigest !== null && (s1[4] || s1[5] || s1[6] || s1[7])) {
      const found = findDigest(s1, SERVER_KEY.subarray(0, SERVER_KEY_TEXT));
      if (found === null) throw rtmpError("handshake", "S1 has no valid server digest");
      if (!verifyResponse(s2, SERVER_KEY, this.clientDigest)) throw rtmpError("handshake", "S2 signature mismatch");
      this.serverDigest = true;
      (this.opts.random ?? defaultRandom)(c2);
      signResponse(c2, PLAYER_KEY, found.digest);
    } else c2.set(s1); // §5.2.4: C2 echoes S1
    this.output = c2;
    this.state = "done";
    return 1 + 2 * HANDSHAKE_SIZE;
  }
}
