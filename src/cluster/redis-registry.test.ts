import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { startRedis, type Redis } from "../../test/helpers/redis.ts";
import { RedisRegistry } from "./redis-registry.ts";
import { ids, nodeA, nodeB, registryConformance, sleep, until } from "./registry.conformance.ts";
import { RegistryUnavailableError } from "./registry.ts";

let redis: Redis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});

let prefix = "";
let tests = 0;

describe("RedisRegistry: conformance", () => {
  registryConformance({
    reset: () => void (prefix = `t${++tests}:`),
    make: (node, leaseMs) => new RedisRegistry(node, redis.url, { leaseMs, prefix }),
  });
});

describe("RedisRegistry", () => {
  test("junk in Redis is ignored, never thrown", async () => {
    const a = new RedisRegistry(nodeA, redis.url, { prefix: "junk:", leaseMs: 600 });
    const raw = new RedisClient(redis.url);
    try {
      await a.announce("p", { role: "origin", hops: 0, upstream: null });
      await raw.send("SADD", ["junk:hs:p", "x", "y", "b"]);
      await raw.send("SET", ["junk:h:p|x", "{not json"]);
      await raw.send("SET", ["junk:h:p|y", JSON.stringify({ ...nodeB, nodeId: "y", role: "origin", hops: 3, upstream: null, load: 0 })]);
      await raw.send("SET", ["junk:h:p|b", JSON.stringify({ ...nodeB, role: "relay", hops: 1, upstream: "a", load: 0 })]); // filed under b but says b: fine
      await raw.send("SET", ["junk:node:zz", "[]"]);
      await raw.send("ZADD", ["junk:nodes", "1", "zz"]);
      await raw.send("ZADD", ["junk:paths", String(Date.now()), "q"]);
      expect(ids(await a.locate("p"))).toEqual(["a", "b"]);
      expect((await a.nodes()).map((n) => n.nodeId)).toEqual(["a"]);
      expect((await a.paths()).map((p) => p.path)).toEqual(["p"]);
      // the heartbeat trims index members not refreshed for a minute (node zz: scored 1)
      await until(async () => (await raw.send("ZRANGE", ["junk:nodes", "0", "-1"])) as string[], (m) => !m.includes("zz"), 5000);
      expect(await raw.send("ZRANGE", ["junk:nodes", "0", "-1"])).toEqual(["a"]);
    } finally {
      raw.close();
      await a.close();
    }
  });

  test(
    "Redis stopped for 10 s: claims are kept, lookups fail with RegistryUnavailableError, and after the restart lookups work and held paths are re-announced",
    async () => {
      const leaseMs = 900;
      const a = new RedisRegistry(nodeA, redis.url, { leaseMs, prefix: "outage:", commandTimeoutMs: 500 });
      const b = new RedisRegistry(nodeB, redis.url, { leaseMs, prefix: "outage:", commandTimeoutMs: 500 });
      try {
        await a.announce("live/cam1", { role: "origin", hops: 0, upstream: null });
        await b.announce("live/cam1", { role: "relay", hops: 1, upstream: "a" });
        expect(ids(await b.locate("live/cam1"))).toEqual(["a", "b"]);

        await redis.stop();
        const stoppedAt = Date.now();
        const failure = await b.locate("live/cam1").catch((e) => e);
        expect(failure).toBeInstanceOf(RegistryUnavailableError);
        expect(String(failure.message)).toStartWith(`cluster registry unavailable: ${redis.url}`);
        expect(await a.nodes().catch((e) => e)).toBeInstanceOf(RegistryUnavailableError);
        // a claim made during the outage resolves and is written once Redis is back
        await a.announce("live/cam2", { role: "origin", hops: 0, upstream: null });
        let lookups = 0;
        while (Date.now() - stoppedAt < 10_000) {
          expect(await b.locate("live/cam1").catch((e) => e)).toBeInstanceOf(RegistryUnavailableError);
          lookups++;
          await sleep(500);
        }
        expect(lookups).toBeGreaterThan(5);

        await redis.start(); // empty: no persistence
        const restartedAt = Date.now();
        const cam1 = await until(() => b.locate("live/cam1").catch(() => []), (hs) => hs.length === 2, 10_000);
        const cam2 = await until(() => b.locate("live/cam2").catch(() => []), (hs) => hs.length === 1, 10_000);
        console.log(`redis outage 10 s: lookups work again ${Date.now() - restartedAt} ms after the restart`);
        expect(ids(cam1)).toEqual(["a", "b"]);
        expect(ids(cam2)).toEqual(["a"]);
        expect((await b.nodes()).map((n) => n.nodeId).sort()).toEqual(["a", "b"]);
      } finally {
        await a.close();
        await b.close();
      }
    },
    40_000,
  );
});

describe("RedisRegistry: ordering", () => {
  test("a withdraw right after an announce leaves no claim behind", async () => {
    const a = new RedisRegistry(nodeA, redis.url, { prefix: "order:" });
    const raw = new RedisClient(redis.url);
    try {
      for (let i = 0; i < 20; i++) {
        const announced = a.announce(`p${i}`, { role: "origin", hops: 0, upstream: null });
        const withdrawn = a.withdraw(`p${i}`);
        await Promise.all([announced, withdrawn]);
      }
      expect(await a.paths()).toEqual([]);
      expect(await raw.send("KEYS", ["order:h:*"])).toEqual([]);
    } finally {
      raw.close();
      await a.close();
    }
  });
});
