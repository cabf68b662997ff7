/**
 * Fuzz target: whole RTMP connections (handshake, commands, metadata, sequence headers, media) fed
 * to an RtmpSession publishing into, or playing from, a real PathTable. Whatever the bytes, the
 * session may only throw ProtocolError, and the server-side state must stay usable.
 */
import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { Logger, configureLog } from "../../core/log.ts";
import { PathTable } from "../../core/path-table.ts";
import { RtmpSession, type RtmpTransport } from "./session.ts";
import { playSession, publishSession } from "./session.cases.ts";

const transport: RtmpTransport = { remoteAddress: "fuzz:1", write: (_d, _o, n) => n, end() {} };
const log = new Logger("fuzz");
const OPTS = { protocol: "rtmp" as const, chunkSize: 4096, maxViewerLagMs: 3000, viewerDropMs: 10000, maxSkips: 5 };


export const target: FuzzTarget = {
  name: "rtmp/session",
  seeds: [publishSession, playSession],
  maxInputBytes: 16384,
  run(input: Uint8Array) {
    configureLog({ level: "error" });
    const paths = new PathTable({ graceMs: 0, takeover: false, ringBytes: 1 << 18, ringFrames: 256 });
    const session = new RtmpSession(transport, paths, OPTS, log);
    try {
      // Two reads, split in the middle: partial input must not matter.
      const cut = input.length >> 1;
      session.feed(input.subarray(0, cut));
      session.feed(input.subarray(cut));
    } finally {
      session.close("fuzz input over");
      paths.close();
    }
    return session.phase;
  },
};
