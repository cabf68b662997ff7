import { describe, expect, test } from "bun:test";
import { decodeHolder, decodeNode, decodePath, encodeHolder, encodeNode, MAX_ENTRY_BYTES } from "./registry-entry.ts";
import { ENTRY_CASES } from "./registry-entry.cases.ts";
import { target } from "./registry-entry.fuzz.ts";

describe("registry entries", () => {
  for (const c of ENTRY_CASES) {
    test(c.name, () => {
      expect(decodeHolder(c.text) !== null).toBe(c.holder);
      expect(decodeNode(c.text) !== null).toBe(c.node);
      expect(() => target.run(new TextEncoder().encode(c.text))).not.toThrow();
    });
  }

  test("round trip, and an entry filed under another node's key is ignored", () => {
    const h = { nodeId: "B", region: "eu", datacenter: "eu-1", address: "127.0.0.1:2", role: "relay" as const, hops: 1, upstream: "A", load: 4 };
    expect(decodeHolder(encodeHolder(h), "B")).toEqual(h);
    expect(decodeHolder(encodeHolder(h), "C")).toBeNull();
    const n = { nodeId: "B", region: "eu", datacenter: "eu-1", address: "127.0.0.1:2", load: 0, lastSeenMs: 5 };
    expect(decodeNode(encodeNode(n), "B")).toEqual(n);
    expect(decodeNode(`{"nodeId":"B","region":"eu","datacenter":"eu-1","address":"x:1","load":0,"lastSeenMs":0,"pad":"${"x".repeat(MAX_ENTRY_BYTES)}"}`)).toBeNull();
    expect(decodeHolder(null)).toBeNull();
    expect(decodePath("live/cam1")).toBe("live/cam1");
    expect(decodePath(7)).toBeNull();
    expect(decodePath("")).toBeNull();
  });
});
