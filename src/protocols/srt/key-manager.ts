/**
 * The session's keys (draft-sharabayko-srt-01 §6.1.6, §6.2): the initial SEK carried in the
 * handshake's KMREQ, key refresh announced with KMREQ in user-defined control packets (both keys
 * wrapped, the new one used after `refreshPackets`), and the answers to the peer's refreshes. Keys
 * for receiving and for sending are separate: each side refreshes its own sending key.
 */
import { buildKeyMaterial, openKeyMaterial, SALT_BYTES, type StreamKeys } from "./crypto.ts";
import type { SessionIo } from "./session-io.ts";
import { CTRL_USER, EXT_KMREQ, EXT_KMRSP, KK_EVEN, KK_ODD, KM_S_BADSECRET, KM_S_NOSECRET, KM_S_SECURED } from "./wire/constants.ts";
import { decodeKeyMaterial, KeyMaterial } from "./wire/key-material.ts";
import { copyBytes, writeU32 } from "./wire/packet.ts";

/** libsrt defaults: SRTO_KMREFRESHRATE 2^24 packets, SRTO_KMPREANNOUNCE 4096. */
export const DEFAULT_KM_REFRESH_PACKETS = 1 << 24;
export const DEFAULT_KM_PREANNOUNCE_PACKETS = 4096;
/** An unanswered refresh is sent again after 1.5 RTT (libsrt resends on its timers similarly). */
const KM_RESEND_MIN_US = 20_000;
const KM_MAX_TRIES = 10;

const toHex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString("hex") : "");
const fromHex = (s: string) => (s ? new Uint8Array(Buffer.from(s, "hex")) : null);

/** A raw control body: bytes sent as they are. */
class RawBody {
  constructor(readonly bytes: Uint8Array) {}
  encodedSize(): number {
    return this.bytes.length;
  }
  encodeTo(buf: Uint8Array, off: number): number {
    buf.set(this.bytes, off);
    return this.bytes.length;
  }
}

export class KeyManager {
  private pending: KeyMaterial | null;
  private tries: number;

  constructor(
    private readonly io: SessionIo,
    private readonly refreshPackets: number,
    private readonly preAnnouncePackets: number,
  ) {
    this.pending = null;
    this.tries = 0;
  }

  get enabled(): boolean {
    return this.io.state.keyLength > 0;
  }

  /** Caller: a fresh salt and even key, used both ways until refreshed; returns the KMREQ. */
  createInitial(passphrase: string, keyLength: number): KeyMaterial {
    const salt = new Uint8Array(SALT_BYTES);
    const key = new Uint8Array(keyLength);
    this.io.random(salt);
    this.io.random(key);
    const keys: StreamKeys = { salt, keyLength, even: key, odd: null };
    this.install(passphrase, keys, true, true);
    return buildKeyMaterial(passphrase, keys);
  }

  /** Listener: opens the caller's KMREQ (AES-CTR only); false on a wrong passphrase. */
  acceptInitial(passphrase: string, km: KeyMaterial): boolean {
    const keys = openKeyMaterial(passphrase, km);
    if (!keys) return false;
    this.install(passphrase, keys, true, true);
    return true;
  }

  /** Rebuilds the ciphers from the state (after a restore). */
  restore(): void {
    const st = this.io.state;
    if (!st.keyLength) return;
    const salt = fromHex(st.salt)!;
    this.io.rxCipher.setKeys({ salt, keyLength: st.keyLength, even: fromHex(st.rxEven), odd: fromHex(st.rxOdd) });
    this.io.txCipher.setKeys({ salt, keyLength: st.keyLength, even: fromHex(st.txEven), odd: fromHex(st.txOdd) });
  }

  /** Counts a packet encrypted with the current key; announces and switches keys on schedule. */
  afterEncrypt(nowUs: number): void {
    const st = this.io.state;
    const n = ++st.txPacketsWithKey;
    if (n === this.refreshPackets - this.preAnnouncePackets) this.announce(nowUs);
    else if (n >= this.refreshPackets) {
      st.txKeyFlag = st.txKeyFlag === KK_EVEN ? KK_ODD : KK_EVEN;
      st.txPacketsWithKey = 0;
    }
  }

  /** The peer refreshes its keys (user-defined KMREQ): install what unwraps, echo it back. */
  onKmRequest(body: Uint8Array, nowUs: number): void {
    const st = this.io.state;
    const km = new KeyMaterial();
    decodeKeyMaterial(body, 0, body.length, km);
    const keys = st.passphrase && km.keyLength === st.keyLength ? openKeyMaterial(st.passphrase, km) : null;
    if (!keys) {
      const state = new Uint8Array(4);
      writeU32(state, 0, st.passphrase ? KM_S_BADSECRET : KM_S_NOSECRET);
      this.io.sendControl(CTRL_USER, EXT_KMRSP, 0, new RawBody(state), nowUs);
      return;
    }
    this.install(st.passphrase, keys, true, false);
    this.io.sendControl(CTRL_USER, EXT_KMRSP, 0, new RawBody(copyBytes(body, 0, body.length)), nowUs);
  }

  /** The peer answered our refresh. */
  onKmResponse(body: Uint8Array): number {
    if (body.length === 4) return body[3]!; // a KM state: it could not use our keys
    this.pending = null;
    return KM_S_SECURED;
  }

  tick(nowUs: number): void {
    const st = this.io.state;
    if (!this.pending || nowUs - st.kmRequestSentUs < Math.max(1.5 * st.rttUs, KM_RESEND_MIN_US)) return;
    if (++this.tries > KM_MAX_TRIES) {
      this.pending = null;
      return;
    }
    this.sendRequest(nowUs);
  }

  /** §6.1.6: a new key for the slot not in use, sent with the current one, before the switch. */
  private announce(nowUs: number): void {
    const st = this.io.state;
    const key = new Uint8Array(st.keyLength);
    this.io.random(key);
    if (st.txKeyFlag === KK_EVEN) st.txOdd = toHex(key);
    else st.txEven = toHex(key);
    const keys: StreamKeys = { salt: fromHex(st.salt)!, keyLength: st.keyLength, even: fromHex(st.txEven), odd: fromHex(st.txOdd) };
    this.io.txCipher.setKeys(keys);
    this.pending = buildKeyMaterial(st.passphrase, keys);
    this.tries = 0;
    this.sendRequest(nowUs);
  }

  private sendRequest(nowUs: number): void {
    this.io.state.kmRequestSentUs = nowUs;
    this.io.sendControl(CTRL_USER, EXT_KMREQ, 0, this.pending, nowUs);
  }

  private install(passphrase: string, keys: StreamKeys, rx: boolean, tx: boolean): void {
    const st = this.io.state;
    st.passphrase = passphrase;
    st.keyLength = keys.keyLength;
    st.salt = toHex(keys.salt);
    if (rx) {
      if (keys.even) st.rxEven = toHex(keys.even);
      if (keys.odd) st.rxOdd = toHex(keys.odd);
      this.io.rxCipher.setKeys(keys);
    }
    if (tx) {
      st.txEven = toHex(keys.even);
      st.txOdd = toHex(keys.odd);
      st.txKeyFlag = keys.even ? KK_EVEN : KK_ODD;
      st.txPacketsWithKey = 0;
      this.io.txCipher.setKeys(keys);
    }
  }
}
