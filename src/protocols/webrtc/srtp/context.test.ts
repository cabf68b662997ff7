import { describe, expect, test } from "bun:test";
import { SrtpContext, SrtpStatus, type SrtpContextRecord } from "./context.ts";
import { nodeCrypto, type SrtpCrypto } from "./crypto.ts";
import type { SrtpKeys } from "./kdf.ts";
import { openLibcrypto } from "./libcrypto.ts";
import { AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, type SrtpProfile } from "./profile.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const backends: SrtpCrypto[] = [nodeCrypto, ...(openLibcrypto() ? [openLibcrypto()!] : [])];

/** RFC 7714 §16/§17 state their vectors in session keys: the same key and salt for SRTP and SRTCP. */
const RFC7714_KEYS: SrtpKeys = {
  rtp: { key: hex("000102030405060708090a0b0c0d0e0f"), salt: hex("517569642070726f2071756f"), authKey: new Uint8Array(0) },
  rtcp: { key: hex("000102030405060708090a0b0c0d0e0f"), salt: hex("517569642070726f2071756f"), authKey: new Uint8Array(0) },
};
/** libsrtp test/srtp_driver.c (srtp_validate): the RFC 3711 B.3 master key and salt. */
const LIBSRTP_KEY = hex("e1f97a0d3e018be0d64fa32c06de4139");
const LIBSRTP_SALT = hex("0ec675ad498afeebb6960b3aabe6");

interface VectorCase {
  name: string;
  context: (c: SrtpCrypto) => SrtpContext;
  rtcp: boolean;
  plain: string;
  protected: string;
  /** Only unprotect (the vector's SRTCP index is not the first one a sender would use). */
  unprotectOnly?: boolean;
  /** SRTCP index the sender must be at. */
  rtcpIndex?: number;
}

const VECTORS: VectorCase[] = [
  {
    name: "RFC 7714 §16.1.1 SRTP AEAD_AES_128_GCM",
    context: (c) => new SrtpContext(AEAD_AES_128_GCM, RFC7714_KEYS, c),
    rtcp: false,
    plain: "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573",
    protected: "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
  },
  {
    name: "RFC 7714 §17.1 SRTCP AEAD_AES_128_GCM (index 0x5d4)",
    context: (c) => new SrtpContext(AEAD_AES_128_GCM, RFC7714_KEYS, c),
    rtcp: true,
    rtcpIndex: 0x5d4,
    plain: "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
    protected:
      "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4",
  },
  {
    name: "RFC 7714 §17.3 SRTCP AEAD_AES_128_GCM, E = 0 (authenticated, not encrypted)",
    context: (c) => new SrtpContext(AEAD_AES_128_GCM, RFC7714_KEYS, c),
    rtcp: true,
    unprotectOnly: true,
    plain: "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
    protected:
      "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef841dd9683dd78ec92ae58790125f62b3000005d4",
  },
  {
    name: "libsrtp srtp_validate SRTP AES_CM_128_HMAC_SHA1_80",
    context: (c) => SrtpContext.fromMasterKey(AES_CM_128_HMAC_SHA1_80, LIBSRTP_KEY, LIBSRTP_SALT, c),
    rtcp: false,
    plain: "800f1234decafbadcafebabeabababababababababababababababab",
    protected: "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb",
  },
  {
    name: "libsrtp srtp_validate SRTCP AES_CM_128_HMAC_SHA1_80 (first index: 1)",
    context: (c) => SrtpContext.fromMasterKey(AES_CM_128_HMAC_SHA1_80, LIBSRTP_KEY, LIBSRTP_SALT, c),
    rtcp: true,
    plain: "81c8000bcafebabeabababababababababababababababab",
    protected: "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798",
  },
];

/** Moves a context's SRTCP sender for `ssrc` to `index` through the process-handover record. */
function atRtcpIndex(ctx: SrtpContext, ssrc: number, index: number, c: SrtpCrypto): SrtpContext {
  const r: SrtpContextRecord = ctx.toRecord();
  r.rtcp.push({ ssrc, nextIndex: index, replayMax: -1, replayLo: 0, replayHi: 0 });
  ctx.close();
  return SrtpContext.fromRecord(r, c);
}

