import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { classify, isRtcp, isStun, KIND_DTLS, KIND_RTCP, KIND_RTP, KIND_STUN, KIND_UNKNOWN } from "./demux.ts";
import { FAMILY_IPV4, FAMILY_IPV6, formatIp, parseIp } from "./stun-address.ts";
import { crc32 } from "./stun-crc32.ts";
import { BindingErrorResponse, BindingRequest, BindingSuccess } from "./stun-encode.ts";
import { stunKey, verifyIntegrity } from "./stun-integrity.ts";
import { BINDING_ERROR, BINDING_REQUEST, BINDING_SUCCESS, decodeStun, MAX_STUN_MESSAGE_SIZE, StunMessage, stunClass, stunMethod } from "./stun.ts";
import { hex, RFC5769_PASSWORD, STUN_CASES } from "./stun.cases.ts";

interface Encoder {
  encodedSize(): number;
  encodeTo(b: Uint8Array, o: number): number;
}

function encode(p: Encoder): Uint8Array {
  const out = new Uint8Array(p.encodedSize() + 3);
  expect(p.encodeTo(out, 3)).toBe(p.encodedSize());
  return out.subarray(3);
}

/** The encoder that would produce `m` again, or null for messages we only receive (the RFC's, with SOFTWARE). */
function encoderFor(m: StunMessage, password: string | null): Encoder | null {
  const key = password === null ? null : stunKey(password);
  if (m.type === BINDING_REQUEST && m.integrityOffset > 0) {
    const r = new BindingRequest();
    r.transactionId.set(m.transactionId);
    Object.assign(r, { username: m.username, priority: m.priority, controlling: m.iceControlling, tieBreakerHi: m.tieBreakerHi, tieBreakerLo: m.tieBreakerLo, useCandidate: m.useCandidate, key });
    return r;
  }
  if (m.type === BINDING_SUCCESS) {
    const r = new BindingSuccess();
    r.transactionId.set(m.transactionId);
    expect(r.setAddress(m.mappedAddress, m.mappedPort)).toBe(true);
    r.key = key;
    return r;
  }
  if (m.type === BINDING_ERROR) {
    const r = new BindingErrorResponse();
    r.transactionId.set(m.transactionId);
    Object.assign(r, { code: m.errorCode, reason: m.errorReason, key });
    return r;
  }
  return null;
}

const hasSoftware = (b: Uint8Array) => Buffer.from(b).includes(Buffer.from([0x80, 0x22]));

describe("STUN case table", () => {
  for (const c of STUN_CASES) {
    test(`decode: ${c.name}`, () => {
      expect(isStun(c.bytes)).toBe(true);
      const m = new StunMessage();
      expect(decodeStun(c.bytes, m)).toBe(c.bytes.length);
      expect(m).toMatchObject(c.expect);
      if (c.password !== null) {
        expect(verifyIntegrity(c.bytes, m, stunKey(c.password))).toBe(true);
        expect(verifyIntegrity(c.bytes, m, stunKey(c.password + "x"))).toBe(false);
      } else {
        expect(m.integrityOffset).toBe(-1);
      }
    });

    test(`round trip: ${c.name}`, () => {
      const m = new StunMessage();
      decodeStun(c.bytes, m);
      const enc = encoderFor(m, c.password);
      if (!enc) return;
      const out = encode(enc);
      if (!hasSoftware(c.bytes)) expect(Buffer.from(out).toString("hex")).toBe(Buffer.from(c.bytes).toString("hex"));
      // Without SOFTWARE the RFC's responses are shorter, but must decode to the same fields and verify.
      const again = new StunMessage();
      expect(decodeStun(out, again)).toBe(out.length);
      expect(again).toMatchObject({ ...c.expect, integrityOffset: again.integrityOffset, fingerprintOffset: again.fingerprintOffset });
      if (c.password !== null) expect(verifyIntegrity(out, again, stunKey(c.password))).toBe(true);
    });
  }

  test("RFC 5769 request: method Binding, class request; responses class success", () => {
    const [req, ok] = STUN_CASES;
    expect(stunMethod(req!.bytes[1]!)).toBe(1);
    expect(stunClass((req!.bytes[0]! << 8) | req!.bytes[1]!)).toBe(0);
    expect(stunClass((ok!.bytes[0]! << 8) | ok!.bytes[1]!)).toBe(2);
    expect(stunClass(BINDING_ERROR)).toBe(3);
  });
});

