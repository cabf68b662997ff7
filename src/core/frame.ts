/**
 * One access unit of one track: the common in-memory format every ingest produces and every writer
 * consumes. One monomorphic shape; the objects are slots of a FrameRing and are reused, so a holder
 * checks `seq` before trusting a frame it kept.
 *
 * Payload: video is length-prefixed NAL units (4-byte lengths, the AVCC/HVCC form) for H.264/H.265,
 * OBUs (low-overhead form, as in MP4) for AV1, the frame as-is for VP8/VP9; audio is raw (AAC without
 * ADTS, one Opus packet).
 */
export const EMPTY = new Uint8Array(0);

export class Frame {
  /** Position in the stream's ring; -1 for a frame not (or no longer) in a ring. */
  seq: number;
  track: number;
  /** Decode and presentation time in the track's clock (90 kHz video, sample rate audio). */
  dts: number;
  pts: number;
  keyframe: boolean;
  payload: Uint8Array;
  /** Wall-clock ms when the frame entered spate (performance.timeOrigin + performance.now()). */
  ingestMs: number;

  constructor() {
    this.seq = -1;
    this.track = 0;
    this.dts = 0;
    this.pts = 0;
    this.keyframe = false;
    this.payload = EMPTY;
    this.ingestMs = 0;
  }
}
