import type { Frame } from "../../core/frame.ts";
import { RingWriter, type RingReader } from "../../core/ring-writer.ts";
import type { Stream } from "../../core/stream.ts";
import { TsMuxer } from "../../formats/mpegts/muxer.ts";

/**
 * The MPEG-TS writer of one stream: every frame becomes 188-byte TS packets once, into a ring every
 * SRT viewer reads with its own cursor (only SRT headers and encryption are per viewer). A keyframe
 * output that starts with PAT/PMT is a join point.
 */
export class TsWriter extends RingWriter<RingReader> {
  readonly format = "mpegts";
  readonly muxer: TsMuxer;

  constructor(stream: Stream) {
    super(stream, 3); // TS headers, PES headers, PSI: ~5-10 % over the payload
    this.muxer = new TsMuxer(stream.tracks);
    this.catchUp();
  }

  onFrame(f: Frame): void {
    const size = this.muxer.encodedSize(f);
    if (size === 0) return;
    this.muxer.encodeTo(this.ring.reserve(size), 0);
    this.ring.commit(0, size, this.muxer.startsWithPsi && this.isJoin(f), f.ingestMs);
  }
}
