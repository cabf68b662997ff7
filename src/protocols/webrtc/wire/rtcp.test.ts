import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { decodeFir, decodeNack, decodePli, decodeRemb, Fir, isRemb, Nack, Pli, Remb } from "./rtcp-feedback.ts";
import { Bye, compactNtp, decodeBye, decodeReceiverReport, decodeSdes, decodeSenderReport, ReceiverReport, Sdes, SenderReport } from "./rtcp-report.ts";
import { decodeTwcc, DELTA_US, REFERENCE_US, TwccFeedback, TwccFeedbackBuilder } from "./rtcp-twcc.ts";
import { FMT_FIR, FMT_NACK, FMT_PLI, FMT_TWCC, MAX_RTCP_PACKET_SIZE, PT_BYE, PT_PSFB, PT_RR, PT_RTPFB, PT_SDES, PT_SR, RtcpReader } from "./rtcp.ts";
import { RTCP_CASES } from "./rtcp.cases.ts";
import { hex } from "./stun.cases.ts";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface Encoder {
  encodedSize(): number;
  encodeTo(b: Uint8Array, o: number): number;
}

function encode(p: Encoder): Uint8Array {
  const out = new Uint8Array(p.encodedSize() + 3);
  expect(p.encodeTo(out, 3)).toBe(p.encodedSize());
  return out.subarray(3);
}

/** A TWCC builder fed what a decoded feedback says arrived, at the times it says. */
function rebuildTwcc(f: TwccFeedback): TwccFeedbackBuilder {
  const b = new TwccFeedbackBuilder();
  Object.assign(b, { senderSsrc: f.senderSsrc, mediaSsrc: f.mediaSsrc, fbPktCount: f.fbPktCount });
  b.reset(f.baseSequence);
  let us = f.referenceTime * REFERENCE_US;
  for (let i = 0; i < f.statusCount; i++) {
    if (f.statuses[i] === 0) continue;
    us += f.deltas[i]! * DELTA_US;
    expect(b.add(f.baseSequence + i, us)).toBe(true);
  }
  return b;
}

