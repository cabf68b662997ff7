/**
 * Case table for AMF0 (AMF 0 spec §2): bytes written out by hand, marker by marker, and the values
 * they decode to. Feeds amf0.test.ts and the seeds of amf0.fuzz.ts.
 */
import { EcmaArray } from "./amf0-types.ts";

export interface Amf0Case {
  name: string;
  bytes: Uint8Array;
  values: unknown[];
  /** What encodes to `bytes`, when not `values` itself; null when nothing does (decode-only forms). */
  encodeFrom?: unknown[] | null;
}

export interface Amf0ErrorCase {
  name: string;
  bytes: Uint8Array;
  message: string;
}

const te = new TextEncoder();
const u16 = (v: number) => [v >> 8, v & 0xff];
const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const f64 = (v: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v);
  return [...b];
};
const utf8 = (s: string) => [...u16(te.encode(s).length), ...te.encode(s)];
const num = (v: number) => [0x00, ...f64(v)];
const str = (s: string) => [0x02, ...utf8(s)];
const bool = (v: boolean) => [0x01, v ? 1 : 0];
const NULL = [0x05];
const UNDEFINED = [0x06];
const END = [0x00, 0x00, 0x09];
const obj = (...props: [string, number[]][]) => [0x03, ...props.flatMap(([k, v]) => [...utf8(k), ...v]), ...END];
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

const long = "x".repeat(70000);
const connect = {
  app: "live",
  type: "nonprivate",
  flashVer: "FMLE/3.0 (compatible; FMSc/1.0)",
  tcUrl: "rtmp://127.0.0.1:1935/live",
};
const meta = { duration: 0, width: 1280, height: 720, videocodecid: 7, encoder: "Lavf61.7.100" };
const metaProps = (): [string, number[]][] => Object.entries(meta).map(([k, v]) => [k, typeof v === "number" ? num(v) : str(v)]);

export const AMF0_CASES: Amf0Case[] = [
  { name: "numbers", bytes: bytes(num(0), num(1.5), num(-1e300), num(Infinity)), values: [0, 1.5, -1e300, Infinity] },
  { name: "booleans, null, undefined", bytes: bytes(bool(true), bool(false), NULL, UNDEFINED), values: [true, false, null, undefined] },
  { name: "strings, empty and UTF-8", bytes: bytes(str(""), str("live"), str("café ✓ 🎥")), values: ["", "live", "café ✓ 🎥"] },
  {
    name: "connect command (§7.2.1.1)",
    bytes: bytes(str("connect"), num(1), obj(...Object.entries(connect).map(([k, v]): [string, number[]] => [k, str(v)]))),
    values: ["connect", 1, connect],
  },
  {
    name: "nested objects and a strict array",
    bytes: bytes(obj(["a", obj(["b", bool(true)])], ["list", [0x0a, ...u32(3), ...num(1), ...str("two"), ...NULL]])),
    values: [{ a: { b: true }, list: [1, "two", null] }],
  },
  {
    name: "@setDataFrame onMetaData as an ECMA array (§2.10)",
    bytes: bytes(str("@setDataFrame"), str("onMetaData"), [0x08, ...u32(5), ...metaProps().flatMap(([k, v]) => [...utf8(k), ...v]), ...END]),
    values: ["@setDataFrame", "onMetaData", meta],
    encodeFrom: ["@setDataFrame", "onMetaData", new EcmaArray(meta)],
  },
  {
    name: "ECMA array ended by the end of the message (no end marker)",
    bytes: bytes([0x08, ...u32(1), ...utf8("w"), ...num(2)]),
    values: [{ w: 2 }],
    encodeFrom: null,
  },
  { name: "date (§2.13)", bytes: bytes([0x0b, ...f64(1700000000123), 0, 0]), values: [new Date(1700000000123)] },
  { name: "long string (§2.14)", bytes: bytes([0x0c, ...u32(70000), ...te.encode(long)]), values: [long] },
  { name: "XML document (§2.17) decodes to a string", bytes: bytes([0x0f, ...u32(7), ...te.encode("<a>b</a>").subarray(0, 7)]), values: ["<a>b</a"], encodeFrom: null },
  {
    name: "typed object (§2.18) decodes to a plain object",
    bytes: bytes([0x10, ...utf8("Point"), ...utf8("x"), ...num(1), ...END]),
    values: [{ x: 1 }],
    encodeFrom: null,
  },
  {
    name: "reference (§2.9) resolves to the same object",
    bytes: bytes(obj(["k", str("v")]), [0x0a, ...u32(1), 0x07, ...u16(0)]),
    values: [{ k: "v" }, [{ k: "v" }]],
    encodeFrom: null,
  },
  { name: "unsupported (§2.15) decodes to undefined", bytes: bytes([0x0d]), values: [undefined], encodeFrom: null },
  {
    name: "a __proto__ key stays an own property",
    bytes: bytes(obj(["__proto__", obj(["polluted", bool(true)])])),
    values: [JSON.parse('{"__proto__":{"polluted":true}}')],
  },
];

