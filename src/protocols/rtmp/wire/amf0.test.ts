import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { fuzz } from "../../../core/fuzz.ts";
import { AMF0_CASES, AMF0_ERROR_CASES, referenceBomb } from "./amf0-cases.ts";
import {
  EcmaArray,
  MAX_AMF_DEPTH,
  amf0EncodedSize,
  decodeAmf0All,
  decodeCommand,
  decodeData,
  encodeAmf0,
  encodeAmf0To,
  encodeCommand,
  encodeData,
  onStatus,
} from "./amf0.ts";
import { target } from "./amf0.fuzz.ts";
import { COMMAND_AMF0, COMMAND_AMF3 } from "./message-types.ts";

describe("AMF0 case table", () => {
  for (const c of AMF0_CASES) {
    test(`decodes: ${c.name}`, () => {
      const values = decodeAmf0All(c.bytes);
      expect(values).toEqual(c.values);
      expect(values.length).toBe(c.values.length); // toEqual ignores trailing undefined
    });
    if (c.encodeFrom !== null) {
      test(`encodes: ${c.name}`, () => {
        const from = c.encodeFrom ?? c.values;
        expect(amf0EncodedSize(from)).toBe(c.bytes.length);
        expect(encodeAmf0(from)).toEqual(c.bytes);
      });
    }
  }
  for (const c of AMF0_ERROR_CASES) {
    test(`refuses: ${c.name}`, () => {
      expect(() => decodeAmf0All(c.bytes)).toThrow(ProtocolError);
      expect(() => decodeAmf0All(c.bytes)).toThrow(c.message);
    });
  }

  test("a decoded __proto__ key does not change the prototype", () => {
    const [v] = decodeAmf0All(AMF0_CASES.find((c) => c.name.includes("__proto__"))!.bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
  });

  test("references resolve to the same object", () => {
    const [a, [b]] = decodeAmf0All(AMF0_CASES.find((c) => c.name.startsWith("reference"))!.bytes) as [object, object[]];
    expect(b).toBe(a);
  });

  test("a reference bomb is refused before its expansion outgrows MAX_AMF_EXPANDED_BYTES", () => {
    expect(decodeAmf0All(referenceBomb(8)).length).toBe(9);
    expect(() => decodeAmf0All(referenceBomb(16))).toThrow("references expand to");
  });
});

describe("AMF0 round trips", () => {
  const values: unknown[] = [
    0, -0.5, Number.MAX_SAFE_INTEGER, NaN, true, false, null, undefined, "", "ü", "x".repeat(0xffff), "y".repeat(0x10000),
    new Date(0), [], [[[]]], {}, { a: [1, { b: "c" }], d: new Date(5), e: null, f: undefined },
  ];
  test("encode then decode gives the values back", () => {
    for (const v of values) {
      const bytes = encodeAmf0([v, v]);
      expect(bytes.length).toBe(amf0EncodedSize([v, v]));
      expect(decodeAmf0All(bytes)).toEqual([v, v]);
    }
  });

  test("encodeAmf0To writes at an offset", () => {
    const buf = new Uint8Array(64).fill(0xee);
    const n = encodeAmf0To(buf, 3, ["a", 1]);
    expect(n).toBe(4 + 9);
    expect(buf[2]).toBe(0xee);
    expect(buf[3 + n]).toBe(0xee);
    expect(decodeAmf0All(buf.subarray(3, 3 + n))).toEqual(["a", 1]);
  });

  test("ECMA arrays encode with marker 0x08 and decode to plain objects", () => {
    const bytes = encodeAmf0([new EcmaArray({ width: 640 })]);
    expect(bytes[0]).toBe(0x08);
    expect(decodeAmf0All(bytes)).toEqual([{ width: 640 }]);
  });

  test("the encoder refuses what the decoder would refuse", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_AMF_DEPTH; i++) deep = [deep];
    expect(decodeAmf0All(encodeAmf0([deep]))).toEqual([deep]);
    expect(() => encodeAmf0([[deep]])).toThrow("nesting deeper");
    expect(() => encodeAmf0([new Map()])).toThrow("plain objects only");
    expect(() => encodeAmf0([1n])).toThrow("cannot encode a bigint");
  });
});

describe("commands and data messages", () => {
  test("encodeCommand / decodeCommand", () => {
    const body = encodeCommand("publish", 5, null, "cam1", "live");
    expect(decodeCommand(body)).toEqual({ name: "publish", transactionId: 5, commandObject: null, args: ["cam1", "live"] });
    expect(decodeCommand(body, COMMAND_AMF0).name).toBe("publish");
  });

  test("an AMF3 command (type 17) skips its leading format byte", () => {
    const amf0 = encodeCommand("connect", 1, { app: "live" });
    const body = new Uint8Array(amf0.length + 1);
    body.set(amf0, 1);
    expect(decodeCommand(body, COMMAND_AMF3)).toEqual({ name: "connect", transactionId: 1, commandObject: { app: "live" }, args: [] });
  });

  test("malformed commands are ProtocolErrors", () => {
    expect(() => decodeCommand(encodeAmf0([1, 2]))).toThrow("command name is number");
    expect(() => decodeCommand(encodeAmf0(["play", "x"]))).toThrow("command play: transaction id is string");
    expect(decodeCommand(encodeAmf0(["onFCPublish"]))).toEqual({ name: "onFCPublish", transactionId: 0, commandObject: null, args: [] });
    expect(decodeCommand(encodeAmf0(["play", 0, 7])).commandObject).toBeNull();
  });

  test("encodeData / decodeData and onStatus", () => {
    const body = encodeData("onStatus", onStatus("error", "NetStream.Publish.BadName", "taken", { details: "cam1" }));
    expect(decodeData(body)).toEqual({
      name: "onStatus",
      args: [{ level: "error", code: "NetStream.Publish.BadName", description: "taken", details: "cam1" }],
    });
    expect(() => decodeData(encodeAmf0([null]))).toThrow("data message name is null");
  });
});

test("fuzz rtmp/amf0: 2,000 mutations throw nothing but ProtocolError", () => {
  const result = fuzz(target, { iterations: 2000, seed: 0xa3f0 });
  expect(result.crashes.map((c) => String(c.error))).toEqual([]);
  expect(result.iterations).toBe(2000);
});
