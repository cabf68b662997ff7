/**
 * Fuzz target webrtc/picture-id: a payload descriptor shifted in place (first byte: codec in bit 0,
 * the shift in the rest; then the payload). Only the PictureID bytes may change, the new one must
 * read back as what was returned, and shifting back must restore the input.
 */
import { equalBytes } from "../../../core/bytes.ts";
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { pictureId, shiftPictureId, type PictureIdCodec } from "./picture-id.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export const target: FuzzTarget = {
  name: "webrtc/picture-id",
  seeds: [hex("06 90 80 8123 aa"), hex("0a 90 f0 05 07 e5 aa"), hex("04 10 aa"), hex("07 88 8123 aa"), hex("ff b8 05 00 aa"), hex("01 88 81")],
  maxInputBytes: 64,
  run(input: Uint8Array): number {
    if (input.length < 1) return -1;
    const codec: PictureIdCodec = input[0]! & 1 ? "vp9" : "vp8";
    const delta = (input[0]! >>> 1) * 257;
    const p = input.slice(1);
    const before = p.slice();
    const id = pictureId(codec, p);
    const v = shiftPictureId(codec, p, delta);
    if ((id < 0) !== (v < 0)) throw new Error(`read ${id} but shifted to ${v}`);
    if (v < 0) {
      if (!equalBytes(p, before)) throw new Error("no PictureID, yet bytes changed");
      return -1;
    }
    if (pictureId(codec, p) !== v) throw new Error(`shifted to ${v} but reads back ${pictureId(codec, p)}`);
    const at = codec === "vp8" ? 2 : 1;
    for (let i = 0; i < p.length; i++) if (i !== at && i !== at + 1 && p[i] !== before[i]) throw new Error(`byte ${i} changed`);
    shiftPictureId(codec, p, -delta);
    if (!equalBytes(p, before)) throw new Error("shifting back did not restore the descriptor");
    return v;
  },
};
