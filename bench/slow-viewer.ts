/**
 * Does a viewer that stops reading hurt the others? Starts a spate server, runs `spate bench rtmp`
 * against it twice — N viewers alone, then the same N with K stalled viewers (TCP window closed)
 * on the same stream — and compares the healthy viewers' latency. Fails (exit 1) when the p99 with
 * stalled viewers is beyond noise: more than 1.5x the clean p99 plus 3 ms, or any frame lost.
 *
 *   bun bench/slow-viewer.ts [--viewers 200] [--stalled 20] [--duration 15]
 */
import { parseArgs } from "node:util";
import { runRtmpBench } from "../src/bench/rtmp.ts";

const { values } = parseArgs({ options: { viewers: { type: "string" }, stalled: { type: "string" }, duration: { type: "string" } } });
const viewers = Number(values.viewers ?? 200);
const stalledCount = Number(values.stalled ?? 20);
const durationS = Number(values.duration ?? 15);

const proc = Bun.spawn([process.execPath, import.meta.dir + "/../src/main.ts", "serve", "--http-port", "0", "--rtmp-port", "0", "--streams-viewer-drop-ms", "5000"], {
  stdout: "pipe",
  stderr: "inherit",
  env: { ...process.env, SPATE_LOG_LEVEL: "error" },
});
const reader = proc.stdout.getReader();
let text = "";
let ports: { rtmp: number; http: number } | null = null;
while (!ports) {
  const { value, done } = await reader.read();
  if (done) throw new Error("spate exited before listening");
  text += new TextDecoder().decode(value);
  const line = text.split("\n").find((l) => l.includes('"listening"'));
  if (line) ports = JSON.parse(line);
}

try {
  const run = (path: string, stalled: number) =>
    runRtmpBench({ url: `rtmp://127.0.0.1:${ports!.rtmp}/live/${path}`, viewers, durationS, bitrateMbps: 2.5, fps: 30, gopS: 2, rampMs: 2000, pid: proc.pid, stalled });
  const clean = await run("clean", 0);
  const withStalled = await run("stalled", stalledCount);
  const stream = (await (await fetch(`http://127.0.0.1:${ports.http}/api/v1/streams/live/stalled`)).json()) as { droppedViewers: number };
  const row = (name: string, r: typeof clean) =>
    `${name.padEnd(22)} p50 ${r.latencyMs.p50.toFixed(2).padStart(6)}  p99 ${r.latencyMs.p99.toFixed(2).padStart(6)}  max ${r.latencyMs.max.toFixed(1).padStart(6)} ms  lost ${r.frames.lost}  server ${Math.round(r.cpu.serverPercent ?? NaN)} %`;
  console.log(`${viewers} viewers of a 2.5 Mbit/s stream, ${durationS} s each`);
  console.log(row("alone", clean));
  console.log(row(`with ${stalledCount} stalled`, withStalled));
  console.log(`stalled viewers dropped by the server: ${stream.droppedViewers} of ${stalledCount}`);
  const limit = clean.latencyMs.p99 * 1.5 + 3;
  const ok = withStalled.latencyMs.p99 <= limit && withStalled.frames.lost === 0;
  console.log(ok ? `ok: p99 ${withStalled.latencyMs.p99.toFixed(2)} ms within noise (limit ${limit.toFixed(2)} ms)` : `FAIL: p99 ${withStalled.latencyMs.p99.toFixed(2)} ms > ${limit.toFixed(2)} ms or frames lost`);
  process.exitCode = ok ? 0 : 1;
} finally {
  proc.kill();
}
