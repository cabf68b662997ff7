import { describe, expect, test } from "bun:test";
import { ChunkDecoder } from "./chunk-decoder.ts";
import { ChunkHeader } from "./chunk-header.ts";
import * as ctl from "./control.ts";
import * as T from "./message-types.ts";
import { Acknowledger, handleProtocolControl, type ControlPeer } from "./peer-control.ts";

/** The body of a control message as encodeXTo writes it (after its 12-byte chunk header). */
const body = (m: Uint8Array) => m.subarray(12);

function peer() {
  const sent: Uint8Array[] = [];
  const aborted: number[] = [];
  const p: ControlPeer = { decoder: new ChunkDecoder({ onChunk() {} }), acks: new Acknowledger(), send: (b) => sent.push(b), aborted: (c) => aborted.push(c) };
  return { p, sent, aborted };
}
const header = (type: number) => Object.assign(new ChunkHeader(2), { msgTypeId: type });

describe("peer control", () => {
  test("Acknowledger: one ack per window, with the byte count", () => {
    const a = new Acknowledger();
    expect(a.add(1000)).toBeNull(); // no window asked for
    a.window = 2500;
    expect(a.add(1000)).toBeNull();
    const ack = a.add(600)!;
    expect(ctl.decodeAck(body(ack))).toBe(2600);
    expect(a.add(2000)).toBeNull();
    expect(ctl.decodeAck(body(a.add(500)!))).toBe(5100);
  });

  test("Set Chunk Size, Abort, window and ping are handled; other messages are not", () => {
    const { p, sent, aborted } = peer();
    expect(handleProtocolControl(p, header(T.SET_CHUNK_SIZE), body(ctl.controlMessage(ctl.encodeSetChunkSizeTo, 4096)))).toBe(true);
    expect(p.decoder.chunkSize).toBe(4096);
    expect(handleProtocolControl(p, header(T.ABORT), body(ctl.controlMessage(ctl.encodeAbortTo, 6)))).toBe(true);
    expect(aborted).toEqual([6]);
    expect(handleProtocolControl(p, header(T.WINDOW_ACK_SIZE), body(ctl.controlMessage(ctl.encodeWindowAckSizeTo, 250000)))).toBe(true);
    expect(p.acks.window).toBe(250000);
    expect(handleProtocolControl(p, header(T.USER_CONTROL), body(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.PingRequest, 77)))).toBe(true);
    expect(ctl.decodeUserControl(body(sent[0]!))).toMatchObject({ event: T.UserControl.PingResponse, value: 77 });
    expect(handleProtocolControl(p, header(T.USER_CONTROL), body(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.StreamBegin, 1)))).toBe(false);
    expect(handleProtocolControl(p, header(T.COMMAND_AMF0), new Uint8Array(4))).toBe(false);
    expect(() => handleProtocolControl(p, header(T.SET_CHUNK_SIZE), body(ctl.controlMessage(ctl.encodeSetChunkSizeTo, 70000)))).toThrow("chunk size 70000 > max 65536");
  });
});