for (const c of backends) {
  describe(`SrtpContext on ${c.name}`, () => {
    for (const v of VECTORS) {
      test(`vector: ${v.name}`, () => {
        const plain = hex(v.plain);
        const prot = hex(v.protected);
        if (!v.unprotectOnly) {
          let tx = v.context(c);
          if (v.rtcpIndex !== undefined) tx = atRtcpIndex(tx, new DataView(plain.buffer).getUint32(4), v.rtcpIndex, c);
          const out = new Uint8Array(prot.length + 7);
          const n = v.rtcp ? tx.protectRtcp(plain, plain.length, out, 7) : tx.protect(plain, plain.length, out, 7);
          expect(n).toBe(prot.length);
          expect(toHex(out.subarray(7, 7 + n))).toBe(v.protected);
          tx.close();
        }
        const rx = v.context(c);
        const back = new Uint8Array(plain.length);
        const m = v.rtcp ? rx.unprotectRtcp(prot, prot.length, back, 0) : rx.unprotect(prot, prot.length, back, 0);
        expect(m).toBe(plain.length);
        expect(toHex(back)).toBe(v.plain);
        // the same packet again is a replay
        expect(v.rtcp ? rx.unprotectRtcp(prot, prot.length, back, 0) : rx.unprotect(prot, prot.length, back, 0)).toBe(SrtpStatus.Replayed);
        rx.close();
      });
    }

    for (const profile of [AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80]) {
      test(`${profile.name}: round trips of RTP shapes (CSRCs, extensions, padding, empty payload), in place and not`, () => {
        const { tx, rx } = pair(profile, c);
        let seq = 65_000;
        for (const shape of RTP_SHAPES) {
          for (const inPlace of [false, true]) {
            const pkt = rtpPacket({ ...shape, seq: seq++ & 0xffff });
            const buf = new Uint8Array(pkt.length + profile.tagBytes + 3);
            buf.set(pkt, 3);
            const out = inPlace ? buf : new Uint8Array(pkt.length + profile.tagBytes);
            const n = tx.protect(buf, pkt.length, out, inPlace ? 3 : 0, 3);
            expect(n).toBe(pkt.length + profile.tagBytes);
            const sent = out.slice(inPlace ? 3 : 0, (inPlace ? 3 : 0) + n);
            const back = inPlace ? sent : new Uint8Array(pkt.length);
            expect(rx.unprotect(sent, n, back, 0)).toBe(pkt.length);
            expect(toHex(back.subarray(0, pkt.length))).toBe(toHex(pkt));
          }
        }
      });

      test(`${profile.name}: SRTCP round trips, in place and not, per-SSRC indices`, () => {
        const { tx, rx } = pair(profile, c);
        for (let i = 0; i < 20; i++) {
          const pkt = rtcpPacket(0x1000 + (i % 3), 8 + 4 * i);
          const out = new Uint8Array(pkt.length + tx.rtcpOverhead);
          expect(tx.protectRtcp(pkt, pkt.length, out, 0)).toBe(out.length);
          if (i % 2) {
            expect(rx.unprotectRtcp(out, out.length, out, 0)).toBe(pkt.length);
            expect(toHex(out.subarray(0, pkt.length))).toBe(toHex(pkt));
          } else {
            const back = new Uint8Array(pkt.length);
            expect(rx.unprotectRtcp(out, out.length, back, 0)).toBe(pkt.length);
            expect(toHex(back)).toBe(toHex(pkt));
          }
        }
        expect(tx.toRecord().rtcp.map((s) => s.nextIndex)).toEqual([8, 8, 7]);
      });

      test(`${profile.name}: a flipped bit anywhere, a wrong key, a short or foreign packet: a status, never a throw`, () => {
        const { tx, rx } = pair(profile, c);
        const pkt = rtpPacket({ seq: 1, payload: 40 });
        const out = new Uint8Array(pkt.length + profile.tagBytes);
        const n = tx.protect(pkt, pkt.length, out, 0);
        const back = new Uint8Array(n);
        for (let at = 0; at < n; at++) {
          const bad = out.slice();
          bad[at]! ^= 0x01;
          const r = rx.unprotect(bad, n, back, 0);
          // flipping the version bits makes it not RTP at all; an extension bit makes it too short
          expect([SrtpStatus.AuthFailed, SrtpStatus.Malformed] as number[]).toContain(r);
        }
        expect(rx.unprotect(out, n, back, 0)).toBe(pkt.length);
        const stranger = pair(profile, c, 99).rx;
        expect(stranger.unprotect(out, n, back, 0)).toBe(SrtpStatus.AuthFailed);
        expect(rx.unprotect(out, 11, back, 0)).toBe(SrtpStatus.Malformed);
        expect(rx.unprotectRtcp(out, 11, back, 0)).toBe(SrtpStatus.Malformed);
        expect(tx.protect(pkt, pkt.length, new Uint8Array(pkt.length), 0)).toBe(SrtpStatus.NoRoom);
        expect(tx.protect(new Uint8Array(30), 30, out, 0)).toBe(SrtpStatus.Malformed);
        const rtcp = rtcpPacket(5, 20);
        const rout = new Uint8Array(rtcp.length + tx.rtcpOverhead);
        tx.protectRtcp(rtcp, rtcp.length, rout, 0);
        const rbad = rout.slice();
        rbad[10]! ^= 4;
        expect(rx.unprotectRtcp(rbad, rbad.length, rbad, 0)).toBe(SrtpStatus.AuthFailed);
        expect(rx.unprotectRtcp(rout, rout.length, back, 0)).toBe(rtcp.length);
        expect(rx.unprotectRtcp(rout, rout.length, back, 0)).toBe(SrtpStatus.Replayed);
      });

      test(`${profile.name}: 140,000 packets across three sequence wraps, reordered and duplicated, all decrypt once`, () => {
        const { tx, rx } = pair(profile, c);
        const start = 60_000;
        const sent: Uint8Array[] = [];
        const pkt = rtpPacket({ seq: 0, payload: 20 });
        const out = new Uint8Array(pkt.length + profile.tagBytes);
        const back = new Uint8Array(out.length);
        let ok = 0;
        let replays = 0;
        const deliver = (p: Uint8Array) => {
          const r = rx.unprotect(p, p.length, back, 0);
          if (r > 0) ok++;
          else if (r === SrtpStatus.Replayed) replays++;
          else throw new Error(`status ${r}`);
        };
        for (let i = 0; i < 140_000; i++) {
          const seq = (start + i) & 0xffff;
          pkt[2] = seq >> 8;
          pkt[3] = seq & 0xff;
          pkt[12] = i & 0xff;
          sent.push(out.slice(0, tx.protect(pkt, pkt.length, out, 0)));
          // deliver with a lag of up to 40 packets and a duplicate now and then
          if (i % 50 === 49) {
            for (let j = i; j > i - 40; j--) deliver(sent[j]!);
            deliver(sent[i - 20]!);
          } else if (i % 50 >= 10) {
            // delivered in the burst above
          } else {
            deliver(sent[i]!);
          }
        }
        expect(ok).toBe(140_000);
        expect(replays).toBe(140_000 / 50);
        expect(rx.toRecord().rtp[0]!.roc).toBe(3); // 60,000 + 139,999 = 3 * 65,536 + 3,391
      });

      test(`${profile.name}: a context continues in another process from its record`, () => {
        const { tx, rx } = pair(profile, c);
        const out = new Uint8Array(200);
        const back = new Uint8Array(200);
        const send = (ctx: SrtpContext, seq: number) => ctx.protect(rtpPacket({ seq, payload: 30 }), 42, out, 0);
        for (let s = 65_530; s < 65_536; s++) rx.unprotect(out, send(tx, s), back, 0);
        const tx2 = SrtpContext.fromRecord(JSON.parse(JSON.stringify(tx.toRecord())), c);
        const rx2 = SrtpContext.fromRecord(JSON.parse(JSON.stringify(rx.toRecord())), c);
        tx.close();
        rx.close();
        for (let s = 0; s < 5; s++) expect(rx2.unprotect(out, send(tx2, s), back, 0)).toBe(42);
        expect(rx2.toRecord().rtp[0]!.roc).toBe(1);
        // the replay window travelled too
        send(tx2, 65_535);
        expect(rx2.unprotect(out, 42 + profile.tagBytes, back, 0)).toBe(SrtpStatus.Replayed);
      });
    }
  });
}

