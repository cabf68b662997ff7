import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { absSendTimeDiffUs, absSendTimeFromMs, readAbsSendTime, readMid, readTransportCc, RtpSendExtensions } from "./rtp-extensions.ts";
import { rtpTicksToUs, rtpTimestampAt, seqDelta, seqNewer, SequenceUnwrapper, timestampDelta, TimestampUnwrapper } from "./rtp-sequence.ts";
import { decodeRtp, MAX_RTP_PACKET_SIZE, RtpPacket } from "./rtp.ts";
import { hex, RTP_CASES } from "./rtp.cases.ts";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function encode(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(p.encodedSize() + 3);
  expect(p.encodeTo(out, 3)).toBe(p.encodedSize());
  return out.subarray(3);
}

describe("RTP case table", () => {
  for (const c of RTP_CASES) {
    test(`decode: ${c.name}`, () => {
      const p = new RtpPacket();
      expect(decodeRtp(c.bytes, p)).toBe(c.bytes.length);
      expect(p).toMatchObject(c.header);
      if (c.csrc) expect(Array.from(p.csrc.subarray(0, p.csrcCount))).toEqual(c.csrc);
      if (c.extensions) {
        expect(p.extensionCount).toBe(c.extensions.length);
        c.extensions.forEach(([id, value], i) => {
          expect(p.extensionIds[i]).toBe(id);
          expect(toHex(p.getExtension(id)!)).toBe(value);
        });
      }
      expect(toHex(p.payload)).toBe(c.payload);
    });

    test(`round trip: ${c.name}`, () => {
      const p = new RtpPacket();
      decodeRtp(c.bytes, p);
      expect(toHex(encode(p))).toBe(toHex(c.bytes));
    });
  }

  test("typed extension readers on the Chromium-like packet", () => {
    const p = new RtpPacket();
    decodeRtp(RTP_CASES[0]!.bytes, p);
    expect(readAbsSendTime(p, 2)).toBe(0x123456);
    expect(readTransportCc(p, 3)).toBe(7);
    expect(readMid(p, 4)).toBe("0");
    expect(readTransportCc(p, 2)).toBe(-1); // wrong length
    expect(readTransportCc(p, 9)).toBe(-1);
    expect(readMid(p, 9)).toBe("");
    expect(p.getExtension(9)).toBeUndefined();
  });

  test("a reused packet object forgets the previous packet's extensions and padding", () => {
    const p = new RtpPacket();
    decodeRtp(RTP_CASES[0]!.bytes, p);
    decodeRtp(RTP_CASES[1]!.bytes, p);
    expect(p).toMatchObject({ extension: false, extensionCount: 0, paddingSize: 0 });
    expect(p.getExtension(2)).toBeUndefined();
  });
});

