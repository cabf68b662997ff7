import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildKeyMaterial, deriveKek, openKeyMaterial, PayloadCipher, unwrapKey, wrapKey } from "./crypto.ts";
import { KK_BOTH, KK_EVEN, KK_ODD } from "./wire/constants.ts";
import { decodeHandshake, Handshake } from "./wire/handshake.ts";
import { ControlPacket, DataPacket, decodeControlPacket, decodeDataPacket } from "./wire/packet.ts";
import { hex } from "./wire/packet-cases.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "testdata", name)));

describe("RFC 3394 key wrap", () => {
  // RFC 3394 §4.1, §4.3 and §4.6.
  const vectors = [
    ["000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"],
    ["000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF", "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"],
    [
      "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
      "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
      "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21",
    ],
  ];
  for (const [kek, plain, wrapped] of vectors) {
    test(`${kek!.length * 4}-bit KEK, ${plain!.length * 4}-bit key`, () => {
      expect(Buffer.from(wrapKey(hex(kek!), hex(plain!))).toString("hex").toUpperCase()).toBe(wrapped!);
      expect(unwrapKey(hex(kek!), hex(wrapped!))).toEqual(hex(plain!));
    });
  }

  test("a wrong KEK fails the integrity check", () => {
    const w = wrapKey(hex("000102030405060708090A0B0C0D0E0F"), hex("00112233445566778899AABBCCDDEEFF"));
    expect(unwrapKey(hex("000102030405060708090A0B0C0D0E0E"), w)).toBeNull();
    expect(unwrapKey(hex("000102030405060708090A0B0C0D0E0F"), w.subarray(0, 12))).toBeNull();
  });
});

describe("against libsrt 1.5.1 (srt-live-transmit capture, see testdata/README.md)", () => {
  for (const bits of [128, 256]) {
    test(`AES-${bits}: the passphrase opens the KMREQ and the first packet decrypts to the pattern`, () => {
      const conclusion = new ControlPacket();
      decodeControlPacket(fixture(`libsrt-aes${bits}-conclusion.bin`), conclusion);
      const hs = new Handshake();
      decodeHandshake(conclusion.body, 0, conclusion.body.length, hs);
      expect(hs.km!.keyLength).toBe(bits / 8);
      expect(openKeyMaterial("not the passphrase", hs.km!)).toBeNull();
      const keys = openKeyMaterial("secretsecret", hs.km!)!;
      expect(keys.even!.length).toBe(bits / 8);
      expect(keys.odd).toBeNull();

      const data = new DataPacket();
      decodeDataPacket(fixture(`libsrt-aes${bits}-data0.bin`), data);
      expect(data.keyFlag).toBe(KK_EVEN);
      const cipher = new PayloadCipher();
      cipher.setKeys(keys);
      const payload = data.payload.slice();
      expect(cipher.crypt(KK_EVEN, data.seq, payload, 0, payload.length)).toBe(true);
      const expected = Uint8Array.from({ length: 1456 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
      expect(payload).toEqual(expected);
      expect(cipher.crypt(KK_ODD, data.seq, payload, 0, payload.length)).toBe(false);
    });
  }
});

describe("key material", () => {
  const salt = hex("00112233445566778899aabbccddeeff");
  for (const keyLength of [16, 24, 32]) {
    test(`${keyLength}-byte keys: build, open, both keys, wrong passphrase`, () => {
      const even = new Uint8Array(keyLength).fill(1);
      const odd = new Uint8Array(keyLength).fill(2);
      const km = buildKeyMaterial("0123456789", { salt, keyLength, even, odd });
      expect(km.kk).toBe(KK_BOTH);
      expect(km.wrapped.length).toBe(8 + 2 * keyLength);
      expect(openKeyMaterial("0123456789", km)).toEqual({ salt, keyLength, even, odd });
      expect(openKeyMaterial("0123456788", km)).toBeNull();
      const oddOnly = buildKeyMaterial("0123456789", { salt, keyLength, even: null, odd });
      expect(oddOnly.kk).toBe(KK_ODD);
      expect(openKeyMaterial("0123456789", oddOnly)).toEqual({ salt, keyLength, even: null, odd });
    });
  }

  test("PBKDF2 uses the last 8 bytes of the salt", () => {
    const a = deriveKek("0123456789", salt, 16);
    const b = deriveKek("0123456789", Uint8Array.from([...new Uint8Array(8), ...salt.subarray(8)]), 16);
    expect(a).toEqual(b);
  });

  test("encryption is its own inverse and depends on the sequence number", () => {
    const c = new PayloadCipher();
    c.setKeys({ salt, keyLength: 16, even: new Uint8Array(16).fill(7), odd: null });
    const plain = Uint8Array.from({ length: 1316 }, (_, i) => i & 0xff);
    const a = plain.slice();
    c.crypt(KK_EVEN, 5, a, 0, a.length);
    const b = plain.slice();
    c.crypt(KK_EVEN, 6, b, 0, b.length);
    expect(a).not.toEqual(plain);
    expect(a).not.toEqual(b);
    c.crypt(KK_EVEN, 5, a, 0, a.length);
    expect(a).toEqual(plain);
  });
});
