import { describe } from "bun:test";
import { MemoryRegistry, MemoryRegistryStore } from "./memory-registry.ts";
import { registryConformance } from "./registry.conformance.ts";

describe("MemoryRegistry", () => {
  let store = new MemoryRegistryStore();
  registryConformance({
    reset: () => void (store = new MemoryRegistryStore()),
    make: (node, leaseMs) => new MemoryRegistry(node, store, { leaseMs }),
  });
});
