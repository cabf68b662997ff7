/** Fuzz target: bytes from the Redis registry decoded as holder and node entries; junk is null, never a throw. */
import type { FuzzTarget } from "../core/fuzz-target.ts";
import { decodeHolder, decodeNode, encodeHolder, encodeNode } from "./registry-entry.ts";
import { ENTRY_CASES } from "./registry-entry.cases.ts";

const text = new TextDecoder();

export const target: FuzzTarget = {
  name: "cluster/registry-entry",
  seeds: ENTRY_CASES.map((c) => new TextEncoder().encode(c.text)),
  maxInputBytes: 1024,
  run(input: Uint8Array): number {
    const s = text.decode(input);
    const h = decodeHolder(s);
    const n = decodeNode(s);
    // whatever decodes re-encodes to something that decodes to the same
    if (h && JSON.stringify(decodeHolder(encodeHolder(h))) !== JSON.stringify(h)) throw new Error("holder round trip differs");
    if (n && JSON.stringify(decodeNode(encodeNode(n))) !== JSON.stringify(n)) throw new Error("node round trip differs");
    return (h ? 1 : 0) + (n ? 2 : 0);
  },
};
