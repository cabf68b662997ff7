import { wallMs } from "../../core/errors.ts";
import type { Frame } from "../../core/frame.ts";
import { RingWriter } from "../../core/ring-writer.ts";
import type { Stream, StreamState } from "../../core/stream.ts";
import type { RelayEgress } from "./egress.ts";
import { encodeFrameHeaderTo, encodeState, encodeTracks, frameMessageSize, type TrackDescription } from "./wire/message.ts";

/** The stream's tracks as the TRACKS message describes them. */
export function describeTracks(stream: Stream): TrackDescription[] {
  const out: TrackDescription[] = [];
  for (const t of stream.tracks) {
    if (t) out.push({ id: t.id, codec: t.codec, clockRate: t.clockRate, configVersion: t.configVersion, config: t.config, info: t.info });
  }
  return out;
}

/**
 * The relay writer of one stream: every frame becomes one FRAME message once (header + payload
 * copied into the ring), sent as the same bytes to every downstream node. The message carries the
 * origin's ingest time unchanged and this node's send time, so the next node measures the hop and
 * the whole path. Track changes and publisher state travel in order with the frames.
 */
export class RelayWriter extends RingWriter<RelayEgress> {
  readonly format = "relay";
  private view: DataView;
  private lastTimeMs: number;

  constructor(stream: Stream) {
    super(stream, 2); // 39 header bytes per frame: a quarter over the payload covers small audio frames
    this.view = new DataView(this.ring.buf.buffer, this.ring.buf.byteOffset, this.ring.buf.byteLength);
    this.lastTimeMs = stream.clock();
    this.catchUp();
  }

  onFrame(f: Frame): void {
    const len = f.payload.length;
    const size = frameMessageSize(len);
    const out = this.ring.reserve(size);
    const buf = this.ring.buf;
    if (this.view.buffer !== buf.buffer) this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); // the ring grew
    const at = out.byteOffset - buf.byteOffset;
    buf.set(f.payload, encodeFrameHeaderTo(buf, this.view, at, f.track, f.keyframe, f.dts, f.pts, f.ingestMs, wallMs(), len));
    this.ring.commit(0, size, this.isJoin(f), f.ingestMs);
    this.lastTimeMs = f.ingestMs;
    // Sent now, not at the end of the ingest batch: the stream may hold audio-only batches back
    // (coalesceMs) to share writes with video, which would add that wait at every hop. A node has
    // few downstream nodes, so a write per frame each costs little; local viewers keep coalescing.
    this.flush();
  }

  override onTracks(): void {
    this.ring.append(encodeTracks(describeTracks(this.stream)), false, this.lastTimeMs);
    super.onTracks();
  }

  override onState(state: StreamState): void {
    if (state === "live" || state === "waiting") {
      this.ring.append(encodeState(state), false, this.lastTimeMs);
      this.flush();
    }
    super.onState(state);
  }
}
