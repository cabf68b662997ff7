/**
 * Cross-check against an independent implementation: werift's SRTP/SRTCP (werift 0.25.2). Ours
 * protects and werift unprotects, and the other way round, for both profiles, across a sequence
 * number wrap.
 */
import { describe, expect, test } from "bun:test";
import { RtpPacket, SrtcpSession, SrtpSession } from "werift";
import { SrtpContext } from "./context.ts";
import { AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80 } from "./profile.ts";

for (const profile of [AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80]) {
  describe(`werift interop, ${profile.name}`, () => {
    const ourKey = crypto.getRandomValues(new Uint8Array(profile.keyBytes));
    const ourSalt = crypto.getRandomValues(new Uint8Array(profile.saltBytes));
    const theirKey = crypto.getRandomValues(new Uint8Array(profile.keyBytes));
    const theirSalt = crypto.getRandomValues(new Uint8Array(profile.saltBytes));
    const config = {
      keys: { localMasterKey: Buffer.from(theirKey), localMasterSalt: Buffer.from(theirSalt), remoteMasterKey: Buffer.from(ourKey), remoteMasterSalt: Buffer.from(ourSalt) },
      profile: profile.id,
    };

    test("SRTP: ours → werift and werift → ours, 300 packets across a sequence wrap", () => {
      const tx = SrtpContext.fromMasterKey(profile, ourKey, ourSalt);
      const rx = SrtpContext.fromMasterKey(profile, theirKey, theirSalt);
      const werift = new SrtpSession(config);
      const out = new Uint8Array(1500);
      for (let i = 0; i < 300; i++) {
        const pkt = rtp((65_400 + i) & 0xffff, 100 + i);
        const n = tx.protect(pkt, pkt.length, out, 0);
        const dec = werift.decrypt(Buffer.from(out.subarray(0, n)));
        expect(Buffer.from(dec).equals(Buffer.from(pkt))).toBe(true);

        const parsed = RtpPacket.deSerialize(Buffer.from(pkt));
        const enc = werift.encrypt(parsed.payload, parsed.header);
        const m = rx.unprotect(enc, enc.length, out, 0);
        expect(m).toBe(pkt.length);
        expect(Buffer.from(out.subarray(0, m)).equals(Buffer.from(pkt))).toBe(true);
      }
    });

    test("SRTCP: ours → werift and werift → ours", () => {
      const tx = SrtpContext.fromMasterKey(profile, ourKey, ourSalt);
      const rx = SrtpContext.fromMasterKey(profile, theirKey, theirSalt);
      const werift = new SrtcpSession(config);
      const out = new Uint8Array(1500);
      for (let i = 0; i < 50; i++) {
        const pkt = rtcp(0x11223344 + (i % 2), 8 + 4 * (i % 10));
        const n = tx.protectRtcp(pkt, pkt.length, out, 0);
        const dec = werift.decrypt(Buffer.from(out.subarray(0, n)));
        expect(Buffer.from(dec).equals(Buffer.from(pkt))).toBe(true);

        const enc = werift.encrypt(Buffer.from(pkt));
        const m = rx.unprotectRtcp(enc, enc.length, out, 0);
        expect(m).toBe(pkt.length);
        expect(Buffer.from(out.subarray(0, m)).equals(Buffer.from(pkt))).toBe(true);
      }
    });
  });
}

function rtp(seq: number, payload: number): Uint8Array {
  const p = new Uint8Array(12 + payload).map((_, i) => (i * 29 + seq) & 0xff);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 96;
  v.setUint16(2, seq);
  v.setUint32(4, seq * 3000);
  v.setUint32(8, 0xdecafbad);
  return p;
}

function rtcp(ssrc: number, len: number): Uint8Array {
  const p = new Uint8Array(len).map((_, i) => (i * 13) & 0xff);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 201;
  v.setUint16(2, len / 4 - 1);
  v.setUint32(4, ssrc);
  return p;
}