function decodePacket(r: RtcpReader) {
  const { buf, start, end } = r;
  if (r.packetType === PT_SR) {
    const o = new SenderReport();
    decodeSenderReport(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_RR) {
    const o = new ReceiverReport();
    decodeReceiverReport(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_SDES) {
    const o = new Sdes();
    decodeSdes(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_BYE) {
    const o = new Bye();
    decodeBye(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_RTPFB && r.count === FMT_NACK) {
    const o = new Nack();
    decodeNack(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_RTPFB && r.count === FMT_TWCC) {
    const o = new TwccFeedback();
    decodeTwcc(buf, start, end, o);
    return { o, enc: rebuildTwcc(o) as Encoder };
  }
  if (r.packetType === PT_PSFB && r.count === FMT_PLI) {
    const o = new Pli();
    decodePli(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_PSFB && r.count === FMT_FIR) {
    const o = new Fir();
    decodeFir(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  if (r.packetType === PT_PSFB && isRemb(buf, start, end)) {
    const o = new Remb();
    decodeRemb(buf, start, end, o);
    return { o, enc: o as Encoder };
  }
  throw new Error(`no decoder for type ${r.packetType} fmt ${r.count}`);
}

describe("RTCP case table", () => {
  for (const c of RTCP_CASES) {
    test(`decode: ${c.name}`, () => {
      const r = new RtcpReader().reset(c.bytes);
      let i = 0;
      while (r.next()) {
        const want = c.packets[i++]!;
        expect({ packetType: r.packetType, count: r.count }).toEqual({ packetType: want.packetType, count: want.count });
        const { o } = decodePacket(r);
        const obj = o as unknown as Record<string, unknown>;
        if (want.fields) expect(obj).toMatchObject(want.fields);
        if (want.report) expect((obj.reports as unknown[])[0]).toMatchObject(want.report);
        if (want.cnames) expect((obj.cnames as string[]).slice(0, obj.count as number)).toEqual(want.cnames);
        if (want.lost) expect(Array.from((o as Nack).lost.subarray(0, (o as Nack).lostCount))).toEqual(want.lost);
        if (want.statuses) {
          const f = o as TwccFeedback;
          expect(Array.from(f.statuses.subarray(0, f.statusCount))).toEqual(want.statuses);
          expect(Array.from(f.deltas.subarray(0, f.statusCount))).toEqual(want.deltas!);
        }
      }
      expect(i).toBe(c.packets.length);
    });

    test(`round trip: ${c.name}`, () => {
      const r = new RtcpReader().reset(c.bytes);
      const parts: Uint8Array[] = [];
      const decoded: unknown[] = [];
      while (r.next()) {
        const { o, enc } = decodePacket(r);
        decoded.push(o);
        parts.push(encode(enc));
      }
      const out = Buffer.concat(parts);
      if (c.roundTrip) expect(toHex(out)).toBe(toHex(c.bytes));
      // Either way what we wrote decodes to the same content.
      const again = new RtcpReader().reset(out);
      let i = 0;
      while (again.next()) {
        const { o } = decodePacket(again);
        const before = decoded[i++] as Record<string, unknown>;
        if (o instanceof TwccFeedback) {
          const f = before as unknown as TwccFeedback;
          // The builder ends at the last received packet; trailing losses are implied by the next feedback.
          expect(Array.from(o.statuses.subarray(0, o.statusCount))).toEqual(Array.from(f.statuses.subarray(0, o.statusCount)));
          expect(Array.from(o.deltas.subarray(0, o.statusCount))).toEqual(Array.from(f.deltas.subarray(0, o.statusCount)));
          expect(f.statuses.subarray(o.statusCount, f.statusCount).every((x) => x === 0)).toBe(true);
          expect(o.referenceTime).toBe(f.referenceTime);
        } else expect(o).toEqual(before as never);
      }
      expect(i).toBe(decoded.length);
    });
  }
});

function expectError(fn: () => unknown, code: string, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  expect((err as ProtocolError).message).toMatch(message);
}

function walk(bytes: Uint8Array): void {
  const r = new RtcpReader().reset(bytes);
  while (r.next()) decodePacket(r);
}

describe("malformed RTCP", () => {
  test("header", () => {
    expectError(() => walk(hex("81c9")), "header", /2 bytes at 0 are too few for a header/);
    expectError(() => walk(hex("41c90001 00000001")), "version", /version 1 != 2 at 0/);
    expectError(() => walk(hex("81c90007 00000001")), "length", /packet length 32 at 0 runs past datagram end 8/);
    expectError(() => walk(new Uint8Array(MAX_RTCP_PACKET_SIZE + 4)), "packet-size", /datagram 1504 bytes > max 1500/);
  });
  test("padding", () => {
    expectError(() => walk(hex("a1c90001 00000000")), "padding", /padding 0 bytes in a 8-byte packet at 0/);
    expectError(() => walk(hex("a1c90001 00000009")), "padding", /padding 9 bytes in a 8-byte packet/);
    // pion/rtcp's TWCC example3: P set, no padding (libwebrtc's CommonHeader::Parse rejects it too).
    expectError(() => walk(hex("afcd0007 fa17fa17 193dd8bb 0174 0006 45b15a 40 4002 2004 1ffe 1f9a d0 00 d0 00")), "padding", /padding 0 bytes in a 32-byte packet at 0/);
  });
  test("report blocks past the end", () => {
    expectError(() => walk(hex("82c90007 00000001 12345678 05000003 0001a2b3 00000020 c0ffee00 00010000")), "report-count", /RR with 2 report blocks needs 48 bytes, has 24/);
    expectError(() => walk(hex("80c80001 00000001")), "sr-length", /SR of 8 bytes < 28/);
  });
  test("SDES item past the end, chunk without its null", () => {
    expectError(() => walk(hex("81ca0002 00000001 01096162")), "sdes-item", /SDES item type 1 at 8 runs past packet end 12/);
    expectError(() => walk(hex("81ca0002 00000001 01026162")), "sdes-item", /SDES chunk 0 has no end before 12/);
  });
  test("BYE", () => {
    expectError(() => walk(hex("83cb0001 00000001")), "bye-count", /BYE with 3 sources needs 12 bytes, has 4/);
    expectError(() => walk(hex("81cb0002 00000001 09616263")), "bye-reason", /BYE reason of 9 bytes at 8 runs past packet end 12/);
  });
  test("feedback", () => {
    expectError(() => walk(hex("81cd0001 00000001")), "feedback-length", /NACK of 8 bytes < 12/);
    expectError(() => walk(hex("8fce0004 00000001 00000000 52454d42 05040000")), "remb-ssrcs", /REMB with 5 SSRCs needs 40 bytes, has 20/);
    expectError(() => decodeRemb(hex("8fce0004 00000001 00000000 41424344 00000000"), 0, 20, new Remb()), "not-remb", /not a REMB/);
  });
  test("TWCC", () => {
    expectError(() => walk(hex("8fcd0003 00000001 00000002 00000001")), "twcc-length", /TWCC feedback of 16 bytes < 20/);
    expectError(() => walk(hex("8fcd0004 00000001 00000002 0000 ffff 00000000")), "twcc-status-count", /TWCC status count 65535 > max 8192/);
    expectError(() => walk(hex("8fcd0004 00000001 00000002 0000 0020 00000000")), "twcc-chunks", /TWCC chunks cover 0 of 32 statuses at packet end 20/);
    expectError(() => walk(hex("8fcd0005 00000001 00000002 0000 0003 00000000 2003 0102")), "twcc-deltas", /TWCC delta 2 runs past packet end 24/);
    expectError(() => walk(hex("8fcd0005 00000001 00000002 0000 0001 00000000 6001 0000")), "twcc-status", /TWCC status 3 for packet 0 is reserved/);
  });
});

describe("encoders", () => {
  test("NACK pairs from lost sequence numbers, across the wrap", () => {
    const n = new Nack();
    const lost = [65530, 65531, 65535, 0, 10, 11, 500];
    expect(n.setLost(lost, lost.length)).toBe(lost.length);
    expect(n.pairCount).toBe(3);
    const b = encode(n);
    const r = new RtcpReader().reset(b);
    r.next();
    const back = new Nack();
    decodeNack(b, r.start, r.end, back);
    expect(Array.from(back.lost.subarray(0, back.lostCount))).toEqual(lost);
  });
  test("SR from a Unix time, compact NTP for LSR", () => {
    const sr = new SenderReport();
    sr.setNtpFromUnixMs(1_700_000_000_500);
    expect(sr.ntpSeconds).toBe(1_700_000_000 + 2_208_988_800);
    expect(sr.ntpFraction).toBe(2 ** 31);
    expect(compactNtp(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
  });
  test("REMB rounds down to an 18-bit mantissa", () => {
    const r = new Remb();
    r.bitrateBps = 123_456_789;
    r.count = 1;
    r.ssrcs[0] = 5;
    const b = encode(r);
    const back = new Remb();
    decodeRemb(b, 0, b.length, back);
    expect(back.bitrateBps).toBeLessThanOrEqual(123_456_789);
    expect(back.bitrateBps).toBeGreaterThan(123_456_789 * 0.9999);
  });
});

describe("TWCC feedback builder", () => {
  test("received packets with gaps, reordering in arrival time, and a long loss run", () => {
    const b = new TwccFeedbackBuilder();
    b.senderSsrc = 1;
    b.mediaSsrc = 2;
    b.fbPktCount = 9;
    b.reset(65530);
    const t0 = 1_000_000_123; // µs
    const arrivals: [number, number][] = [
      [65530, t0],
      [65531, t0 + 1000],
      [65533, t0 + 900], // earlier than the previous: negative, large delta
      [65535, t0 + 80_000], // 79 ms later: large
      [40, t0 + 80_250], // 40 lost in between (across the wrap)
    ];
    for (const [seq, us] of arrivals) expect(b.add(seq, us)).toBe(true);
    expect(b.statusCount).toBe(47);
    const bytes = encode(b);
    expect(bytes.length % 4).toBe(0);
    const r = new RtcpReader().reset(bytes);
    expect(r.next()).toBe(true);
    const f = new TwccFeedback();
    decodeTwcc(bytes, r.start, r.end, f);
    expect(f).toMatchObject({ senderSsrc: 1, mediaSsrc: 2, baseSequence: 65530, statusCount: 47, fbPktCount: 9, receivedCount: 5, lostCount: 42 });
    // Arrival times come back to 250 µs.
    let us = f.referenceTime * REFERENCE_US;
    const got: number[] = [];
    for (let i = 0; i < f.statusCount; i++) {
      if (!f.statuses[i]) continue;
      us += f.deltas[i]! * DELTA_US;
      got.push(us);
    }
    arrivals.forEach(([, want], i) => expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(125));
  });
  test("a delta beyond ±8.19 s does not fit: start a new packet", () => {
    const b = new TwccFeedbackBuilder();
    b.reset(0);
    expect(b.add(0, 0)).toBe(true);
    expect(b.add(1, 9_000_000)).toBe(false);
    b.reset(1);
    expect(b.add(1, 9_000_000)).toBe(true);
  });
  test("out-of-order adds are a bug", () => {
    const b = new TwccFeedbackBuilder();
    b.reset(10);
    b.add(12, 0);
    expect(() => b.add(11, 0)).toThrow(/out of order/);
  });
  test("a full feedback stays under 1200 bytes", () => {
    const b = new TwccFeedbackBuilder();
    b.reset(0);
    let seq = 0;
    let n = 0;
    // Alternate large and small deltas with losses: the worst layout.
    while (b.add(seq, n * 40_000)) {
      seq += 1 + (n % 3);
      n++;
    }
    expect(b.encodedSize()).toBeLessThan(1200);
    const bytes = encode(b);
    const f = new TwccFeedback();
    const r = new RtcpReader().reset(bytes);
    r.next();
    decodeTwcc(bytes, r.start, r.end, f);
    expect(f.receivedCount).toBe(n);
  });
});
