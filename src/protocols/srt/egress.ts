import type { PathTable } from "../../core/path-table.ts";
import { PUMP_DONE, PUMP_SKIPPED, RingCursor } from "../../core/ring-cursor.ts";
import type { RingReader } from "../../core/ring-writer.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import type { SrtSession } from "./session.ts";
import { TsWriter } from "./writer.ts";

/** Seven TS packets: what fits an SRT payload on a 1500-byte MTU, as every SRT tool sends. */
export const TS_PER_SRT_PAYLOAD = 7 * 188;

/**
 * One SRT viewer: a cursor into the stream's TsWriter ring. The TS bytes are the same for every
 * viewer; the session adds its own header (sequence numbers, timestamps) and encryption, and keeps
 * what it sent for retransmission until acknowledged or too late (its own bound). An SRT sender is
 * never blocked by the peer, so the cursor never lags: a slow peer shows as SRT-level drops.
 */
export class SrtEgress implements RingReader {
  readonly writer: TsWriter;
  readonly cursor: RingCursor;
  private detached: boolean;

  constructor(
    readonly session: SrtSession,
    readonly stream: Stream,
    readonly paths: PathTable,
    private readonly nowUs: () => number,
  ) {
    this.writer = stream.writer("mpegts", (s) => new TsWriter(s));
    this.cursor = new RingCursor(this.writer.ring);
    this.detached = false;
    stream.addReader("srt");
    this.writer.add(this);
    this.pump();
  }

  pump(): void {
    if (this.detached) return;
    // TS carries its own PAT/PMT at every join point: a skip needs nothing re-sent first.
    for (let guard = 0; guard < 8; guard++) {
      const before = this.cursor.bytesSent;
      const st = this.cursor.pump(this, Number.POSITIVE_INFINITY);
      this.stream.bytesOut += this.cursor.bytesSent - before;
      if (st !== PUMP_SKIPPED) return void (st === PUMP_DONE);
    }
  }

  /** ByteSink: TS bytes out as SRT payloads of seven packets (the tail of a run may be shorter). */
  write(data: Uint8Array, offset: number, length: number): number {
    const now = this.nowUs();
    const end = offset + length;
    for (let p = offset; p < end; p += TS_PER_SRT_PAYLOAD) {
      if (!this.session.send(data.subarray(p, Math.min(p + TS_PER_SRT_PAYLOAD, end)), now)) return p - offset;
    }
    return length;
  }

  onTracks(): void {}

  onState(state: StreamState): void {
    if (state !== "ended") return;
    this.detach();
    this.session.close(this.nowUs()); // SRT shutdown: the reader sees the end of the stream
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.writer.remove(this);
    this.stream.removeReader("srt");
    this.paths.readerLeft(this.stream);
  }
}
