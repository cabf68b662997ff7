/** Payloads with and without a keyframe start, per codec: the unit test's table and the fuzz seeds. */
import type { Codec } from "../../core/track.ts";

export interface KeyStartCase {
  name: string;
  codec: Codec;
  payload: Uint8Array;
  key: boolean;
  /** H.264: an SPS is in it (h264HasSps). */
  sps?: boolean;
}

const b = (...x: number[]) => Uint8Array.from(x);

export const KEY_START_CASES: KeyStartCase[] = [
  { name: "h264 single IDR", codec: "h264", payload: b(0x65, 0x88, 0x84), key: true, sps: false },
  { name: "h264 single SPS", codec: "h264", payload: b(0x67, 0x42, 0xc0, 0x1f), key: true, sps: true },
  { name: "h264 single non-IDR", codec: "h264", payload: b(0x41, 0x9a, 0x00), key: false },
  { name: "h264 STAP-A SPS PPS", codec: "h264", payload: b(0x78, 0, 3, 0x67, 0x42, 0xc0, 0, 2, 0x68, 0xce), key: true, sps: true },
  { name: "h264 STAP-A SEI then IDR", codec: "h264", payload: b(0x78, 0, 2, 0x06, 0x05, 0, 2, 0x65, 0x88), key: true, sps: false },
  { name: "h264 STAP-A PPS then SPS", codec: "h264", payload: b(0x78, 0, 2, 0x68, 0xce, 0, 3, 0x67, 0x42, 0xc0), key: true, sps: true },
  { name: "h264 STAP-A two non-IDR", codec: "h264", payload: b(0x78, 0, 2, 0x41, 0x9a, 0, 2, 0x41, 0x9b), key: false },
  { name: "h264 STAP-A size past the end", codec: "h264", payload: b(0x78, 0, 9, 0x65, 0x88), key: false },
  { name: "h264 FU-A start IDR", codec: "h264", payload: b(0x7c, 0x85, 0x88, 0x84), key: true, sps: false },
  { name: "h264 FU-A middle IDR", codec: "h264", payload: b(0x7c, 0x05, 0x88, 0x84), key: false },
  { name: "h264 FU-A start non-IDR", codec: "h264", payload: b(0x5c, 0x81, 0x9a), key: false },
  { name: "h264 empty", codec: "h264", payload: b(), key: false },
  { name: "vp8 key, no extension", codec: "vp8", payload: b(0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a), key: true },
  { name: "vp8 inter, no extension", codec: "vp8", payload: b(0x10, 0x51, 0x01, 0x00), key: false },
  { name: "vp8 key, 15-bit picture id", codec: "vp8", payload: b(0x90, 0x80, 0x81, 0x23, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a), key: true },
  { name: "vp8 key, picture id + tl0 + tid", codec: "vp8", payload: b(0x90, 0xf0, 0x12, 0x07, 0x20, 0x50, 0x9d), key: true },
  { name: "vp8 inter, 15-bit picture id", codec: "vp8", payload: b(0x90, 0x80, 0x81, 0x23, 0x51, 0x01), key: false },
  { name: "vp8 continuation of a key frame", codec: "vp8", payload: b(0x00, 0x50, 0x01), key: false },
  { name: "vp8 truncated descriptor", codec: "vp8", payload: b(0x90, 0x80), key: false },
  { name: "vp9 key start (B, no P)", codec: "vp9", payload: b(0x88, 0x12, 0x34), key: true },
  { name: "vp9 inter start (B, P)", codec: "vp9", payload: b(0xc8, 0x12, 0x34), key: false },
  { name: "vp9 key middle (no B)", codec: "vp9", payload: b(0x80, 0x12, 0x34), key: false },
  { name: "vp9 key, layers, 15-bit picture id, SID 0", codec: "vp9", payload: b(0xa8, 0x81, 0x02, 0x00, 0x12), key: true },
  { name: "vp9 upper spatial layer without P (SID 1)", codec: "vp9", payload: b(0xa8, 0x05, 0x02, 0x12), key: false },
  { name: "vp9 layers, truncated", codec: "vp9", payload: b(0xa8, 0x81), key: false },
  { name: "av1 new coded video sequence (N)", codec: "av1", payload: b(0x18, 0x0a, 0x0b), key: true },
  { name: "av1 not N", codec: "av1", payload: b(0x10, 0x32, 0x00), key: false },
  { name: "opus", codec: "opus", payload: b(0xfc, 0xff, 0xfe), key: true },
  { name: "aac is never forwarded", codec: "aac", payload: b(0x21, 0x10), key: false },
];
