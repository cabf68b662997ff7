/**
 * Protocol control messages (RTMP 1.0 §5.4) and User Control messages (§7.1.7). Encoders write a
 * complete chunked message on chunk stream 2, message stream 0, timestamp 0 (§5.4: control messages
 * use those ids); each fits in one chunk at any chunk size, so the chunk size does not matter.
 */
import { checkChunkSize, rtmpError } from "./chunk-header.ts";
import { encodeMessageTo } from "./chunk-encoder.ts";
import {
  ABORT,
  ACKNOWLEDGEMENT,
  CSID_CONTROL,
  SET_CHUNK_SIZE,
  SET_PEER_BANDWIDTH,
  USER_CONTROL,
  UserControl,
  WINDOW_ACK_SIZE,
} from "./message-types.ts";

/** Bytes of the largest encoded control message (1 basic + 11 header + 10 body). */
export const CONTROL_MESSAGE_MAX_BYTES = 22;

const scratch = new Uint8Array(10);

function encodeControlTo(buf: Uint8Array, off: number, typeId: number, bodyLength: number): number {
  return encodeMessageTo(buf, off, CSID_CONTROL, 0, typeId, 0, 128, null, scratch.subarray(0, bodyLength));
}

function putU32(p: number, v: number): void {
  scratch[p] = v >>> 24;
  scratch[p + 1] = v >>> 16;
  scratch[p + 2] = v >>> 8;
  scratch[p + 3] = v;
}

/** §5.4.1 Set Chunk Size. */
export function encodeSetChunkSizeTo(buf: Uint8Array, off: number, size: number): number {
  putU32(0, checkChunkSize(size) & 0x7fffffff);
  return encodeControlTo(buf, off, SET_CHUNK_SIZE, 4);
}

/** §5.4.2 Abort Message: the peer drops the partial message on `csid`. */
export function encodeAbortTo(buf: Uint8Array, off: number, csid: number): number {
  putU32(0, csid);
  return encodeControlTo(buf, off, ABORT, 4);
}

/** §5.4.3 Acknowledgement: `sequenceNumber` is the bytes received so far (mod 2^32). */
export function encodeAckTo(buf: Uint8Array, off: number, sequenceNumber: number): number {
  putU32(0, sequenceNumber);
  return encodeControlTo(buf, off, ACKNOWLEDGEMENT, 4);
}

/** §5.4.4 Window Acknowledgement Size. */
export function encodeWindowAckSizeTo(buf: Uint8Array, off: number, size: number): number {
  putU32(0, size);
  return encodeControlTo(buf, off, WINDOW_ACK_SIZE, 4);
}

/** §5.4.5 Set Peer Bandwidth; `limitType` from PeerBandwidthLimit. */
export function encodeSetPeerBandwidthTo(buf: Uint8Array, off: number, size: number, limitType: number): number {
  putU32(0, size);
  scratch[4] = limitType;
  return encodeControlTo(buf, off, SET_PEER_BANDWIDTH, 5);
}

/**
 * §7.1.7 User Control: `value` is the stream id (StreamBegin, StreamEOF, StreamDry, SetBufferLength,
 * StreamIsRecorded) or the timestamp (PingRequest, PingResponse).
 */
export function encodeUserControlTo(buf: Uint8Array, off: number, event: number, value: number, bufferLengthMs = 0): number {
  scratch[0] = event >>> 8;
  scratch[1] = event;
  putU32(2, value);
  if (event !== UserControl.SetBufferLength) return encodeControlTo(buf, off, USER_CONTROL, 6);
  putU32(6, bufferLengthMs);
  return encodeControlTo(buf, off, USER_CONTROL, 10);
}

/** Allocating form of any `encode*To` above, for code off the hot path. */
export function controlMessage<A extends unknown[]>(
  encodeTo: (buf: Uint8Array, off: number, ...args: A) => number,
  ...args: A
): Uint8Array {
  const out = new Uint8Array(CONTROL_MESSAGE_MAX_BYTES);
  return out.subarray(0, encodeTo(out, 0, ...args));
}

function u32(body: Uint8Array, p: number, what: string, need: number): number {
  if (body.length < need) throw rtmpError("control", `${what}: body ${body.length} bytes < ${need}`);
  return ((body[p]! << 24) | (body[p + 1]! << 16) | (body[p + 2]! << 8) | body[p + 3]!) >>> 0;
}

/** §5.4.1: validated against 1..MAX_CHUNK_SIZE. */
export function decodeSetChunkSize(body: Uint8Array): number {
  return checkChunkSize(u32(body, 0, "set chunk size", 4));
}

export function decodeAbort(body: Uint8Array): number {
  return u32(body, 0, "abort", 4);
}

export function decodeAck(body: Uint8Array): number {
  return u32(body, 0, "acknowledgement", 4);
}

export function decodeWindowAckSize(body: Uint8Array): number {
  return u32(body, 0, "window acknowledgement size", 4);
}

export function decodeSetPeerBandwidth(body: Uint8Array): { size: number; limitType: number } {
  return { size: u32(body, 0, "set peer bandwidth", 5), limitType: body[4]! };
}

export interface UserControlMessage {
  event: number;
  /** Stream id, or the timestamp for PingRequest/PingResponse; 0 for unknown events without data. */
  value: number;
  /** SetBufferLength only. */
  bufferLengthMs: number;
}

export function decodeUserControl(body: Uint8Array): UserControlMessage {
  if (body.length < 2) throw rtmpError("control", `user control: body ${body.length} bytes < 2`);
  const event = (body[0]! << 8) | body[1]!;
  const known = event <= UserControl.PingResponse && event !== 5;
  // Unknown events (FMS sends 31/32, "buffer empty/ready") are passed on, not refused.
  const value = known || body.length >= 6 ? u32(body, 2, `user control ${event}`, 6) : 0;
  const bufferLengthMs = event === UserControl.SetBufferLength ? u32(body, 6, "set buffer length", 10) : 0;
  return { event, value, bufferLengthMs };
}
