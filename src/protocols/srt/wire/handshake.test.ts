import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { EXT_HSREQ, EXT_KMRSP, HS_CONCLUSION, KM_S_NOSECRET, MAX_STREAM_ID_BYTES } from "./constants.ts";
import { decodeHandshake, Handshake, SrtHsExtension } from "./handshake.ts";
import { HANDSHAKE_CASES } from "./handshake-cases.ts";
import { decodeKeyMaterial, KeyMaterial } from "./key-material.ts";
import { hex } from "./packet-cases.ts";

function encode(hs: Handshake): Uint8Array {
  const out = new Uint8Array(hs.encodedSize());
  expect(hs.encodeTo(out, 0)).toBe(out.length);
  return out;
}

describe("handshake case table", () => {
  for (const c of HANDSHAKE_CASES) {
    test(`decode: ${c.name}`, () => {
      const hs = new Handshake();
      expect(decodeHandshake(c.cif, 0, c.cif.length, hs)).toBe(c.cif.length);
      const { hs: ext, kmKeyLength, ...fields } = c.expect;
      expect(hs).toMatchObject(fields);
      if (ext !== undefined) expect(hs.hs === null ? null : { ...hs.hs, srtVersion: undefined }).toEqual(ext && { ...ext, srtVersion: undefined });
      if (kmKeyLength !== undefined) expect(hs.km?.keyLength).toBe(kmKeyLength);
    });

    test(`round trip: ${c.name}`, () => {
      const hs = new Handshake();
      decodeHandshake(c.cif, 0, c.cif.length, hs);
      expect(encode(hs)).toEqual(c.cif);
    });
  }
});

describe("stream id", () => {
  test("is sent in libsrt's word order and read back", () => {
    for (const id of ["", "a", "abcd", "publish:live/x", "#!::r=live/cam1,m=publish", "ünïcødé/✓", "x".repeat(MAX_STREAM_ID_BYTES)]) {
      const hs = new Handshake();
      hs.streamId = id;
      const back = new Handshake();
      const bytes = encode(hs);
      decodeHandshake(bytes, 0, bytes.length, back);
      expect(back.streamId).toBe(id);
    }
  });

  test(`over ${MAX_STREAM_ID_BYTES} bytes is refused`, () => {
    const hs = new Handshake();
    hs.streamId = "x".repeat(MAX_STREAM_ID_BYTES + 1);
    const bytes = encode(hs);
    expect(() => decodeHandshake(bytes, 0, bytes.length, new Handshake())).toThrow(ProtocolError);
  });

  test("invalid UTF-8 is refused", () => {
    const bytes = new Uint8Array(56);
    bytes.set(hex("00050001 ff00fe00"), 48);
    expect(() => decodeHandshake(bytes, 0, 56, new Handshake())).toThrow("not UTF-8");
  });
});

describe("malformed handshakes", () => {
  const base = () => {
    const hs = new Handshake();
    hs.type = HS_CONCLUSION;
    hs.hs = new SrtHsExtension(EXT_HSREQ, 0x10501, 0x3f, 120, 120);
    return encode(hs);
  };

  test("shorter than 48 bytes", () => {
    expect(() => decodeHandshake(new Uint8Array(47), 0, 47, new Handshake())).toThrow("47 bytes < 48");
  });

  test("an extension longer than what is left", () => {
    const b = base();
    b[50] = 0;
    b[51] = 9;
    expect(() => decodeHandshake(b, 0, b.length, new Handshake())).toThrow("> 12 left");
  });

  test("an extension over the size cap is refused before reading", () => {
    const b = new Uint8Array(48 + 4);
    b.set(hex("0005ffff"), 48);
    expect(() => decodeHandshake(b, 0, b.length, new Handshake())).toThrow("> max 512");
  });

  test("too many extensions", () => {
    const b = new Uint8Array(48 + 4 * 17);
    for (let i = 0; i < 17; i++) b.set(hex("00630000"), 48 + i * 4);
    expect(() => decodeHandshake(b, 0, b.length, new Handshake())).toThrow("more than 16");
  });

  test("a short HSREQ", () => {
    const b = new Uint8Array(48 + 8);
    b.set(hex("00010001 00010501"), 48);
    expect(() => decodeHandshake(b, 0, b.length, new Handshake())).toThrow(ProtocolError);
  });

  test("a KMRSP of one word is a state", () => {
    const hs = new Handshake();
    hs.kmCmd = EXT_KMRSP;
    hs.kmState = KM_S_NOSECRET;
    const b = encode(hs);
    const back = new Handshake();
    decodeHandshake(b, 0, b.length, back);
    expect(back.km).toBeNull();
    expect(back.kmState).toBe(KM_S_NOSECRET);
  });
});

describe("key material", () => {
  const km = hex("12202901 00000000 02000200 00000404 12c397ca248665059a25de1a73427caa 9e868629bc091542add317fc63cd9ff3817af31e8b6ea8b9");

  test("decodes libsrt's and encodes it back", () => {
    const k = new KeyMaterial();
    expect(decodeKeyMaterial(km, 0, km.length, k)).toBe(56);
    expect(k).toMatchObject({ kk: 1, keki: 0, cipher: 2, auth: 0, se: 2, keyLength: 16 });
    const out = new Uint8Array(k.encodedSize());
    k.encodeTo(out, 0);
    expect(out).toEqual(km);
  });

  for (const [name, at, value, message] of [
    ["signature", 1, 0x21, "signature"],
    ["version", 0, 0x22, "version/type"],
    ["KK = 0", 3, 0, "KK=0"],
    ["salt length", 14, 8, "salt 32 bytes > max 16"],
    ["key length", 15, 5, "key length 20"],
  ] as const) {
    test(`refuses a bad ${name}`, () => {
      const b = km.slice();
      b[at] = value;
      expect(() => decodeKeyMaterial(b, 0, b.length, new KeyMaterial())).toThrow(message);
    });
  }

  test("refuses material shorter than its wrap", () => {
    expect(() => decodeKeyMaterial(km, 0, km.length - 4, new KeyMaterial())).toThrow("< 56");
  });
});
