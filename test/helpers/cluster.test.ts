import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import { startCluster } from "./cluster.ts";

test("startCluster: nodes with their labels on one redis-server; kill() is a SIGKILL; stop() ends everything", async () => {
  const cluster = await startCluster([
    { id: "A", region: "eu", datacenter: "eu-1" },
    { id: "D", region: "us", datacenter: "us-1" },
  ]);
  try {
    for (const [id, region, datacenter] of [["A", "eu", "eu-1"], ["D", "us", "us-1"]] as const) {
      const server = await cluster.node(id).api("/api/v1/server");
      expect(server.node).toMatchObject({ id, region, datacenter });
    }
    expect(cluster.secret.length).toBeGreaterThanOrEqual(16);
    const redis = new RedisClient(cluster.redis.url);
    expect(await redis.send("PING", [])).toBe("PONG");
    redis.close();
    const exit = await cluster.node("D").kill();
    expect(exit.signal).toBe("SIGKILL");
    expect(() => cluster.node("Z")).toThrow("no node Z");
  } finally {
    await cluster.stop();
  }
  expect(cluster.redis.running).toBe(false);
  expect(cluster.nodes.every((n) => n.proc.exitCode !== null || n.proc.signalCode !== null)).toBe(true);
}, 60_000);
