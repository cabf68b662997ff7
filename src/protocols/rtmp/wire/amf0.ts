/**
 * AMF0 values (AMF 0 spec) and the RTMP messages built from them: commands (RTMP 1.0 §7.1.1, §7.2)
 * and data messages such as `@setDataFrame`/`onMetaData` (§7.1.2).
 */
import { amfError } from "./amf0-types.ts";
import { decodeAmf0All } from "./amf0-decode.ts";
import { encodeAmf0 } from "./amf0-encode.ts";
import { COMMAND_AMF3, DATA_AMF3 } from "./message-types.ts";

export * from "./amf0-types.ts";
export * from "./amf0-decode.ts";
export * from "./amf0-encode.ts";

export interface Command {
  name: string;
  transactionId: number;
  /** The command object, or null (also when the peer sent something that is not an object). */
  commandObject: Record<string, unknown> | null;
  args: unknown[];
}

/** AMF3 command and data messages (types 17, 15) start with a format byte 0, then AMF0 (§7.1.1). */
function amf0Body(buf: Uint8Array, typeId: number): Uint8Array {
  return (typeId === COMMAND_AMF3 || typeId === DATA_AMF3) && buf[0] === 0 ? buf.subarray(1) : buf;
}

/** §7.1.1 command message: name, transaction id, command object, then optional arguments. */
export function decodeCommand(buf: Uint8Array, typeId?: number): Command {
  const values = decodeAmf0All(typeId === undefined ? buf : amf0Body(buf, typeId));
  const [name, transactionId, commandObject] = values;
  if (typeof name !== "string") throw amfError(`command name is ${typeName(name)}, not a string`);
  // ffmpeg's server sends a bare ["onFCPublish"]: a missing transaction id is taken as 0.
  if (typeof transactionId !== "number" && values.length > 1) {
    throw amfError(`command ${name}: transaction id is ${typeName(transactionId)}`);
  }
  return {
    name,
    transactionId: typeof transactionId === "number" ? transactionId : 0,
    commandObject: isObject(commandObject) ? commandObject : null,
    args: values.slice(3),
  };
}

export function encodeCommand(name: string, transactionId: number, commandObject: Record<string, unknown> | null, ...args: unknown[]): Uint8Array {
  return encodeAmf0([name, transactionId, commandObject, ...args]);
}

export interface DataMessage {
  name: string;
  args: unknown[];
}

/** §7.1.2 data message: a handler name (`@setDataFrame`, `onMetaData`, ...) and its values. */
export function decodeData(buf: Uint8Array, typeId?: number): DataMessage {
  const values = decodeAmf0All(typeId === undefined ? buf : amf0Body(buf, typeId));
  const name = values[0];
  if (typeof name !== "string") throw amfError(`data message name is ${typeName(name)}, not a string`);
  return { name, args: values.slice(1) };
}

export function encodeData(name: string, ...args: unknown[]): Uint8Array {
  return encodeAmf0([name, ...args]);
}

/** §7.2.2 the info object of an onStatus command (`NetStream.Publish.Start` and friends). */
export function onStatus(
  level: "status" | "warning" | "error",
  code: string,
  description: string,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  return { level, code, description, ...extra };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}