const nested = (n: number): number[] => (n === 0 ? NULL : obj(["o", nested(n - 1)]));

export const AMF0_ERROR_CASES: Amf0ErrorCase[] = [
  { name: "truncated number", bytes: bytes([0x00, 1, 2, 3]), message: "number: need 8 bytes, 3 left" },
  { name: "truncated string", bytes: bytes([0x02, 0, 10, 0x61]), message: "string: need 10 bytes, 1 left" },
  { name: "movie clip marker (reserved)", bytes: bytes([0x04]), message: "unsupported type marker 0x4" },
  { name: "AMF3 switch marker", bytes: bytes([0x11, 0x01]), message: "unsupported type marker 0x11" },
  { name: "object end marker as a value", bytes: bytes([0x09]), message: "unsupported type marker 0x9" },
  { name: "reference past the table", bytes: bytes(obj(), [0x07, 0, 1]), message: "reference 1 >= 1 objects" },
  { name: "reference to an unfinished object", bytes: bytes([0x03, ...utf8("self"), 0x07, 0, 0, ...END]), message: "a cycle" },
  { name: "nesting deeper than MAX_AMF_DEPTH", bytes: bytes(nested(17)), message: "nesting depth 17 > max 16" },
  {
    name: "references that nest deeper than MAX_AMF_DEPTH",
    bytes: bytes(nested(16), obj(["r", [0x07, 0, 0]])),
    message: "nesting depth 17 > max 16 through reference 0",
  },
  { name: "strict array count above MAX_AMF_ITEMS", bytes: bytes([0x0a, ...u32(0xffffffff)]), message: "strict array of 4294967295 items > max 4096" },
  { name: "strict array count above the bytes left", bytes: bytes([0x0a, ...u32(100), 5]), message: "strict array of 100 items in 1 bytes" },
  { name: "ECMA array count above MAX_AMF_ITEMS", bytes: bytes([0x08, ...u32(5000), ...END]), message: "ECMA array of 5000 items > max 4096" },
  { name: "long string above MAX_AMF_STRING", bytes: bytes([0x0c, ...u32(0x7fffffff)]), message: "long string 2147483647 bytes > max 1048576" },
  {
    name: "object with more than MAX_AMF_ITEMS properties",
    bytes: bytes([0x03, ...Array.from({ length: 4097 }, (_, i) => [...utf8(`k${i}`), ...NULL]).flat(), ...END]),
    message: "object of more than 4096 properties",
  },
];

/** References doubling at each level: 2^levels copies once expanded. */
export function referenceBomb(levels: number): Uint8Array {
  const out: number[] = [...obj(["s", str("x".repeat(1000))])];
  for (let i = 0; i < levels; i++) out.push(0x0a, ...u32(2), 0x07, ...u16(i), 0x07, ...u16(i));
  return Uint8Array.from(out);
}
