import { PUMP_BLOCKED, PUMP_DONE, PUMP_LOST, PUMP_SKIPPED, RingCursor } from "../../core/ring-cursor.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import { ACK_WINDOW, type RtmpSession } from "./session.ts";
import { encodeCommand } from "./wire/amf0.ts";
import { encodeMessage } from "./wire/chunk-encoder.ts";
import * as ctl from "./wire/control.ts";
import { onStatus } from "./wire/amf0.ts";
import { COMMAND_AMF0, CSID_COMMAND, UserControl } from "./wire/message-types.ts";
import type { RingReader } from "../../core/ring-writer.ts";
import { RtmpWriter } from "./writer.ts";

export interface EgressLimits {
  /** A viewer this far behind (ms of media) skips to the newest keyframe. */
  maxViewerLagMs: number;
  /** A viewer whose socket takes nothing for this long is disconnected. */
  viewerDropMs: number;
  /** A viewer that skips this many times without catching up in between is disconnected. */
  maxSkips: number;
}

/** Control bytes (status, headers) a viewer may have queued; beyond it the viewer is gone. */
const MAX_PENDING_CONTROL = 4 * 1024 * 1024;

/**
 * One RTMP viewer: a cursor into the stream's RtmpWriter ring, plus the few bytes that are its own
 * (status messages, headers on join). Nothing is queued per viewer beyond what the socket did not
 * take of those control bytes; media is always read from the shared ring.
 */
export class RtmpEgress implements RingReader {
  readonly writer: RtmpWriter;
  readonly cursor: RingCursor;
  private control: Uint8Array | null;
  private headersSent: boolean;
  private blockedSinceMs: number;
  private behindSinceMs: number;
  private consecutiveSkips: number;
  private detached: boolean;
  /** Why the viewer was dropped (for the log and tests), null while it is served. */
  dropReason: string | null;

  constructor(
    readonly session: RtmpSession,
    readonly stream: Stream,
    readonly msgStreamId: number,
    unsentControl: Uint8Array | null = null,
  ) {
    const chunkSize = session.opts.chunkSize;
    // One writer per chunk size and per set of codecs withheld from the player (legacy players
    // get the tracks they can decode): shared by every viewer alike, made once per stream.
    const withheld = session.codecs.withheld();
    const format = withheld.length ? `rtmp/${chunkSize}/without:${withheld.join(",")}` : `rtmp/${chunkSize}`;
    this.writer = stream.writer(format, (s) => new RtmpWriter(s, chunkSize, new Set(withheld)));
    const held = stream.tracks.filter((t) => t && withheld.includes(t.codec)).map((t) => t!.codec);
    if (held.length) session.log.info("player announced no Enhanced RTMP support: tracks withheld", { path: stream.path, codecs: held });
    this.cursor = new RingCursor(this.writer.ring);
    this.control = unsentControl;
    this.headersSent = false;
    this.blockedSinceMs = 0;
    this.behindSinceMs = 0;
    this.consecutiveSkips = 0;
    this.detached = false;
    this.dropReason = null;
    stream.addReader(session.opts.protocol);
    this.writer.add(this);
    this.pump();
  }

  /** Per-viewer bytes (commands, control, headers), kept in order with the media. */
  sendControl(bytes: Uint8Array): void {
    if (this.control || !this.cursor.atBoundary) {
      this.queue(bytes);
      return;
    }
    const n = this.write(bytes, 0, bytes.length);
    if (n < bytes.length) this.queue(bytes.subarray(n));
  }

  pump(): void {
    if (this.detached) return;
    if (this.blockedSinceMs > 0) {
      // Waiting for drain: only check whether it has waited too long.
      if (performance.now() - this.blockedSinceMs > this.session.opts.viewerDropMs) this.drop("socket took nothing for too long");
      return;
    }
    const behind = this.behind();
    if (behind === null) return;
    const maxLagMs = this.session.opts.maxViewerLagMs;
    const cur = this.cursor;
    if (this.control) {
      const st = cur.finishEntry(this);
      if (st === PUMP_LOST) return this.drop("fell behind mid-message");
      if (st === PUMP_BLOCKED) {
        this.blockedSinceMs = performance.now();
        return;
      }
      if (!this.flushControl()) return;
    }
    if (!this.headersSent && !cur.waitKey && cur.seq < this.writer.ring.head) this.sendHeaders();
    for (let guard = 0; guard < 8; guard++) {
      const before = cur.bytesSent;
      const skipsBefore = cur.skips;
      const st = cur.pump(this, maxLagMs);
      this.stream.bytesOut += cur.bytesSent - before;
      if (st === PUMP_DONE) {
        if (!behind) this.consecutiveSkips = 0; // caught up, and the peer says so
        return;
      }
      if (st === PUMP_BLOCKED) {
        this.blockedSinceMs = performance.now();
        return;
      }
      if (st === PUMP_LOST) return this.drop("fell behind mid-message");
      // PUMP_SKIPPED: at a keyframe it did not reach in order (a skip, or the first keyframe); headers first.
      if (cur.skips > skipsBefore && !this.skipped()) return;
      this.sendHeaders();
      if (this.control) return;
    }
  }

