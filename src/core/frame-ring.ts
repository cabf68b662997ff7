import { ByteRing } from "./byte-ring.ts";
import { Frame } from "./frame.ts";

/**
 * The stream's only buffer: frame records in preallocated slots, their payloads in one byte ring.
 * Payload bytes are copied into it exactly once, on ingest (or written there directly by an ingest
 * that assembles messages in place); every writer reads views of them. The keyframe index is the
 * ring's `lastKey`: the newest keyframe of the key track (video when there is video), which the
 * ring never evicts, so a late joiner starts at a keyframe at once.
 */
export class FrameRing extends ByteRing {
  frames: Frame[];
  /** Track whose keyframes are the join points (-1: every keyframe of any track, audio-only). */
  keyTrack: number;

  constructor(bytes: number, entries: number) {
    super(bytes, entries);
    this.frames = makeFrames(entries);
    this.keyTrack = -1;
  }

  frame(seq: number): Frame {
    return this.frames[seq & this.mask]!;
  }

  /**
   * Closes a reservation as a frame: the payload is bytes [skip, skip + len) of the reserved view.
   * Returns the frame slot (valid until the ring wraps over it; check `seq`).
   */
  commitFrame(skip: number, len: number, track: number, dts: number, pts: number, keyframe: boolean, ingestMs: number): Frame {
    const joinPoint = keyframe && (this.keyTrack < 0 || track === this.keyTrack);
    const seq = this.commit(skip, len, joinPoint, ingestMs);
    const f = this.frames[seq & this.mask]!;
    f.seq = seq;
    f.track = track;
    f.dts = dts;
    f.pts = pts;
    f.keyframe = keyframe;
    f.payload = this.view(seq);
    f.ingestMs = ingestMs;
    return f;
  }

  /** Copies `payload` in and records the frame. */
  pushFrame(payload: Uint8Array, track: number, dts: number, pts: number, keyframe: boolean, ingestMs: number): Frame {
    this.reserve(payload.length).set(payload);
    return this.commitFrame(0, payload.length, track, dts, pts, keyframe, ingestMs);
  }

  /** The newest join point (a keyframe of the key track), -1 when there is none yet. */
  joinSeq(): number {
    return this.lastKey >= this.tail ? this.lastKey : -1;
  }

  protected override relocated(): void {
    if (this.frames.length !== this.capacity) {
      const old = this.frames;
      const oldMask = old.length - 1;
      this.frames = makeFrames(this.capacity);
      for (let s = this.tail; s < this.head; s++) this.frames[s & this.mask] = old[s & oldMask]!;
      // the slots no longer used keep fresh Frame objects: one shape, never undefined
    }
    for (let s = this.tail; s < this.head; s++) this.frames[s & this.mask]!.payload = this.view(s);
  }
}

function makeFrames(n: number): Frame[] {
  const frames = new Array<Frame>(n);
  for (let i = 0; i < n; i++) frames[i] = new Frame();
  return frames;
}
