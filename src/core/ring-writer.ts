import { ByteRing } from "./byte-ring.ts";
import type { Frame } from "./frame.ts";
import type { Stream, StreamState, Writer } from "./stream.ts";

/** A reader of a writer's ring (one viewer): a cursor the writer pumps after each batch. */
export interface RingReader {
  /** New bytes in the ring: send what the connection takes. */
  pump(): void;
  onTracks(): void;
  onState(state: StreamState): void;
}

/**
 * What every per-format writer shares: its output ring (sized from the stream's, retaining as much
 * media), its readers, and the catch-up from the newest keyframe when it is created, so its first
 * reader starts with a picture at once. Subclasses encode one frame into the ring (`onFrame`) and
 * call `catchUp()` at the end of their constructor. Created by the first reader of its format,
 * closed with the last.
 */
export abstract class RingWriter<R extends RingReader> implements Writer {
  abstract readonly format: string;
  readonly ring: ByteRing;
  readonly readers: R[];

  /** `overheadShift`: the output is about input × (1 + 2^-shift) bytes (container overhead). */
  constructor(
    readonly stream: Stream,
    overheadShift: number,
  ) {
    const bytes = stream.ring.buf.length;
    this.ring = new ByteRing(bytes + (bytes >> overheadShift), stream.ring.capacity);
    this.ring.retainMs = stream.ring.retainMs;
    this.readers = [];
  }

  abstract onFrame(f: Frame): void;

  protected catchUp(): void {
    const r = this.stream.ring;
    const from = r.joinSeq();
    if (from >= 0) for (let s = from; s < r.head; s++) this.onFrame(r.frame(s));
  }

  /** A keyframe of the stream's key track (video when there is video): where a reader may start. */
  protected isJoin(f: Frame): boolean {
    const keyTrack = this.stream.ring.keyTrack;
    return f.keyframe && (keyTrack < 0 || f.track === keyTrack);
  }

  add(reader: R): void {
    this.readers.push(reader);
  }

  /** Returns true when it was the last reader (the writer is then closed). */
  remove(reader: R): boolean {
    const i = this.readers.indexOf(reader);
    if (i >= 0) this.readers.splice(i, 1);
    if (this.readers.length > 0) return false;
    this.stream.removeWriter(this);
    return true;
  }

  flush(): void {
    for (let i = 0; i < this.readers.length; i++) this.readers[i]!.pump();
  }

  onTracks(): void {
    for (const r of this.readers) r.onTracks();
  }

  onState(state: StreamState): void {
    for (const r of [...this.readers]) r.onState(state);
  }
}
