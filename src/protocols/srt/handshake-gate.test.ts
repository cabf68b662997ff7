import { describe, expect, test } from "bun:test";
import { encodePeerIp, SrtHandshakeGate } from "./handshake-gate.ts";
import { parseStreamId } from "./stream-id.ts";
import { HEADER_SIZE, HS_CONCLUSION, HS_INDUCTION, SRT_MAGIC_CODE } from "./wire/constants.ts";
import { decodeHandshake, Handshake } from "./wire/handshake.ts";
import { encodeControlHeader, writeU32 } from "./wire/packet.ts";
import { hex } from "./wire/packet-cases.ts";

const LIBSRT_INDUCTION = hex("8000000000000000000000e90000000000000004000000023a5b3021000005dc00002000000000013e5d453c000000000100007f000000000000000000000000");

describe("SrtHandshakeGate", () => {
  const secret = new Uint8Array(32).fill(1);

  test("answers libsrt's induction with version 5, the magic code and a cookie", () => {
    const gate = new SrtHandshakeGate({ secret });
    const out = new Uint8Array(1500);
    const n = gate.answerInduction(LIBSRT_INDUCTION, "127.0.0.1:5000", 90_000_000, out, "127.0.0.1");
    const hs = new Handshake();
    decodeHandshake(out, HEADER_SIZE, n, hs);
    expect(hs).toMatchObject({ version: 5, extension: SRT_MAGIC_CODE, type: HS_INDUCTION, socketId: 0x3e5d453c, initialSeq: 0x3a5b3021 });
    expect(hs.cookie).toBe(gate.cookie("127.0.0.1:5000", 90_000_000));
    expect(out.subarray(12, 16)).toEqual(hex("3e5d453c")); // sent to the caller's socket id
    expect(gate.answerInduction(new Uint8Array(20), "x", 0, out)).toBe(0);
  });

  test("cookies: stateless, per peer, valid this minute and the next, not after", () => {
    const a = new SrtHandshakeGate({ secret });
    const b = new SrtHandshakeGate({ secret });
    const other = new SrtHandshakeGate({ secret: new Uint8Array(32).fill(2) });
    const t = 600_000_000;
    expect(a.cookie("p:1", t)).toBe(b.cookie("p:1", t));
    expect(a.cookie("p:1", t)).not.toBe(a.cookie("p:2", t));
    expect(a.cookie("p:1", t)).not.toBe(other.cookie("p:1", t));
    const conclusion = new Uint8Array(HEADER_SIZE + 48);
    encodeControlHeader(conclusion, 0, 0, 0, 0, 0, 0);
    writeU32(conclusion, HEADER_SIZE + 20, HS_CONCLUSION);
    writeU32(conclusion, HEADER_SIZE + 28, a.cookie("p:1", t));
    expect(a.acceptsConclusion(conclusion, "p:1", t)).toBe(true);
    expect(a.acceptsConclusion(conclusion, "p:1", t + 60_000_000)).toBe(true);
    expect(a.acceptsConclusion(conclusion, "p:1", t + 120_000_000)).toBe(false);
    expect(a.acceptsConclusion(conclusion, "p:2", t)).toBe(false);
    expect(other.acceptsConclusion(conclusion, "p:1", t)).toBe(false);
  });

  test("peer IP as libsrt writes it", () => {
    expect(encodePeerIp("127.0.0.1")).toEqual(hex("0100007f 00000000 00000000 00000000"));
    expect(encodePeerIp("::ffff:10.1.2.3")).toEqual(hex("0302010a 00000000 00000000 00000000"));
    expect(encodePeerIp("2001:db8::1")).toEqual(hex("b80d0120 00000000 00000000 01000000"));
    expect(encodePeerIp(undefined)).toEqual(new Uint8Array(16));
  });
});

describe("parseStreamId", () => {
  test.each([
    ["publish:live/cam1", { mode: "publish", path: "live/cam1", user: "" }],
    ["read:live/cam1", { mode: "read", path: "live/cam1", user: "" }],
    ["#!::r=live/cam1,m=publish", { mode: "publish", path: "live/cam1", user: "" }],
    ["#!::u=bob,r=live/cam1", { mode: "read", path: "live/cam1", user: "bob" }],
    ["#!::r=live/cam1,m=request", { mode: "read", path: "live/cam1", user: "" }],
    ["#!::r=x,m=bidirectional", null],
    ["#!::m=publish", null],
    ["watch:live/x", null],
    ["publish:", null],
    ["live/x", null],
  ])("%s", (id, expected) => {
    expect(parseStreamId(id)).toEqual(expected as never);
  });
});