function expectError(bytes: Uint8Array, code: string, message: RegExp): void {
  let err: unknown;
  try {
    decodeRtp(bytes, new RtpPacket());
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  expect((err as ProtocolError).message).toMatch(message);
}

describe("malformed RTP", () => {
  test("shorter than a header needs more (0)", () => {
    expect(decodeRtp(hex("80600001000000000000"), new RtpPacket())).toBe(0);
  });
  test("version, size", () => {
    expectError(hex("40600001 00000000 00000000"), "version", /version 1 != 2/);
    expectError(new Uint8Array(MAX_RTP_PACKET_SIZE + 1).fill(0x80, 0, 1), "packet-size", /datagram 1501 bytes > max 1500/);
  });
  test("CSRCs past the end", () => {
    expectError(hex("8f600001 00000000 00000000 00000001"), "csrc-count", /15 CSRCs need 72 bytes > packet 16/);
  });
  test("extension header or block past the end", () => {
    expectError(hex("90600001 00000000 00000000 bede"), "extension-header", /extension header at 12 runs past packet end 14/);
    expectError(hex("90600001 00000000 00000000 bede0004 10ff0000"), "extension-length", /extension block 16 bytes at 16 runs past packet end 20/);
  });
  test("element past its block", () => {
    expectError(hex("90600001 00000000 00000000 bede0001 00003f41"), "extension-length", /extension id 3 length 16 at 3 runs past block end 4/);
    expectError(hex("90600001 00000000 00000000 10000001 000000 05"), "extension-header", /two-byte extension header at 3/);
  });
  test("too many elements", () => {
    const els = "10ff".repeat(18);
    expectError(hex(`90600001 00000000 00000000 bede0009 ${els} 00000000`), "extension-count", /more than 16 extension elements/);
  });
  test("padding count 0 or larger than the packet", () => {
    expectError(hex("a0600001 00000000 00000000 0100"), "padding", /padding 0 bytes with 2 after the header/);
    expectError(hex("a0600001 00000000 00000000 0105"), "padding", /padding 5 bytes with 2 after the header/);
  });
});

describe("sending extensions", () => {
  test("mid, abs-send-time and transport-cc in one one-byte block, patchable per viewer", () => {
    const ext = new RtpSendExtensions();
    ext.setMid(4, "video0");
    ext.absSendTimeId = 2;
    ext.absSendTime = absSendTimeFromMs(1500);
    ext.transportCcId = 3;
    ext.transportCcSeq = 0xfffe;
    const p = new RtpPacket();
    Object.assign(p, { marker: true, payloadType: 102, sequenceNumber: 7, timestamp: 90000, ssrc: 0xabcdef01, payload: hex("65888400"), sendExtensions: ext });
    const b = encode(p);
    // 7 (mid) + 4 + 3 = 14 bytes, padded to 16: a 20-byte block.
    expect(b.length).toBe(12 + 20 + 4);
    const q = new RtpPacket();
    decodeRtp(b, q);
    expect(q).toMatchObject({ marker: true, payloadType: 102, sequenceNumber: 7, timestamp: 90000, ssrc: 0xabcdef01, extensionProfile: 0xbede });
    expect(readMid(q, 4)).toBe("video0");
    expect(readAbsSendTime(q, 2)).toBe(393216); // 1.5 s in 6.18
    expect(readTransportCc(q, 3)).toBe(0xfffe);
    expect(toHex(q.payload)).toBe("65888400");
    // Patch the transport-cc value for another viewer in place.
    const at = 12 + ext.transportCcOffset();
    b[at] = 0x00;
    b[at + 1] = 0x09;
    decodeRtp(b, q);
    expect(readTransportCc(q, 3)).toBe(9);
    expect(b[12 + ext.absSendTimeOffset()]).toBe(0x06);
  });
  test("a raw extension block goes out as given", () => {
    const p = new RtpPacket();
    p.setRawExtension(0xabac, hex("01020304"));
    p.payload = hex("55");
    expect(toHex(encode(p))).toBe("90000000000000000000000" + "0abac000101020304" + "55");
  });
  test("no ids: no X bit", () => {
    const p = new RtpPacket();
    p.sendExtensions = new RtpSendExtensions();
    p.payload = hex("01");
    expect(encode(p)[0]).toBe(0x80);
  });
  test("abs-send-time wraps every 64 s", () => {
    expect(absSendTimeFromMs(64000)).toBe(0);
    expect(absSendTimeFromMs(1000)).toBe(1 << 18);
    expect(absSendTimeDiffUs(absSendTimeFromMs(64010), absSendTimeFromMs(63990))).toBeCloseTo(20000, -1);
  });
});

describe("sequence numbers and timestamps", () => {
  test("wrap-aware comparisons", () => {
    expect(seqDelta(0, 65535)).toBe(1);
    expect(seqDelta(65535, 0)).toBe(-1);
    expect(seqNewer(3, 65530)).toBe(true);
    expect(timestampDelta(5, 0xfffffffb)).toBe(10);
  });
  test("unwrapping across the wrap, with reordering", () => {
    const u = new SequenceUnwrapper();
    expect([65534, 65535, 1, 0, 2, 65533].map((s) => u.unwrap(s))).toEqual([65534, 65535, 65537, 65536, 65538, 65533]);
    expect(u.last).toBe(65538);
    const t = new TimestampUnwrapper();
    expect([0xfffffff0, 0x10, 0xffffffff].map((s) => t.unwrap(s))).toEqual([0xfffffff0, 0x100000010, 0xffffffff]);
  });
  test("unwrapping far beyond 2^31 extended values keeps counting", () => {
    const u = new SequenceUnwrapper();
    u.last = 2 ** 40 + 65535;
    expect(u.unwrap(0)).toBe(2 ** 40 + 65536);
  });
  test("RTP timestamps from microseconds", () => {
    expect(rtpTimestampAt(0xffffff00, 1_000_000, 90000)).toBe((0xffffff00 + 90000) % 2 ** 32);
    expect(rtpTimestampAt(100, -1000, 48000)).toBe(52);
    expect(rtpTicksToUs(90000, 90000)).toBe(1e6);
  });
});
