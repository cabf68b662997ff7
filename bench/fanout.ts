/**
 * The fan-out hot path: a frame into the stream's ring → RTMP chunks encoded once → written to N
 * viewers (fake sockets that take everything, so the figure is spate's own cost, not the kernel's).
 * Reports ns per frame, ns per frame per viewer and heap bytes allocated per frame at 10 and 1,000
 * viewers. `bun bench/fanout.ts --json` prints the figures for bench/check.ts.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { Logger } from "../src/core/log.ts";
import { PathTable } from "../src/core/path-table.ts";
import type { Stream } from "../src/core/stream.ts";
import { describeAvcConfig } from "../src/codecs/h264.ts";
import { fixture } from "../src/codecs/h264.cases.ts";
import { RtmpEgress } from "../src/protocols/rtmp/egress.ts";
import { RtmpSession, type RtmpTransport } from "../src/protocols/rtmp/session.ts";

/** A socket that takes every byte (and counts them). */
class NullTransport implements RtmpTransport {
  readonly remoteAddress = "bench";
  bytes = 0;
  write(data: Uint8Array): number {
    this.bytes += data.length;
    return data.length;
  }
  end(): void {}
}

// 2.5 Mbit/s at 30 fps: ~10 KB per frame, a 100 KB keyframe every 2 s.
const FRAME_BYTES = 10_000;
const KEY_BYTES = 100_000;
const GOP = 60;

export interface FanoutFixture {
  stream: Stream;
  viewers: RtmpEgress[];
  transports: NullTransport[];
  push(): void;
}

export function fanoutFixture(viewers: number): FanoutFixture {
  const opts = { graceMs: 1000, takeover: false, ringBytes: 16 << 20, ringFrames: 4096 };
  const paths = new PathTable(opts);
  const log = new Logger("bench");
  const publisher = { protocol: "bench", remoteAddress: "bench", close() {} };
  const stream = paths.publish("bench/a", publisher);
  const track = stream.ensureTrack("h264", 90000);
  const config = fixture("h264-high-720p.avcc"); // a real x264 1280x720 High record
  stream.setConfig(track, config, describeAvcConfig(config));
  const payload = new Uint8Array(KEY_BYTES).fill(7);
  let n = 0;
  const push = () => {
    const key = n % GOP === 0;
    stream.push(payload.subarray(0, key ? KEY_BYTES : FRAME_BYTES), track.id, n * 3000, n * 3000, key);
    stream.flush();
    n++;
  };
  push();
  const sessionOpts = { protocol: "rtmp" as const, chunkSize: 4096, maxViewerLagMs: 1e9, viewerDropMs: 1e9, maxSkips: 1e9 };
  const transports: NullTransport[] = [];
  const list: RtmpEgress[] = [];
  for (let i = 0; i < viewers; i++) {
    const t = new NullTransport();
    const session = new RtmpSession(t, paths, sessionOpts, log);
    session.phase = "ready";
    list.push(new RtmpEgress(session, stream, 1));
    transports.push(t);
  }
  for (let i = 0; i < GOP; i++) push(); // warm up: steady state, JIT settled
  return { stream, viewers: list, transports, push };
}

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
