import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { MessageReader } from "./chunk.ts";
import {
  CONTROL_MESSAGE_MAX_BYTES,
  controlMessage,
  decodeAbort,
  decodeAck,
  decodeSetChunkSize,
  decodeSetPeerBandwidth,
  decodeUserControl,
  decodeWindowAckSize,
  encodeAbortTo,
  encodeAckTo,
  encodeSetChunkSizeTo,
  encodeSetPeerBandwidthTo,
  encodeUserControlTo,
  encodeWindowAckSizeTo,
} from "./control.ts";
import { PeerBandwidthLimit, UserControl } from "./message-types.ts";

/** Decodes one encoded control message and checks the chunk stream, stream id and type. */
function one(bytes: Uint8Array, typeId: number): Uint8Array {
  let got: { h: Record<string, number>; body: Uint8Array } | undefined;
  const reader = new MessageReader({ onMessage: (h, body) => (got = { h: { ...h }, body: body.slice() }) });
  expect(reader.decode(bytes)).toBe(bytes.length);
  expect(got!.h).toEqual({ csid: 2, timestamp: 0, msgLength: got!.body.length, msgTypeId: typeId, msgStreamId: 0 });
  return got!.body;
}

describe("protocol control messages (§5.4)", () => {
  test("Set Chunk Size: exact bytes and round trip", () => {
    const bytes = controlMessage(encodeSetChunkSizeTo, 4096);
    expect([...bytes]).toEqual([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
    expect(decodeSetChunkSize(one(bytes, 1))).toBe(4096);
  });

  test("Abort, Acknowledgement, Window Acknowledgement Size, Set Peer Bandwidth", () => {
    expect(decodeAbort(one(controlMessage(encodeAbortTo, 6), 2))).toBe(6);
    expect(decodeAck(one(controlMessage(encodeAckTo, 0xfffffffe), 3))).toBe(0xfffffffe);
    expect(decodeWindowAckSize(one(controlMessage(encodeWindowAckSizeTo, 2_500_000), 5))).toBe(2_500_000);
    expect(decodeSetPeerBandwidth(one(controlMessage(encodeSetPeerBandwidthTo, 2_500_000, PeerBandwidthLimit.Dynamic), 6))).toEqual({
      size: 2_500_000,
      limitType: 2,
    });
  });

  test("User Control events (§7.1.7)", () => {
    for (const event of Object.values(UserControl)) {
      const bytes = controlMessage(encodeUserControlTo, event, 0x01020304, 3000);
      expect(bytes.length).toBeLessThanOrEqual(CONTROL_MESSAGE_MAX_BYTES);
      const m = decodeUserControl(one(bytes, 4));
      expect(m).toEqual({ event, value: 0x01020304, bufferLengthMs: event === UserControl.SetBufferLength ? 3000 : 0 });
    }
    expect(decodeUserControl(Uint8Array.of(0, 31))).toEqual({ event: 31, value: 0, bufferLengthMs: 0 });
  });

  test("short or out-of-range bodies are ProtocolErrors", () => {
    const bad: [() => unknown, string][] = [
      [() => decodeSetChunkSize(Uint8Array.of(0, 1, 0x11, 0x70)), "chunk size 70000 > max 65536"],
      [() => decodeSetChunkSize(Uint8Array.of(0x80, 0, 0, 0x80)), "> max 65536"],
      [() => decodeSetChunkSize(Uint8Array.of(0, 0, 0)), "body 3 bytes < 4"],
      [() => decodeAck(new Uint8Array(0)), "body 0 bytes < 4"],
      [() => decodeSetPeerBandwidth(new Uint8Array(4)), "body 4 bytes < 5"],
      [() => decodeUserControl(Uint8Array.of(0)), "body 1 bytes < 2"],
      [() => decodeUserControl(Uint8Array.of(0, 0, 1)), "body 3 bytes < 6"],
      [() => decodeUserControl(Uint8Array.of(0, 3, 0, 0, 0, 1)), "body 6 bytes < 10"],
    ];
    for (const [fn, message] of bad) {
      expect(fn).toThrow(ProtocolError);
      expect(fn).toThrow(message);
    }
  });
});
