/**
 * Registry entries as stored in Redis: JSON, validated with zod on the way back. The store is
 * shared by every node (and anyone with access to it), so what comes back is untrusted-ish: junk,
 * a wrong shape, an entry filed under another node's key — all are ignored (null), never thrown.
 */
import { z } from "zod";
import { MAX_PATH_LENGTH, type HolderInfo, type NodeInfo } from "./registry.ts";

/** Entries longer than this are junk: a real one is a few hundred bytes. */
export const MAX_ENTRY_BYTES = 8192;
const MAX_FIELD = 256;

const label = z.string().min(1).max(MAX_FIELD);
const load = z.number().finite().min(0).max(1e12);

const IdentitySchema = z.object({ nodeId: label, region: label, datacenter: label, address: label });

const HolderSchema = IdentitySchema.extend({
  role: z.enum(["origin", "relay"]),
  hops: z.int().min(0).max(1000),
  upstream: label.nullable(),
  load,
}).refine((h) => (h.role === "origin" ? h.hops === 0 && h.upstream === null : h.hops > 0 && h.upstream !== null), "an origin has hops 0 and no upstream, a relay both");

const NodeSchema = IdentitySchema.extend({ load, lastSeenMs: z.number().finite().min(0) });

export function encodeHolder(h: HolderInfo): string {
  return JSON.stringify({ nodeId: h.nodeId, region: h.region, datacenter: h.datacenter, address: h.address, role: h.role, hops: h.hops, upstream: h.upstream, load: h.load });
}

export function encodeNode(n: NodeInfo): string {
  return JSON.stringify({ nodeId: n.nodeId, region: n.region, datacenter: n.datacenter, address: n.address, load: n.load, lastSeenMs: n.lastSeenMs });
}

/** A holder entry read back, or null when it is junk or not the node its key says. */
export function decodeHolder(text: string | null | undefined, expectNodeId?: string): HolderInfo | null {
  const v = parse(text, HolderSchema);
  return v && (expectNodeId === undefined || v.nodeId === expectNodeId) ? v : null;
}

export function decodeNode(text: string | null | undefined, expectNodeId?: string): NodeInfo | null {
  const v = parse(text, NodeSchema);
  return v && (expectNodeId === undefined || v.nodeId === expectNodeId) ? v : null;
}

/** A path name read back from an index set, or null when it could not be one. */
export function decodePath(text: unknown): string | null {
  return typeof text === "string" && text.length > 0 && text.length <= MAX_PATH_LENGTH ? text : null;
}

function parse<T>(text: string | null | undefined, schema: z.ZodType<T>): T | null {
  if (typeof text !== "string" || text.length > MAX_ENTRY_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const r = schema.safeParse(value);
  return r.success ? r.data : null;
}
