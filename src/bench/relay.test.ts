import { expect, test } from "bun:test";
import { runBench } from "./cli.ts";
import { relayReportText, runRelayBench } from "./relay.ts";

test("spate bench relay: a 1-hop and a 2-hop chain in this process, every hop measured", async () => {
  const r = await runRelayBench({ hops: [1, 2], durationS: 1, bitrateMbps: 1, fps: 30, gopS: 1 });
  expect(r.chains.map((c) => c.perHop.length)).toEqual([1, 2]);
  for (const c of r.chains) {
    for (const h of [...c.perHop, c.endToEnd]) {
      expect(h.samples).toBeGreaterThan(30); // video and audio frames of one second
      expect(h.p99).toBeGreaterThanOrEqual(h.p50);
      expect(h.max).toBeGreaterThanOrEqual(h.p99);
    }
    // origin to the last node spans every hop
    expect(c.endToEnd.p50).toBeGreaterThanOrEqual(Math.max(...c.perHop.map((h) => h.p50)) * 0.5);
  }
  expect(relayReportText(r)).toContain("n1->n2");
}, 60_000);

test("spate bench relay: bad flags are usage errors", async () => {
  const err: string[] = [];
  const io = { out: () => {}, err: (t: string) => void err.push(t) };
  expect(await runBench(["relay", "--hops", "0,4"], io)).toBe(2);
  expect(await runBench(["relay", "--registry", "redis://127.0.0.1:1"], io)).toBe(2);
  expect(err.join("")).toContain("--hops must list integers from 1 to 3");
  expect(err.join("")).toContain("--registry goes with --processes");
});
