/**
 * AMF0 decoding (AMF 0 spec §2). Values map to JS as: number, boolean, string (also long string and
 * XML document), null, undefined (also "unsupported"), plain objects (object, ECMA array, typed
 * object), arrays (strict array), Date. Not the hot path: it allocates freely, within the MAX_* caps.
 */
import { Amf0, MAX_AMF_DEPTH, MAX_AMF_EXPANDED_BYTES, MAX_AMF_ITEMS, MAX_AMF_STRING, amfError } from "./amf0-types.ts";

const utf8Decoder = new TextDecoder();

/** Reads AMF0 values one after another from a complete message body. */
export class Amf0Reader {
  pos = 0;
  private readonly view: DataView;
  /** §2.9 reference table: complex values in the order they began, with their size and height. */
  private readonly refs: object[] = [];
  private readonly refBytes: number[] = [];
  private readonly refHeights: number[] = [];
  /** Bytes added by expanding references so far. */
  private expanded = 0;
  /** Nesting height of the value `read` returned last (0 for a scalar). */
  private height = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) throw amfError(`${what}: need ${n} bytes, ${this.buf.length - this.pos} left`);
  }

  private u16(): number {
    this.need(2, "u16");
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4, "u32");
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  private double(): number {
    this.need(8, "number");
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  private utf8(len: number): string {
    this.need(len, "string");
    const s = utf8Decoder.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  private longString(): string {
    const len = this.u32();
    if (len > MAX_AMF_STRING) throw amfError(`long string ${len} bytes > max ${MAX_AMF_STRING}`);
    return this.utf8(len);
  }

  /** The next value; `depth` is how many objects and arrays enclose it. */
  read(depth = 0): unknown {
    this.need(1, "type marker");
    const start = this.pos;
    const marker = this.buf[this.pos++]!;
    this.height = 0;
    switch (marker) {
      case Amf0.Number:
        return this.double();
      case Amf0.Boolean:
        this.need(1, "boolean");
        return this.buf[this.pos++] !== 0;
      case Amf0.String:
        return this.utf8(this.u16());
      case Amf0.Null:
        return null;
      case Amf0.Undefined:
      case Amf0.Unsupported:
        return undefined;
      case Amf0.Reference:
        return this.reference(depth);
      case Amf0.Date: {
        const ms = this.double();
        this.u16(); // §2.13 time zone: "reserved, should be 0"
        return new Date(ms);
      }
      case Amf0.LongString:
      case Amf0.XmlDocument:
        return this.longString();
      case Amf0.Object:
      case Amf0.TypedObject:
      case Amf0.EcmaArray:
      case Amf0.StrictArray:
        return this.complex(marker, depth, start);
      default:
        throw amfError(`unsupported type marker 0x${marker.toString(16)}`);
    }
  }

  private reference(depth: number): object {
    const index = this.u16();
    const ref = this.refs[index];
    if (ref === undefined) throw amfError(`reference ${index} >= ${this.refs.length} objects`);
    const bytes = this.refBytes[index]!;
    if (bytes < 0) throw amfError(`reference ${index} to an object still being read (a cycle)`);
    const height = this.refHeights[index]!;
    if (depth + height > MAX_AMF_DEPTH) throw amfError(`nesting depth ${depth + height} > max ${MAX_AMF_DEPTH} through reference ${index}`);
    this.expanded += bytes;
    if (this.buf.length + this.expanded > MAX_AMF_EXPANDED_BYTES) {
      throw amfError(`references expand to ${this.buf.length + this.expanded} bytes > max ${MAX_AMF_EXPANDED_BYTES}`);
    }
    this.height = height;
    return ref;
  }

  /** Objects and arrays: registered for references before their contents are read (§2.9). */
  private complex(marker: number, depth: number, start: number): object {
    if (depth >= MAX_AMF_DEPTH) throw amfError(`nesting depth ${depth + 1} > max ${MAX_AMF_DEPTH}`);
    const index = this.refs.length;
    const expandedBefore = this.expanded;
    let value: object;
    let childHeight: number;
    if (marker === Amf0.StrictArray) {
      const count = this.u32();
      if (count > MAX_AMF_ITEMS) throw amfError(`strict array of ${count} items > max ${MAX_AMF_ITEMS}`);
      if (count > this.remaining) throw amfError(`strict array of ${count} items in ${this.remaining} bytes`);
      const arr: unknown[] = [];
      this.register(arr);
      childHeight = 0;
      for (let i = 0; i < count; i++) {
        arr.push(this.read(depth + 1));
        childHeight = Math.max(childHeight, this.height);
      }
      value = arr;
    } else {
      if (marker === Amf0.TypedObject) this.utf8(this.u16()); // §2.18 class name: plain objects carry none
      if (marker === Amf0.EcmaArray) {
        const count = this.u32(); // §2.10: a hint only, the end marker ends the array
        if (count > MAX_AMF_ITEMS) throw amfError(`ECMA array of ${count} items > max ${MAX_AMF_ITEMS}`);
      }
      const obj: Record<string, unknown> = {};
      this.register(obj);
      childHeight = this.properties(obj, depth, marker === Amf0.EcmaArray);
      value = obj;
    }
    this.refBytes[index] = this.pos - start + (this.expanded - expandedBefore);
    this.height = this.refHeights[index] = childHeight + 1;
    return value;
  }

  private register(value: object): void {
    this.refs.push(value);
    this.refBytes.push(-1);
    this.refHeights.push(0);
  }

  /** §2.5 (key, value)* then an empty key and the object-end marker; returns the children's height. */
  private properties(obj: Record<string, unknown>, depth: number, ecma: boolean): number {
    let height = 0;
    for (let items = 0; ; items++) {
      // Some encoders end an ECMA array at the end of the message without the end marker.
      if (ecma && this.remaining === 0) return height;
      const key = this.utf8(this.u16());
      if (key === "") {
        this.need(1, "object end");
        if (this.buf[this.pos] === Amf0.ObjectEnd) {
          this.pos++;
          return height;
        }
      }
      if (items >= MAX_AMF_ITEMS) throw amfError(`object of more than ${MAX_AMF_ITEMS} properties`);
      const value = this.read(depth + 1);
      height = Math.max(height, this.height);
      if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      else obj[key] = value;
    }
  }
}

/** Every value in `buf` (a command or data message body). */
export function decodeAmf0All(buf: Uint8Array): unknown[] {
  const r = new Amf0Reader(buf);
  const out: unknown[] = [];
  while (r.remaining > 0) out.push(r.read());
  return out;
}
