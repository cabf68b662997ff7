/** AMF0 (Adobe "Action Message Format -- AMF 0", 2007): type markers, caps and shared helpers. */
import { ProtocolError } from "../../../core/errors.ts";
import { PROTOCOL } from "./message-types.ts";

/** Nesting of objects and arrays, references included; the encoder refuses deeper values too. */
export const MAX_AMF_DEPTH = 16;
/** Long strings and XML documents (§2.14, §2.17); short strings are at most 65535 bytes anyway. */
export const MAX_AMF_STRING = 1024 * 1024;
/** Properties of one object or entries of one array. */
export const MAX_AMF_ITEMS = 4096;
/**
 * Bytes the decoded values would take once references (§2.9) are expanded, which is what
 * re-encoding them costs: without this cap a few hundred bytes of nested references would decode
 * to a value whose encoding is exponentially large.
 */
export const MAX_AMF_EXPANDED_BYTES = 16 * 1024 * 1024;

/** §2.1 type markers. */
export const Amf0 = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

/** Wraps an object so it is encoded as an ECMA array (§2.10), as onMetaData usually is. */
export class EcmaArray {
  constructor(readonly value: Record<string, unknown>) {}
}

export function amfError(message: string): ProtocolError {
  return new ProtocolError(PROTOCOL, "amf0", message);
}

