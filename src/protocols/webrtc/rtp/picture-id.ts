/**
 * One PictureID sequence (VP8: RFC 7741 §4.2; VP9: RFC 9628 §4.2) across our packetizer and a
 * publisher's packets forwarded as they came. A receiver's reference finder (libwebrtc, for streams
 * without temporal layer indices: frame id = the unwrapped PictureID, a delta frame references the
 * one before it) takes a jump in PictureIDs for frames it has not got and freezes until the next key
 * frame: a WHEP viewer that joined on packetized catch-up frames from the ring and then gets
 * forwarded ones carrying the publisher's own PictureIDs does exactly that (seen with @roamhq/wrtc
 * VP8: ~0.8 s frozen after the join). So the forwarded packets' PictureIDs are shifted to continue
 * the packetizer's, and when forwarding stops the packetizer continues after the last forwarded one.
 *
 *   const ids = new PictureIdBridge("vp8");
 *   ids.begin(packetizer, firstPayload);   // forwarding starts at a frame's first packet
 *   ids.patch(sentBytes);                  // each forwarded packet's payload, as viewers get it
 *   ids.end(packetizer);                   // forwarding stops; the packetizer goes on
 */

export type PictureIdCodec = "vp8" | "vp9";

/** What the bridge needs of a VP8 or VP9 packetizer: the PictureID of its next frame (15 bits). */
export interface PictureIdSource {
  pictureId: number;
}

/** Offset of the PictureID field in the payload descriptor at the start of `p`, -1 when it has none. */
function pictureIdAt(codec: PictureIdCodec, p: Uint8Array): number {
  if (codec === "vp8") return p.length >= 3 && p[0]! & 0x80 && p[1]! & 0x80 ? 2 : -1; // X, then I
  return p.length >= 2 && p[0]! & 0x80 ? 1 : -1; // I
}

/** The descriptor's PictureID (15 bits, or 7 when M is clear), -1 when it has none or `p` is too short for it. */
export function pictureId(codec: PictureIdCodec, p: Uint8Array): number {
  const at = pictureIdAt(codec, p);
  if (at < 0) return -1;
  if ((p[at]! & 0x80) === 0) return p[at]!;
  return at + 1 < p.length ? ((p[at]! & 0x7f) << 8) | p[at + 1]! : -1;
}

/**
 * Moves the PictureID of the descriptor at the start of `p` by `delta` in place, wrapping in its own
 * width (15 bits, or 7 when M is clear: the field cannot grow in place). Returns the new PictureID,
 * -1 when there is none (nothing written).
 */
export function shiftPictureId(codec: PictureIdCodec, p: Uint8Array, delta: number): number {
  const at = pictureIdAt(codec, p);
  if (at < 0) return -1;
  if ((p[at]! & 0x80) === 0) {
    const v = (p[at]! + delta) & 0x7f;
    p[at] = v;
    return v;
  }
  if (at + 1 >= p.length) return -1;
  const v = ((((p[at]! & 0x7f) << 8) | p[at + 1]!) + delta) & 0x7fff;
  p[at] = 0x80 | (v >>> 8);
  p[at + 1] = v & 0xff;
  return v;
}

export class PictureIdBridge {
  /** Added to each forwarded PictureID. */
  delta: number;
  /** The newest PictureID written by `patch`, -1 for none since `begin`. */
  last: number;

  constructor(readonly codec: PictureIdCodec) {
    this.delta = 0;
    this.last = -1;
  }

  /** Forwarding starts at `first` (a frame's first packet): its PictureID becomes the packetizer's next one. */
  begin(packetizer: PictureIdSource, first: Uint8Array): void {
    const id = pictureId(this.codec, first);
    this.delta = id < 0 ? 0 : (packetizer.pictureId - id) & 0x7fff;
    this.last = -1;
  }

  /** Shifts a forwarded packet's PictureID (in the bytes that are sent). */
  patch(p: Uint8Array): void {
    const v = shiftPictureId(this.codec, p, this.delta);
    if (v >= 0) this.last = v;
  }

  /** Forwarding stopped: the packetizer's next frame follows the last forwarded one. */
  end(packetizer: PictureIdSource): void {
    if (this.last >= 0) packetizer.pictureId = (this.last + 1) & 0x7fff;
    this.last = -1;
  }
}