function expectError(bytes: Uint8Array, code: string, message: RegExp): void {
  let err: unknown;
  try {
    decodeStun(bytes, new StunMessage());
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  expect((err as ProtocolError).message).toMatch(message);
}

describe("malformed STUN", () => {
  const request = STUN_CASES[0]!.bytes;
  const patched = (at: number, ...values: number[]) => {
    const b = Uint8Array.from(request);
    values.forEach((v, i) => (b[at + i] = v));
    return b;
  };

  test("shorter than a header needs more (0)", () => {
    expect(decodeStun(request.subarray(0, 19), new StunMessage())).toBe(0);
  });
  test("length field disagrees with the datagram", () => {
    expectError(patched(2, 0x00, 0x5c), "message-length", /message length 92 \+ 20 != datagram 108 bytes/);
    expectError(request.subarray(0, 104), "message-length", /message length 88 \+ 20 != datagram 104/);
    expectError(patched(2, 0x00, 0x57), "message-length", /87 is not a multiple of 4/);
  });
  test("bad magic cookie, top bits set", () => {
    expectError(patched(4, 0x21, 0x12, 0xa4, 0x43), "magic-cookie", /0x2112a443 != 0x2112a442/);
    expectError(patched(0, 0xc0), "not-stun", /first two bits 3/);
  });
  test("bad fingerprint", () => {
    expectError(patched(107, 0xce), "fingerprint", /fingerprint 0xe57a3bce != computed 0xe57a3bcf/);
  });
  test("a flipped byte before the fingerprint fails the CRC, not MESSAGE-INTEGRITY first", () => {
    expectError(patched(30, 0x41), "fingerprint", /computed/);
  });
  test("attribute past the end", () => {
    // USERNAME (at 60) claims 0x40 bytes.
    expectError(patched(62, 0x00, 0x40), "attribute-length", /attribute 0x0006 length 64 at 60 runs past message end 108/);
  });
  test("fixed-size attributes with the wrong length", () => {
    expectError(hex("000100042112a442000000000000000000000000 00240000"), "attribute-length", /attribute 0x0024 length 0 != 4/);
    expectError(hex("000100082112a442000000000000000000000000 00250004 00000000"), "attribute-length", /attribute 0x0025 length 4 != 0/);
    expectError(hex("000100082112a442000000000000000000000000 00080004 00000000"), "attribute-length", /attribute 0x0008 length 4 != 20/);
  });
  test("attribute after FINGERPRINT", () => {
    const b = hex("0001000c2112a442000000000000000000000000 80280004 00000000 00250000");
    const crc = (crc32(b, 0, 20) ^ 0x5354554e) >>> 0;
    new DataView(b.buffer).setUint32(24, crc);
    expectError(b, "fingerprint-not-last", /attribute 0x25 at 28 after FINGERPRINT/);
  });
  test("USERNAME over the cap, error class out of range, unknown family", () => {
    const big = new Uint8Array(20 + 4 + 512);
    big.set(hex("000102042112a442000000000000000000000000 00060200"));
    expectError(big, "username-length", /USERNAME 512 bytes > max 508/);
    expectError(hex("011100082112a442000000000000000000000000 00090004 00000763"), "error-code", /class 7 number 99/);
    expectError(hex("010100082112a442000000000000000000000000 00200004 00030000"), "address-family", /family 3/);
    expectError(new Uint8Array(MAX_STUN_MESSAGE_SIZE + 4), "message-size", /datagram 1504 bytes > max 1500/);
  });
  test("a check without MESSAGE-INTEGRITY cannot be verified", () => {
    const m = new StunMessage();
    const b = STUN_CASES.find((c) => c.name.includes("401"))!.bytes;
    decodeStun(b, m);
    expect(() => verifyIntegrity(b, m, stunKey("x"))).toThrow(ProtocolError);
  });
  test("unknown comprehension-required attribute is reported, optional ones ignored", () => {
    const m = new StunMessage();
    decodeStun(hex("0001000c2112a442000000000000000000000000 c0010000 7fff0000 00300000"), m);
    expect(m.unknownRequired).toBe(0x7fff);
  });
});

describe("encoders", () => {
  test("success response to the RFC 5769 request's transaction decodes to the sender's address", () => {
    const req = new StunMessage();
    decodeStun(STUN_CASES[0]!.bytes, req);
    const ok = new BindingSuccess();
    ok.transactionId.set(req.transactionId);
    ok.setAddress("192.0.2.1", 32853);
    ok.key = stunKey(RFC5769_PASSWORD);
    const b = encode(ok);
    // The XOR-MAPPED-ADDRESS attribute is byte for byte the RFC's §2.2 one.
    expect(Buffer.from(b.subarray(20, 32)).toString("hex")).toBe("002000080001a147e112a643");
  });
  test("400 without a key is 20 + ERROR-CODE + FINGERPRINT", () => {
    const e = new BindingErrorResponse();
    e.code = 400;
    e.reason = "Bad Request";
    const b = encode(e);
    expect(b.length).toBe(20 + 8 + 12 + 8);
    const m = new StunMessage();
    decodeStun(b, m);
    expect(m).toMatchObject({ type: BINDING_ERROR, errorCode: 400, errorReason: "Bad Request", integrityOffset: -1 });
  });
  test("a success response needs a key", () => {
    expect(() => encode(new BindingSuccess())).toThrow(/password/);
  });
});

describe("addresses", () => {
  const out = new Uint8Array(16);
  for (const [text, family, back] of [
    ["192.0.2.1", FAMILY_IPV4, "192.0.2.1"],
    ["::ffff:10.1.2.3", FAMILY_IPV4, "10.1.2.3"],
    ["::1", FAMILY_IPV6, "::1"],
    ["::", FAMILY_IPV6, "::"],
    ["2001:DB8:0:0:1:0:0:1", FAMILY_IPV6, "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", FAMILY_IPV6, "fe80::1"],
    ["1:2:3:4:5:6:7:8", FAMILY_IPV6, "1:2:3:4:5:6:7:8"],
    ["64:ff9b::192.0.2.33", FAMILY_IPV6, "64:ff9b::c000:221"],
  ] as const) {
    test(`${text}`, () => {
      expect(parseIp(text, out)).toBe(family);
      expect(formatIp(family, out, 0)).toBe(back);
    });
  }
  for (const bad of ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:", "localhost"]) {
    test(`rejects ${JSON.stringify(bad)}`, () => expect(parseIp(bad, out)).toBe(0));
  }
});

describe("demux and CRC", () => {
  test("RFC 7983 first byte", () => {
    expect(classify(STUN_CASES[0]!.bytes)).toBe(KIND_STUN);
    expect(classify(hex("16fefd00"))).toBe(KIND_DTLS);
    expect(classify(hex("80600001"))).toBe(KIND_RTP);
    expect(classify(hex("80e00001"))).toBe(KIND_RTP); // marker set, PT 96
    expect(classify(hex("81c80006"))).toBe(KIND_RTCP);
    expect(isRtcp(hex("8fcd0003"))).toBe(true);
    expect(classify(hex("0001"))).toBe(KIND_UNKNOWN);
    expect(classify(hex("40"))).toBe(KIND_UNKNOWN);
    expect(classify(new Uint8Array(0))).toBe(KIND_UNKNOWN);
  });
  test("CRC-32 check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});
