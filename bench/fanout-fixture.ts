/** The fan-out fixture shared by the mitata benchmark and the allocation probe: one stream, N RTMP viewers on null sockets. */
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
  write(_data: Uint8Array, _offset: number, length: number): number {
    this.bytes += length;
    return length;
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

