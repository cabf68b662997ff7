/**
 * The VP9 payload descriptor, draft-ietf-payload-vp9-16 §4.2 (RFC 9628 §4.2): flexible and
 * non-flexible mode read, non-flexible written, and the scalability structure (§4.2.1).
 */

/** -1 marks an absent optional field. */
export class Vp9Descriptor {
  /** P: inter-picture predicted (0 on a key frame's first spatial layer). */
  interPicture = false;
  /** F: flexible mode. */
  flexible = false;
  /** B: the first packet of a layer frame. */
  begin = false;
  /** E: the last packet of a layer frame. */
  end = false;
  /** V: a scalability structure follows. */
  hasScalability = false;
  /** Z: not used for inter-layer prediction. */
  notUpperReference = false;
  pictureId = -1;
  longPictureId = false;
  tid = -1;
  switchingUp = false;
  sid = -1;
  interLayer = false;
  tl0PicIdx = -1;
  /** Reference indices (P_DIFF) in flexible mode. */
  refCount = 0;
  /** From the scalability structure (first spatial layer only, when Y): 0 otherwise. */
  width = 0;
  height = 0;
}

/** Reads the descriptor at the start of `p`; returns its size, 0 when `p` is too short for it, -1 for more than 3 P_DIFFs. */
export function decodeVp9Descriptor(p: Uint8Array, d: Vp9Descriptor): number {
  const len = p.length;
  if (len < 1) return 0;
  const b0 = p[0]!;
  d.interPicture = (b0 & 0x40) !== 0;
  d.flexible = (b0 & 0x10) !== 0;
  d.begin = (b0 & 0x08) !== 0;
  d.end = (b0 & 0x04) !== 0;
  d.hasScalability = (b0 & 0x02) !== 0;
  d.notUpperReference = (b0 & 0x01) !== 0;
  d.pictureId = d.tid = d.sid = d.tl0PicIdx = -1;
  d.longPictureId = d.switchingUp = d.interLayer = false;
  d.refCount = d.width = d.height = 0;
  let pos = 1;
  if (b0 & 0x80) {
    if (pos >= len) return 0;
    d.longPictureId = (p[pos]! & 0x80) !== 0;
    if (d.longPictureId) {
      if (pos + 1 >= len) return 0;
      d.pictureId = ((p[pos]! & 0x7f) << 8) | p[pos + 1]!;
      pos += 2;
    } else {
      d.pictureId = p[pos++]!;
    }
  }
  if (b0 & 0x20) {
    if (pos >= len) return 0;
    const l = p[pos++]!;
    d.tid = l >>> 5;
    d.switchingUp = (l & 0x10) !== 0;
    d.sid = (l >>> 1) & 0x07;
    d.interLayer = (l & 0x01) !== 0;
    if (!d.flexible) {
      if (pos >= len) return 0;
      d.tl0PicIdx = p[pos++]!;
    }
  }
  if (d.flexible && d.interPicture) {
    // P_DIFF|N, at most 3 (§4.2)
    for (;;) {
      if (pos >= len) return 0;
      const r = p[pos++]!;
      d.refCount++;
      if ((r & 0x01) === 0) break;
      if (d.refCount === 3) return -1;
    }
  }
  if (d.hasScalability) {
    if (pos >= len) return 0;
    const ss = p[pos++]!;
    const layers = (ss >>> 5) + 1;
    if (ss & 0x10) {
      if (len - pos < 4 * layers) return 0;
      d.width = (p[pos]! << 8) | p[pos + 1]!;
      d.height = (p[pos + 2]! << 8) | p[pos + 3]!;
      pos += 4 * layers;
    }
    if (ss & 0x08) {
      if (pos >= len) return 0;
      const groups = p[pos++]!;
      for (let g = 0; g < groups; g++) {
        if (pos >= len) return 0;
        const refs = (p[pos++]! >>> 2) & 0x03;
        pos += refs;
        if (pos > len) return 0;
      }
    }
  }
  return pos;
}

/** Size of the descriptor `writeVp9Descriptor` writes. */
export function vp9DescriptorSize(scalability: boolean): number {
  return scalability ? 3 + 5 : 3;
}

/**
 * Non-flexible mode, one layer: I with a 15-bit PictureID, P, B, E, and on a key frame's first
 * packet V with one spatial layer's resolution (N_S = 0, Y = 1, G = 0). Returns the bytes written.
 */
export function writeVp9Descriptor(
  buf: Uint8Array,
  at: number,
  pictureId: number,
  interPicture: boolean,
  begin: boolean,
  end: boolean,
  width: number,
  height: number,
): number {
  const ss = width > 0 && height > 0;
  buf[at] = 0x80 | (interPicture ? 0x40 : 0) | (begin ? 0x08 : 0) | (end ? 0x04 : 0) | (ss ? 0x02 : 0);
  buf[at + 1] = 0x80 | ((pictureId >>> 8) & 0x7f);
  buf[at + 2] = pictureId & 0xff;
  if (!ss) return 3;
  buf[at + 3] = 0x10; // N_S = 0, Y, no G
  buf[at + 4] = width >>> 8;
  buf[at + 5] = width & 0xff;
  buf[at + 6] = height >>> 8;
  buf[at + 7] = height & 0xff;
  return 8;
}