function pair(profile: SrtpProfile, c: SrtpCrypto, seed = 1): { tx: SrtpContext; rx: SrtpContext } {
  const key = new Uint8Array(profile.keyBytes).map((_, i) => (i * 7 + seed) & 0xff);
  const salt = new Uint8Array(profile.saltBytes).map((_, i) => (i * 13 + seed) & 0xff);
  return { tx: SrtpContext.fromMasterKey(profile, key, salt, c), rx: SrtpContext.fromMasterKey(profile, key, salt, c) };
}

interface RtpShape {
  seq?: number;
  csrcs?: number;
  extWords?: number;
  payload: number;
  padding?: number;
}

const RTP_SHAPES: RtpShape[] = [
  { payload: 0 },
  { payload: 1 },
  { payload: 160 },
  { payload: 1188 },
  { csrcs: 2, payload: 33 },
  { extWords: 1, payload: 17 },
  { csrcs: 15, extWords: 3, payload: 100 },
  { payload: 29, padding: 3 },
];

function rtpPacket(s: RtpShape): Uint8Array {
  const csrcs = s.csrcs ?? 0;
  const ext = s.extWords;
  const pad = s.padding ?? 0;
  const len = 12 + 4 * csrcs + (ext !== undefined ? 4 + 4 * ext : 0) + s.payload + pad;
  const p = new Uint8Array(len);
  const v = new DataView(p.buffer);
  p[0] = 0x80 | (pad ? 0x20 : 0) | (ext !== undefined ? 0x10 : 0) | csrcs;
  p[1] = 96;
  v.setUint16(2, s.seq ?? 0);
  v.setUint32(4, 0x01020304);
  v.setUint32(8, 0xcafebabe);
  let o = 12 + 4 * csrcs;
  if (ext !== undefined) {
    v.setUint16(o, 0xbede);
    v.setUint16(o + 2, ext);
    o += 4 + 4 * ext;
  }
  for (let i = 12; i < len; i++) if (i >= o) p[i] = (i * 31) & 0xff;
  if (pad) p[len - 1] = pad;
  return p;
}

function rtcpPacket(ssrc: number, len: number): Uint8Array {
  const p = new Uint8Array(len).map((_, i) => (i * 17) & 0xff);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 200;
  v.setUint16(2, len / 4 - 1);
  v.setUint32(4, ssrc);
  return p;
}