  /**
   * Whether the viewer is behind by its acknowledgements (the kernel still takes bytes, so the
   * cursor cannot tell). Behind: nothing more is sent until the next keyframe, so what is queued
   * drains and the viewer resumes at a fresh picture. Too far behind, or behind (keyframes only, at
   * best) for viewerDropMs: disconnected, and null is returned.
   */
  private behind(): boolean | null {
    const dropMs = this.session.opts.viewerDropMs;
    if (this.cursor.lagMs() > dropMs) return this.drop(`more than ${dropMs} ms behind`), null;
    const unackedMs = this.unackedMs();
    if (unackedMs > dropMs) return this.drop(`${Math.round(unackedMs)} ms of media sent but not acknowledged`), null;
    const behind = unackedMs > this.session.opts.maxViewerLagMs;
    if (!behind) this.behindSinceMs = 0;
    else if (this.behindSinceMs === 0) this.behindSinceMs = performance.now();
    else if (performance.now() - this.behindSinceMs > dropMs) return this.drop(`behind for more than ${dropMs} ms`), null;
    if (behind && this.cursor.skipToNextKey() && !this.skipped()) return null;
    return behind;
  }

  /** Counts a skip; returns false when it was one too many in a row (the viewer is dropped). */
  private skipped(): boolean {
    this.stream.viewerSkips++;
    if (++this.consecutiveSkips <= this.session.opts.maxSkips) return true;
    this.drop(`skipped ${this.consecutiveSkips} times without catching up`);
    return false;
  }

  onDrain(): void {
    this.blockedSinceMs = 0;
    this.pump();
  }

  onTracks(): void {
    // Configuration changes reach live viewers in order through the ring; a viewer that has not
    // started yet picks the new headers up when it does.
  }

  onState(state: StreamState): void {
    if (state !== "ended") return;
    // §7.1.7 StreamEOF, then the status codes players stop on.
    this.sendControl(ctl.controlMessage(ctl.encodeUserControlTo, UserControl.StreamEOF, this.msgStreamId));
    this.status("NetStream.Play.UnpublishNotify", `${this.stream.path} is now unpublished.`);
    this.status("NetStream.Play.Stop", `Stopped playing ${this.stream.path}.`);
    this.detach();
    this.session.transport.end();
  }

  /** Leaves the writer (the last viewer out closes it). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.writer.remove(this);
    this.stream.removeReader(this.session.opts.protocol);
    this.session.paths.readerLeft(this.stream);
  }

  /** ByteSink for the cursor. */
  write(data: Uint8Array, offset: number, length: number): number {
    const n = this.session.transport.write(data, offset, length);
    this.session.bytesOut += n;
    return n;
  }

  /**
   * Media time between what we wrote and what the viewer acknowledged (RTMP 1.0 §5.4.3), less one
   * window (acks come once per window): how far behind it is, kernel buffers included. 0 for
   * viewers that never acknowledge and before the stream's bitrate is known.
   */
  unackedMs(): number {
    const acked = this.session.peerAcked;
    const bitrate = this.stream.bitrate;
    if (acked < 0 || bitrate < 1000) return 0;
    const unacked = (this.session.bytesOut - acked) % 0x100000000; // the ack's sequence number wraps at 2^32
    const behind = (unacked < 0 ? unacked + 0x100000000 : unacked) - ACK_WINDOW;
    return behind > 0 ? (behind * 8000) / bitrate : 0;
  }

  private sendHeaders(): void {
    this.headersSent = true;
    this.sendControl(this.writer.headers(this.writer.keyMs));
  }

  private status(code: string, text: string): void {
    const body = encodeCommand("onStatus", 0, null, onStatus("status", code, text, { details: this.stream.path }));
    this.sendControl(encodeMessage(CSID_COMMAND, 0, COMMAND_AMF0, this.msgStreamId, this.session.opts.chunkSize, body));
  }

  private queue(bytes: Uint8Array): void {
    const have = this.control?.length ?? 0;
    if (have + bytes.length > MAX_PENDING_CONTROL) return this.drop("control queue over its bound");
    const next = new Uint8Array(have + bytes.length); // rare: only when the socket is full
    if (this.control) next.set(this.control);
    next.set(bytes, have);
    this.control = next;
  }

  /** Returns true when all queued control bytes went out. */
  private flushControl(): boolean {
    const c = this.control!;
    const n = this.write(c, 0, c.length);
    if (n === c.length) {
      this.control = null;
      return true;
    }
    this.control = c.subarray(n);
    this.blockedSinceMs = performance.now();
    return false;
  }

  private drop(reason: string): void {
    if (this.detached) return;
    this.dropReason = reason;
    this.session.log.warn("viewer dropped", { path: this.stream.path, reason });
    this.stream.droppedViewers++;
    this.detach();
    this.session.close(reason);
    this.session.transport.end();
  }
}
