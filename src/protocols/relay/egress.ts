import type { PathTable } from "../../core/path-table.ts";
import { PUMP_BLOCKED, PUMP_DONE, PUMP_LOST, RingCursor, type ByteSink } from "../../core/ring-cursor.ts";
import type { RingReader } from "../../core/ring-writer.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import { describeTracks, RelayWriter } from "./writer.ts";
import { encodeState, encodeTracks, type RelayState } from "./wire/message.ts";

/** The connection to one downstream node, as the egress sees it (a WebSocket in the listener). */
export interface RelayTransport {
  /**
   * Sends one chunk of whole messages; returns false when the transport has too much queued and
   * nothing was sent. `control` messages (small, per downstream) are always queued.
   */
  send(bytes: Uint8Array, control?: boolean): boolean;
  close(reason: string): void;
}

export interface RelayEgressLimits {
  /** A downstream this far behind (ms of media) skips to the newest keyframe. */
  maxViewerLagMs: number;
  /** A downstream that takes nothing for this long is disconnected. */
  viewerDropMs: number;
}

function relayState(s: StreamState): RelayState {
  return s === "live" ? "live" : s === "ended" ? "ended" : "waiting";
}

/**
 * One downstream node pulling a stream: a cursor into the stream's RelayWriter ring, like any
 * viewer. It gets the tracks and the publisher state when it starts (at a keyframe) and after a skip;
 * everything else is the writer's shared bytes. A slow downstream skips to the newest keyframe, and
 * one whose connection takes nothing for viewerDropMs is disconnected: it never grows memory.
 */
export class RelayEgress implements RingReader, ByteSink {
  readonly writer: RelayWriter;
  readonly cursor: RingCursor;
  private blockedSinceMs: number;
  private detached: boolean;
  private headersSent: boolean;
  bytesSent: number;
  dropReason: string | null;

  constructor(
    readonly stream: Stream,
    readonly paths: PathTable,
    readonly transport: RelayTransport,
    readonly limits: RelayEgressLimits,
    /** The downstream node's id (API, logs). */
    readonly downstream: string,
  ) {
    this.writer = stream.writer("relay", (s) => new RelayWriter(s));
    this.cursor = new RingCursor(this.writer.ring);
    this.blockedSinceMs = 0;
    this.detached = false;
    this.headersSent = false;
    this.bytesSent = 0;
    this.dropReason = null;
    stream.addReader("relay");
    this.writer.add(this);
    // Until its first keyframe the downstream knows where the stream stands (idle counts as waiting).
    this.transport.send(encodeState(relayState(stream.state)), true);
    this.pump();
  }

  pump(): void {
    if (this.detached) return;
    if (this.blockedSinceMs > 0) {
      if (performance.now() - this.blockedSinceMs > this.limits.viewerDropMs) this.drop("took nothing for too long");
      return;
    }
    const cur = this.cursor;
    // A cursor that starts on the newest keyframe does not report a skip: the tracks go first.
    if (!this.headersSent && !cur.waitKey && cur.seq < this.writer.ring.head) this.sendHeaders();
    for (let guard = 0; guard < 8; guard++) {
      const before = cur.bytesSent;
      const st = cur.pump(this, this.limits.maxViewerLagMs);
      this.stream.bytesOut += cur.bytesSent - before;
      if (st === PUMP_DONE) return;
      if (st === PUMP_BLOCKED) {
        this.blockedSinceMs = performance.now();
        return;
      }
      if (st === PUMP_LOST) return this.drop("fell behind mid-message");
      // PUMP_SKIPPED: at a keyframe it did not reach in order; it needs the tracks first.
      if (this.headersSent) this.stream.viewerSkips++;
      this.sendHeaders();
    }
  }

  private sendHeaders(): void {
    this.headersSent = true;
    this.transport.send(encodeTracks(describeTracks(this.stream)), true);
    this.transport.send(encodeState(relayState(this.stream.state)), true);
  }

  /** ByteSink: whole runs of messages or nothing (a WebSocket message is all or nothing). */
  write(data: Uint8Array, offset: number, length: number): number {
    if (!this.transport.send(data.subarray(offset, offset + length))) return 0;
    this.bytesSent += length;
    return length;
  }

  onDrain(): void {
    this.blockedSinceMs = 0;
    this.pump();
  }

  onTracks(): void {
    // In the ring, in order with the frames (RelayWriter.onTracks).
  }

  onState(state: StreamState): void {
    if (state === "ended") {
      this.transport.send(encodeState("ended"), true);
      this.detach();
      this.transport.close("stream ended");
      return;
    }
    // A cursor waiting for its first keyframe passes the ring's state entries over.
    if (this.cursor.waitKey) this.transport.send(encodeState(relayState(state)), true);
  }

  /** The connection closed, or the downstream is dropped: leave the writer (the last one closes it). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.writer.remove(this);
    this.stream.removeReader("relay");
    this.paths.readerLeft(this.stream);
  }

  private drop(reason: string): void {
    this.dropReason = reason;
    this.stream.droppedViewers++;
    this.detach();
    this.transport.close(`dropped: ${reason}`);
  }
}
