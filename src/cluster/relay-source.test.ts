import { afterEach, expect, test } from "bun:test";
import { Logger } from "../core/log.ts";
import { PathTable, type SourceProvider } from "../core/path-table.ts";
import { MemoryRegistry, MemoryRegistryStore } from "./memory-registry.ts";
import { RelaySource } from "./relay-source.ts";

const registries: MemoryRegistry[] = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.close();
});

function setup(lingerMs: number) {
  const sources: SourceProvider[] = [];
  const paths = new PathTable({ graceMs: 1000, takeover: false, ringBytes: 1 << 16, ringFrames: 256, sources, sourceLingerMs: lingerMs });
  const registry = new MemoryRegistry({ nodeId: "B", region: "eu", datacenter: "eu-1", address: "127.0.0.1:1" }, new MemoryRegistryStore(), { leaseMs: 3000 });
  registries.push(registry);
  const source = new RelaySource(paths, registry, { secret: "unit-test-secret-0123456789", excludeMs: 1000 }, new Logger("test"));
  sources.push(source);
  return { paths, source, registry };
}

test("one pull per stream however many readers; it stops after the linger once the last reader leaves", async () => {
  const { paths, source } = setup(50);
  const s = paths.read("live/a");
  s.addReader("rtmp");
  for (let i = 0; i < 99; i++) {
    paths.read("live/a").addReader("rtmp");
  }
  expect(source.pulls.size).toBe(1);
  for (let i = 0; i < 100; i++) {
    s.removeReader("rtmp");
    paths.readerLeft(s);
  }
  await Bun.sleep(120);
  expect(source.pulls.size).toBe(0);
});

test("a reader that joins during the linger without read() (an HLS segmenter) keeps the pull; its leaving stops it", async () => {
  const { paths, source } = setup(50);
  // Segmenters.resolve: read, readerLeft (nothing watched yet), then the segmenter adds its reader.
  const s = paths.read("live/a");
  paths.readerLeft(s);
  s.addReader("cmaf");
  await Bun.sleep(120); // the linger passes while the segmenter reads
  expect(source.pulls.size).toBe(1);
  s.removeReader("cmaf");
  paths.readerLeft(s);
  await Bun.sleep(120);
  expect(source.pulls.size).toBe(0);
});

test("a path published here after a reader asked is not looked up while that publisher lasts", async () => {
  const { paths, registry } = setup(1000);
  let lookups = 0;
  const locate = registry.locate.bind(registry);
  registry.locate = (path) => (lookups++, locate(path));
  paths.read("live/a").addReader("rtmp");
  await Bun.sleep(600); // nobody holds it: looked up every 250 ms
  expect(lookups).toBeGreaterThanOrEqual(2);
  paths.publish("live/a", { protocol: "rtmp", remoteAddress: "test", close() {} });
  await Bun.sleep(300);
  const before = lookups;
  await Bun.sleep(900);
  expect(lookups).toBe(before);
});
