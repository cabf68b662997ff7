/**
 * This node in the cluster: its identity from the config, and the registry the config chooses.
 * The composition root calls these once the HTTP port is known:
 *
 *   const identity = nodeIdentity(config, httpServer.port);
 *   const registry = createRegistry(config, identity);
 *   ...
 *   await registry.close(); // on shutdown, before the listeners stop
 */
import type { Config } from "../server/config.ts";
import { MemoryRegistry, MemoryRegistryStore } from "./memory-registry.ts";
import { RedisRegistry } from "./redis-registry.ts";
import type { NodeIdentity, Registry } from "./registry.ts";

/** node.address, or the HTTP listen address and port (loopback for a wildcard bind). */
export function nodeIdentity(config: Config, httpPort: number): NodeIdentity {
  const { id, region, datacenter, address } = config.node;
  return { nodeId: id, region, datacenter, address: address ?? defaultAddress(config.http.host, httpPort) };
}

export function defaultAddress(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "") return `127.0.0.1:${port}`;
  if (host === "::") return `[::1]:${port}`;
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The registry named by cluster.registry: "memory" (this process only) or a redis:// URL. */
export function createRegistry(config: Config, identity: NodeIdentity): Registry {
  const { registry, leaseMs } = config.cluster;
  if (registry === "memory") return new MemoryRegistry(identity, new MemoryRegistryStore(), { leaseMs });
  return new RedisRegistry(identity, registry, { leaseMs });
}
