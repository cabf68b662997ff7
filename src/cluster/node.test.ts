import { describe, expect, test } from "bun:test";
import { loadConfig } from "../server/config.ts";
import { MemoryRegistry } from "./memory-registry.ts";
import { createRegistry, defaultAddress, nodeIdentity } from "./node.ts";
import { RedisRegistry } from "./redis-registry.ts";

describe("node identity and registry choice", () => {
  test("the address defaults to the HTTP listen address, loopback for a wildcard", () => {
    expect(defaultAddress("0.0.0.0", 8080)).toBe("127.0.0.1:8080");
    expect(defaultAddress("::", 8080)).toBe("[::1]:8080");
    expect(defaultAddress("10.1.2.3", 81)).toBe("10.1.2.3:81");
    expect(defaultAddress("fe80::1", 81)).toBe("[fe80::1]:81");
    const c = loadConfig({ argv: ["--node-id", "a", "--node-region", "eu", "--node-datacenter", "eu-1"], env: {} });
    expect(nodeIdentity(c, 5555)).toEqual({ nodeId: "a", region: "eu", datacenter: "eu-1", address: "127.0.0.1:5555" });
    const given = loadConfig({ argv: ["--node-address", "node-a.internal:8080"], env: {} });
    expect(nodeIdentity(given, 5555).address).toBe("node-a.internal:8080");
  });

  test("memory by default, Redis for a redis:// URL", async () => {
    const memory = createRegistry(loadConfig({ env: {} }), { nodeId: "a", region: "r", datacenter: "d", address: "x:1" });
    expect(memory).toBeInstanceOf(MemoryRegistry);
    await memory.close();
    // nothing listens on port 1: the registry is made, lookups fail (clearly) until Redis answers
    const c = loadConfig({ argv: ["--cluster-registry", "redis://127.0.0.1:1"], env: { SPATE_CLUSTER_SECRET: "0123456789abcdef" } });
    const redis = createRegistry(c, { nodeId: "a", region: "r", datacenter: "d", address: "x:1" });
    expect(redis).toBeInstanceOf(RedisRegistry);
    expect(await redis.locate("p").catch((e) => e.name)).toBe("RegistryUnavailableError");
    await redis.close();
  });
});
