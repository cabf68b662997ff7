/** AMF0 encoding (AMF 0 spec §2): sized first, then written into one buffer. */
import { assert } from "../../../core/errors.ts";
import { Amf0, EcmaArray, MAX_AMF_DEPTH } from "./amf0-types.ts";

const utf8Encoder = new TextEncoder();

function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2; // 3 bytes (a lone surrogate becomes U+FFFD, also 3)
  }
  return n;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Bytes `encodeAmf0To` writes for `values`. */
export function amf0EncodedSize(values: readonly unknown[]): number {
  let n = 0;
  for (const v of values) n += valueSize(v, 0);
  return n;
}

function valueSize(v: unknown, depth: number): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case "number":
      return 9;
    case "boolean":
      return 2;
    case "string": {
      const len = utf8Length(v);
      return (len > 0xffff ? 5 : 3) + len;
    }
    case "object":
      break;
    default:
      assert(false, `AMF0 cannot encode a ${typeof v}`);
  }
  if (v instanceof Date) return 11;
  assert(depth < MAX_AMF_DEPTH, `AMF0 nesting deeper than ${MAX_AMF_DEPTH}`);
  if (Array.isArray(v)) {
    let n = 5;
    for (const item of v) n += valueSize(item, depth + 1);
    return n;
  }
  const ecma = v instanceof EcmaArray;
  const obj = ecma ? v.value : v;
  assert(ecma || isPlainObject(obj), "AMF0 encodes plain objects only");
  let n = (ecma ? 5 : 1) + 3; // marker (+ count), empty key and end marker
  for (const key of Object.keys(obj)) n += 2 + utf8Length(key) + valueSize((obj as Record<string, unknown>)[key], depth + 1);
  return n;
}

/** Writes `values` at `buf[off]`; returns the bytes written (`amf0EncodedSize(values)`). */
export function encodeAmf0To(buf: Uint8Array, off: number, values: readonly unknown[]): number {
  const w = new Writer(buf, off);
  for (const v of values) w.value(v);
  return w.pos - off;
}

export function encodeAmf0(values: readonly unknown[]): Uint8Array {
  const out = new Uint8Array(amf0EncodedSize(values));
  encodeAmf0To(out, 0, values);
  return out;
}

class Writer {
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private utf8(s: string, long: boolean): void {
    const len = utf8Length(s);
    if (long) this.view.setUint32(this.pos, len);
    else this.view.setUint16(this.pos, len);
    this.pos += long ? 4 : 2;
    utf8Encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
  }

  value(v: unknown): void {
    const buf = this.buf;
    if (v === null) buf[this.pos++] = Amf0.Null;
    else if (v === undefined) buf[this.pos++] = Amf0.Undefined;
    else if (typeof v === "number") {
      buf[this.pos] = Amf0.Number;
      this.view.setFloat64(this.pos + 1, v);
      this.pos += 9;
    } else if (typeof v === "boolean") {
      buf[this.pos] = Amf0.Boolean;
      buf[this.pos + 1] = v ? 1 : 0;
      this.pos += 2;
    } else if (typeof v === "string") {
      const long = utf8Length(v) > 0xffff;
      buf[this.pos++] = long ? Amf0.LongString : Amf0.String;
      this.utf8(v, long);
    } else if (v instanceof Date) {
      buf[this.pos] = Amf0.Date;
      this.view.setFloat64(this.pos + 1, v.getTime());
      this.view.setUint16(this.pos + 9, 0);
      this.pos += 11;
    } else if (Array.isArray(v)) {
      buf[this.pos] = Amf0.StrictArray;
      this.view.setUint32(this.pos + 1, v.length);
      this.pos += 5;
      for (const item of v) this.value(item);
    } else {
      const ecma = v instanceof EcmaArray;
      const obj = (ecma ? v.value : v) as Record<string, unknown>;
      const keys = Object.keys(obj);
      buf[this.pos++] = ecma ? Amf0.EcmaArray : Amf0.Object;
      if (ecma) {
        this.view.setUint32(this.pos, keys.length);
        this.pos += 4;
      }
      for (const key of keys) {
        this.utf8(key, false);
        this.value(obj[key]);
      }
      buf[this.pos] = 0;
      buf[this.pos + 1] = 0;
      buf[this.pos + 2] = Amf0.ObjectEnd;
      this.pos += 3;
    }
  }
}
