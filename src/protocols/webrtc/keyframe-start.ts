/**
 * Whether one RTP payload is the first packet of a keyframe, read from the payload header alone, so
 * a forwarded packet (forward.ts) can be marked as a join point of the writer's ring as it arrives,
 * before the rest of its frame. Pure: a view in, a boolean out, never throws, nothing allocated.
 *
 *   H.264 (RFC 6184): an IDR slice or an SPS, alone (§5.6), first in a STAP-A (§5.7.1) or starting
 *                     an FU-A (§5.8, S bit) — browsers send SPS and PPS in front of every IDR.
 *   VP8   (RFC 7741 §4.2/§4.3): S=1, PID=0 and the payload header's P bit (inverse key frame) 0.
 *   VP9   (RFC 9628 §4.2): B (start of frame) set, P (inter-picture predicted) clear, and the base
 *                     spatial layer when layers are signalled (an upper layer with P clear may be
 *                     predicted from the layer below only, in any frame).
 *   AV1   (AV1 RTP spec §4.4): N, the first packet of a coded video sequence.
 *   Opus: every packet stands alone.
 */
import type { Codec } from "../../core/track.ts";

const H264_IDR = 5;
const H264_SPS = 7;
const H264_STAP_A = 24;
const H264_FU_A = 28;

export function isKeyframeStart(codec: Codec, p: Uint8Array): boolean {
  switch (codec) {
    case "h264":
      return h264KeyStart(p);
    case "vp8":
      return vp8KeyStart(p);
    case "vp9":
      return vp9KeyStart(p);
    case "av1":
      return p.length > 0 && (p[0]! & 0x08) !== 0;
    case "opus":
      return true;
    default:
      return false;
  }
}

/**
 * Whether an H.264 payload carries an SPS (alone or in a STAP-A): a forwarded keyframe without one
 * gets the track's parameter sets in front, as the packetizer puts them before every keyframe.
 */
export function h264HasSps(p: Uint8Array): boolean {
  if (p.length === 0) return false;
  const t = p[0]! & 0x1f;
  if (t === H264_SPS) return true;
  if (t !== H264_STAP_A) return false;
  for (let i = 1; i + 2 < p.length; ) {
    const size = (p[i]! << 8) | p[i + 1]!;
    i += 2;
    if (size === 0 || i + size > p.length) return false;
    if ((p[i]! & 0x1f) === H264_SPS) return true;
    i += size;
  }
  return false;
}

function h264KeyStart(p: Uint8Array): boolean {
  if (p.length === 0) return false;
  const t = p[0]! & 0x1f;
  if (t === H264_IDR || t === H264_SPS) return true;
  if (t === H264_FU_A) return p.length > 1 && (p[1]! & 0x80) !== 0 && ((p[1]! & 0x1f) === H264_IDR || (p[1]! & 0x1f) === H264_SPS);
  if (t !== H264_STAP_A) return false;
  for (let i = 1; i + 2 < p.length; ) {
    const size = (p[i]! << 8) | p[i + 1]!;
    i += 2;
    if (size === 0 || i + size > p.length) return false;
    const nal = p[i]! & 0x1f;
    if (nal === H264_IDR || nal === H264_SPS) return true;
    i += size;
  }
  return false;
}

function vp8KeyStart(p: Uint8Array): boolean {
  if (p.length === 0 || (p[0]! & 0x17) !== 0x10) return false; // S=1, PID=0
  let i = 1;
  if (p[0]! & 0x80) {
    if (p.length < 2) return false;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) i += i < p.length && p[i]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i++; // TL0PICIDX
    if (x & 0x30) i++; // TID/Y/KEYIDX
  }
  return i < p.length && (p[i]! & 0x01) === 0;
}

function vp9KeyStart(p: Uint8Array): boolean {
  if (p.length === 0 || (p[0]! & 0x48) !== 0x08) return false; // B set, P clear
  if ((p[0]! & 0x20) === 0) return true; // no layer indices: one spatial layer
  let i = 1;
  if (p[0]! & 0x80) i += i < p.length && p[i]! & 0x80 ? 2 : 1; // picture id, 7 or 15 bits
  return i < p.length && (p[i]! & 0x0e) === 0; // SID 0
}
