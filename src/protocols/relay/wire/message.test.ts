import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { fuzz } from "../../../core/fuzz.ts";
import { relayMac, relayNonce, verifyRelayMac } from "./auth.ts";
import { target } from "./message.fuzz.ts";
import { RELAY_CASES, RELAY_STREAM, TRACKS } from "./message.cases.ts";
import { decodeRelayMessage, encodeFrame, encodeHello, encodeTracks, HEADER_BYTES, MAX_MESSAGE_BYTES, MsgType, RelayMessage } from "./message.ts";

function decodeAll(buf: Uint8Array): RelayMessage[] {
  const out: RelayMessage[] = [];
  let at = 0;
  for (;;) {
    const m = new RelayMessage();
    const n = decodeRelayMessage(buf, at, m);
    if (n === 0) break;
    out.push(m);
    at += n;
  }
  expect(at).toBe(buf.length);
  return out;
}

describe("relay wire", () => {
  for (const c of RELAY_CASES) {
    test(`${c.name}: decodes whole, and needs more on every shorter prefix`, () => {
      expect(decodeAll(c.bytes)).toHaveLength(1);
      const m = new RelayMessage();
      for (let n = 0; n < c.bytes.length; n++) expect(decodeRelayMessage(c.bytes.subarray(0, n), 0, m)).toBe(0);
    });
  }

  test("fields round-trip", () => {
    const [hello, auth, accept, refuse, tracks, key, audio, empty, state, keepalive] = decodeAll(RELAY_STREAM);
    expect(hello!.type).toBe(MsgType.Hello);
    expect(hello!.nodeId).toBe("node-a");
    expect([...hello!.nonce]).toEqual(Array.from({ length: 16 }, (_, i) => i * 7));
    expect(auth!.nodeId).toBe("node-b");
    expect(auth!.mac[0]).toBe(255);
    expect(accept!.hops).toBe(2);
    expect(refuse!.reason).toBe("bad cluster secret");
    expect(tracks!.tracks.map((t) => ({ ...t, config: t.config && [...t.config] }))).toEqual(TRACKS.map((t) => ({ ...t, config: t.config && [...t.config] })));
    expect(key!).toMatchObject({ track: 0, keyframe: true, dts: 900_000, pts: 903_000, ingestMs: 1_764_000_000_123.25, sentMs: 1_764_000_000_124.5 });
    expect([...key!.payload]).toEqual([0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33]);
    expect(audio!).toMatchObject({ track: 1, keyframe: false, dts: 48_000 });
    expect(empty!.payload.length).toBe(0);
    expect(state!.state).toBe("waiting");
    expect(keepalive!.timeMs).toBe(1_764_000_000_000.5);
  });

  test("the frame payload is a view of the input, not a copy", () => {
    const buf = encodeFrame(0, true, 1, 1, 1, 1, Uint8Array.from([1, 2, 3]));
    const m = new RelayMessage();
    decodeRelayMessage(buf, 0, m);
    expect(m.payload.buffer).toBe(buf.buffer);
  });

  const refused: [string, Uint8Array, string][] = [
    ["unknown type", Uint8Array.from([9, 0, 0, 0, 0]), "type 9 unknown"],
    ["huge length, before it is buffered", Uint8Array.from([MsgType.Frame, 0xff, 0xff, 0xff, 0xff]), `> max ${MAX_MESSAGE_BYTES}`],
    ["fractional dts", patch(encodeFrame(0, false, 1, 1, 1, 1, new Uint8Array(0)), HEADER_BYTES + 2, 0.5), "not a safe integer"],
    ["NaN ingest time", patch(encodeFrame(0, false, 1, 1, 1, 1, new Uint8Array(0)), HEADER_BYTES + 18, Number.NaN), "not finite"],
    ["bad codec", (() => { const b = encodeTracks([TRACKS[2]!]); b[HEADER_BYTES + 2] = 99; return b; })(), "codec 99 unknown"],
    ["node id not ASCII", (() => { const b = encodeHello(new Uint8Array(16), "abc"); b[b.length - 1] = 0x20; return b; })(), "printable ASCII"],
    ["trailing bytes", (() => { const b = new Uint8Array(HEADER_BYTES + 9); b.set([MsgType.Keepalive, 0, 0, 0, 9]); return b; })(), "left over"],
  ];
  for (const [name, bytes, message] of refused) {
    test(`refused: ${name}`, () => {
      expect(() => decodeRelayMessage(bytes, 0, new RelayMessage())).toThrow(ProtocolError);
      expect(() => decodeRelayMessage(bytes, 0, new RelayMessage())).toThrow(message);
    });
  }

  test("fuzz: 3,000 mutants, nothing but ProtocolError", () => {
    const r = fuzz(target, { iterations: 3000, seed: 0x7e1a });
    expect(r.crashes.map((c) => String(c.error))).toEqual([]);
    expect(r.hangs).toEqual([]);
  });
});

describe("relay auth", () => {
  test("the MAC binds secret, nonce, path and node", () => {
    const nonce = relayNonce();
    const mac = relayMac("s3cret", nonce, "live/cam1", "node-b");
    expect(verifyRelayMac("s3cret", nonce, "live/cam1", "node-b", mac)).toBe(true);
    expect(verifyRelayMac("other", nonce, "live/cam1", "node-b", mac)).toBe(false);
    expect(verifyRelayMac("s3cret", relayNonce(), "live/cam1", "node-b", mac)).toBe(false);
    expect(verifyRelayMac("s3cret", nonce, "live/cam2", "node-b", mac)).toBe(false);
    expect(verifyRelayMac("s3cret", nonce, "live/cam1", "node-c", mac)).toBe(false);
    expect(verifyRelayMac("s3cret", nonce, "live/cam1", "node-b", mac.subarray(0, 31))).toBe(false);
  });
});

function patch(buf: Uint8Array, at: number, v: number): Uint8Array {
  new DataView(buf.buffer, buf.byteOffset).setFloat64(at, v);
  return buf;
}
