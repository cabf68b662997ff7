/**
 * The fan-out hot path: a frame into the stream's ring → RTMP chunks encoded once → written to N
 * viewers (fake sockets that take everything, so the figure is spate's own cost, not the kernel's).
 * Reports ns per frame, ns per frame per viewer and heap bytes allocated per frame at 10 and 1,000
 * viewers. `bun bench/fanout.ts --json` prints the figures for bench/check.ts.
 */

import { bench, do_not_optimize, run, summary } from "mitata";
import { fanoutFixture } from "./fanout-fixture.ts";

const counts = [10, 1000];
const fixtures = new Map(counts.map((c) => [c, fanoutFixture(c)]));

summary(() => {
  for (const c of counts) {
    const f = fixtures.get(c)!;
    bench(`frame to ${c} RTMP viewers`, () => {
      f.push();
      do_not_optimize(f.transports[0]!.bytes);
    }).gc("inner");
  }
});

const json = process.argv.includes("--json");
const result = await run({ format: json ? "quiet" : "mitata", colors: !json });
const figures = result.benchmarks.map((b) => {
  const viewers = counts[result.benchmarks.indexOf(b)]!;
  const stats = b.runs[0]!.stats!;
  return {
    name: b.alias,
    viewers,
    nsPerFrame: Math.round(stats.avg),
    nsPerFrameViewer: Math.round(stats.avg / viewers),
    heapBytesPerFrame: Math.round(stats.heap?.avg ?? Number.NaN),
  };
});
if (json) console.log(JSON.stringify({ fanout: figures }));
else for (const f of figures) console.log(`${f.name}: ${f.nsPerFrame} ns/frame, ${f.nsPerFrameViewer} ns/frame/viewer, ${f.heapBytesPerFrame} B heap/frame`);
