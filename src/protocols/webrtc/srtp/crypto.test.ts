/** One suite, run against every backend of the SRTP primitives (libcrypto via bun:ffi, node:crypto). */
import { describe, expect, test } from "bun:test";
import { nodeCrypto, type SrtpCrypto } from "./crypto.ts";
import { openLibcrypto } from "./libcrypto.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const backends: SrtpCrypto[] = [nodeCrypto];
const lib = openLibcrypto();
if (lib) backends.push(lib);

test("libcrypto.so.3 opens on this machine (else SRTP runs on the slower node:crypto fallback)", () => {
  expect(lib?.name).toBe("libcrypto");
});

// RFC 7714 §16.1.1: key, IV (salt XOR SSRC/ROC/SEQ), the RTP header as AAD, the payload.
const GCM_KEY = "000102030405060708090a0b0c0d0e0f";
const GCM_IV = "51753c6580c2726f20718414";
const GCM_AAD = "8040f17b8041f8d35501a0b2";
const GCM_PT = "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573";
const GCM_CT = "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833";
const GCM_TAG = "899d7f27beb16a9152cf765ee4390cce";

for (const c of backends) {
  describe(`SRTP primitives on ${c.name}`, () => {
    test("AES-128-GCM seal and open: RFC 7714 §16.1.1 / §16.1.2", () => {
      const g = c.gcm(hex(GCM_KEY));
      const pt = hex(GCM_PT);
      const out = new Uint8Array(3 + pt.length + 16 + 5);
      g.seal(hex(GCM_IV), hex("ff" + GCM_AAD), 1, 12, pt, 0, pt.length, out, 3);
      expect(toHex(out.subarray(3, 3 + pt.length + 16))).toBe(GCM_CT + GCM_TAG);
      const back = new Uint8Array(pt.length);
      expect(g.open(hex(GCM_IV), hex(GCM_AAD), 0, 12, out, 3, pt.length, back, 0)).toBe(true);
      expect(toHex(back)).toBe(GCM_PT);
      // in place
      expect(g.open(hex(GCM_IV), hex(GCM_AAD), 0, 12, out, 3, pt.length, out, 3)).toBe(true);
      expect(toHex(out.subarray(3, 3 + pt.length))).toBe(GCM_PT);
      g.free();
    });

    test("AES-128-GCM open refuses a flipped bit in AAD, ciphertext or tag", () => {
      const g = c.gcm(hex(GCM_KEY));
      const ct = hex(GCM_CT + GCM_TAG);
      const n = ct.length - 16;
      const out = new Uint8Array(n);
      const aad = hex(GCM_AAD);
      aad[0]! ^= 1;
      expect(g.open(hex(GCM_IV), aad, 0, 12, ct, 0, n, out, 0)).toBe(false);
      for (const at of [0, n - 1, n, n + 15]) {
        const bad = ct.slice();
        bad[at]! ^= 0x80;
        expect(g.open(hex(GCM_IV), hex(GCM_AAD), 0, 12, bad, 0, n, out, 0)).toBe(false);
      }
      expect(g.open(hex(GCM_IV), hex(GCM_AAD), 0, 12, ct, 0, n, out, 0)).toBe(true);
      g.free();
    });

    test("AES-128-GCM with empty plaintext (tag only): RFC 7714 §16.1.3", () => {
      const g = c.gcm(hex(GCM_KEY));
      const aad = hex(GCM_AAD + GCM_PT);
      const out = new Uint8Array(16);
      g.seal(hex(GCM_IV), aad, 0, aad.length, new Uint8Array(0), 0, 0, out, 0);
      expect(toHex(out)).toBe("22493f82d2bce397e9d79e3b19aa4216");
      expect(g.open(hex(GCM_IV), aad, 0, aad.length, out, 0, 0, new Uint8Array(0), 0)).toBe(true);
      g.free();
    });

    test("AES-CM keystream: RFC 3711 Appendix B.2", () => {
      const ctr = c.ctr(hex("2B7E151628AED2A6ABF7158809CF4F3C"));
      const iv = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
      const blocks = 0xff02;
      const zeros = new Uint8Array(blocks * 16);
      const ks = new Uint8Array(blocks * 16);
      ctr.xor(iv, zeros, 0, zeros.length, ks, 0);
      expect(toHex(ks.subarray(0, 48)).toUpperCase()).toBe("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0");
      expect(toHex(ks.subarray(ks.length - 48)).toUpperCase()).toBe("EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE6A2CC3787889374FBEB4C81B17BA6C44");
      // XOR is its own inverse, and works in place at an offset
      const buf = new Uint8Array(40);
      buf.set(ks.subarray(0, 33), 7);
      ctr.xor(iv, buf, 7, 33, buf, 7);
      expect(buf.every((b) => b === 0)).toBe(true);
      ctr.free();
    });

    test("HMAC-SHA1: RFC 2202 test case 2, over a buffer and a tail, truncated", () => {
      const h = c.hmacSha1(new TextEncoder().encode("Jefe"));
      const msg = new TextEncoder().encode("what do ya want for nothing?");
      const out = new Uint8Array(22);
      h.sign(msg, 0, msg.length, new Uint8Array(0), 0, 20, out, 2);
      expect(toHex(out.subarray(2))).toBe("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
      // the same message split into a body and a 4-byte tail, twice (the context is reused)
      for (let i = 0; i < 2; i++) {
        const tag = new Uint8Array(10);
        h.sign(msg, 0, msg.length - 4, msg.subarray(msg.length - 4), 4, 10, tag, 0);
        expect(toHex(tag)).toBe("effcdf6ae5eb2fa2d274");
      }
      h.free();
    });
  });
}
