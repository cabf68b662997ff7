/**
 * `npm run bench`: the hot-path micro-benchmarks, checked against bench/budgets.json. Exits 1 when a
 * budget is exceeded. Figures are printed as a table and, with --json, as one JSON line.
 */
import budgets from "./budgets.json" with { type: "json" };
import { measureAllocations } from "./alloc.ts";

const figures: Record<string, number> = {};

// mitata in its own process: its warm-up and GC settings must not mix with the census below.
const proc = Bun.spawnSync([process.execPath, import.meta.dir + "/fanout.ts", "--json"], { stdout: "pipe", stderr: "inherit" });
const line = proc.stdout.toString().trim().split("\n").at(-1) ?? "";
const fanout = JSON.parse(line).fanout as { viewers: number; nsPerFrame: number; nsPerFrameViewer: number; heapBytesPerFrame: number }[];
for (const f of fanout) {
  figures[`fanout.nsPerFrame@${f.viewers}`] = f.nsPerFrame;
  figures[`fanout.nsPerFrameViewer@${f.viewers}`] = f.nsPerFrameViewer;
  figures[`fanout.heapBytesPerFrame@${f.viewers}`] = f.heapBytesPerFrame;
}
const srtpProc = Bun.spawnSync([process.execPath, import.meta.dir + "/srtp.ts", "--json"], { stdout: "pipe", stderr: "inherit" });
const srtp = JSON.parse(srtpProc.stdout.toString().trim().split("\n").at(-1) ?? "").srtp as { key: string; nsPerPacket: number; objectsPerPacket: number }[];
for (const f of srtp) {
  figures[`srtp.nsPerPacket@${f.key}`] = f.nsPerPacket;
  figures[`srtp.objectsPerPacket@${f.key}`] = f.objectsPerPacket;
}
const rtpProc = Bun.spawnSync([process.execPath, import.meta.dir + "/rtp-fanout.ts", "--json"], { stdout: "pipe", stderr: "inherit" });
const rtp = JSON.parse(rtpProc.stdout.toString().trim().split("\n").at(-1) ?? "").rtpFanout as { figures: { viewers: number; nsPerPacketViewer: number; objectsPerFrame: number }[] };
for (const f of rtp.figures) {
  if (f.viewers === 0) continue;
  figures[`rtpFanout.nsPerPacketViewer@${f.viewers}`] = f.nsPerPacketViewer;
  figures[`rtpFanout.objectsPerFrame@${f.viewers}`] = f.objectsPerFrame;
}
const rtpMost = rtp.figures.at(-1)!;
const rtpLeast = rtp.figures.find((f) => f.viewers > 0)!;
figures["rtpFanout.viewerDependentObjectsPerFrame"] = Math.max(0, Math.round((rtpMost.objectsPerFrame - rtpLeast.objectsPerFrame) * 100) / 100);
const a10 = measureAllocations(10);
const a1000 = measureAllocations(1000);
figures["alloc.objectsPerFrame@10"] = a10.objectsPerFrame;
figures["alloc.objectsPerFrame@1000"] = a1000.objectsPerFrame;
figures["alloc.viewerDependentObjectsPerFrame"] = Math.max(0, Math.round((a1000.objectsPerFrame - a10.objectsPerFrame) * 100) / 100);

let failed = 0;
console.log("figure".padEnd(42) + "value".padStart(12) + "budget".padStart(10));
for (const [k, v] of Object.entries(figures)) {
  const budget = (budgets as Record<string, unknown>)[k];
  const over = typeof budget === "number" && v > budget;
  if (over) failed++;
  console.log(k.padEnd(42) + String(v).padStart(12) + (typeof budget === "number" ? String(budget) : "").padStart(10) + (over ? "  OVER BUDGET" : ""));
}
if (process.argv.includes("--json")) console.log(JSON.stringify(figures));
if (failed) {
  console.error(`${failed} budget(s) exceeded`);
  process.exit(1);
}
console.log("all budgets met");
