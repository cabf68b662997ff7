/**
 * The bench publisher: the synthetic stream sent in real time through a MediaSink (an RTMP
 * connection, MPEG-TS over SRT). Paced against its start time (a late timer sends what is due at
 * once, it does not drift), stamped at the moment each frame is handed to the sink. What the
 * transport does not take at once waits in the sink's queue; each time that happens is a publisher
 * stall. Past MAX_BUFFERED_MS of media in
 * that queue it stops sending video until the next keyframe, so a stuck server cannot grow it
 * without bound; skipped frames take no sequence number, so viewers do not count them as lost.
 */
import { wallMs } from "../core/errors.ts";
import type { MeasureWindow } from "./measured-viewer.ts";
import type { SyntheticStream } from "./synthetic.ts";

/** Where the publisher's frames go: FLV tag bodies of the synthetic stream in, a protocol out. */
export interface MediaSink {
  /** Why the transport ended (the server closed it), or null while it is open. */
  readonly closedReason: string | null;
  /** Bytes handed over and not yet taken by the transport. */
  readonly bufferedBytes: number;
  /** Metadata and sequence headers, before the first frame. */
  start(stream: SyntheticStream): void;
  /** Sends one video or audio tag body due at `dueMs` after the start; returns the bytes it became on the wire. */
  sendVideo(dueMs: number, body: Uint8Array, keyframe: boolean): number;
  sendAudio(dueMs: number, body: Uint8Array): number;
}

/** Media the sink may hold unsent before video is skipped to the next keyframe. */
const MAX_BUFFERED_MS = 2000;

export class BenchPublisher {
  /** Sequence number of the next video frame sent. */
  seq = 0;
  videoFramesSent = 0;
  audioFramesSent = 0;
  bytesSent = 0;
  /** Times a message did not fit in the socket at once. */
  stalls = 0;
  stallMs = 0;
  skippedFrames = 0;
  maxBufferedBytes = 0;
  /** Sequence numbers of the first and last frames sent inside the window; -1 before. */
  windowFirstSeq = -1;
  windowLastSeq = -1;
  error: string | null = null;

  private startMs = 0;
  private videoIndex = 0;
  private audioIndex = 0;
  private stalledSinceMs = NaN;
  private waitKeyframe = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly bufferLimitBytes: number;

  constructor(
    private readonly sink: MediaSink,
    private readonly stream: SyntheticStream,
    private readonly window: MeasureWindow,
  ) {
    this.bufferLimitBytes = (stream.opts.bitrateMbps * 1e6 * MAX_BUFFERED_MS) / 8000;
  }

  /** Sends metadata and the sequence headers, then frames from now on. */
  start(): void {
    this.startMs = wallMs();
    this.sink.start(this.stream);
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.noteBuffer(wallMs());
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.sink.closedReason !== null) {
      this.error ??= this.sink.closedReason;
      return;
    }
    const now = wallMs();
    const t = now - this.startMs;
    const s = this.stream;
    // Everything due by now, in timestamp order.
    for (;;) {
      const videoDue = s.videoDueMs(this.videoIndex);
      const audioDue = s.audioDueMs(this.audioIndex);
      if (Math.min(videoDue, audioDue) > t) {
        this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(videoDue, audioDue) - t));
        return;
      }
      if (videoDue <= audioDue) this.sendVideo(videoDue);
      else this.sendAudio(audioDue);
    }
  }

  private sendVideo(dueMs: number): void {
    const key = this.stream.isKeyframe(this.videoIndex++);
    if (this.sink.bufferedBytes > this.bufferLimitBytes) this.waitKeyframe = true;
    if (this.waitKeyframe && !key) {
      this.skippedFrames++;
      return;
    }
    this.waitKeyframe = false;
    const seq = this.seq++;
    const sentMs = wallMs();
    const body = this.stream.videoFrame(seq, sentMs, key);
    this.bytesSent += this.sink.sendVideo(dueMs, body, key);
    this.videoFramesSent++;
    if (this.window.contains(sentMs)) {
      if (this.windowFirstSeq < 0) this.windowFirstSeq = seq;
      this.windowLastSeq = seq;
    }
    this.noteBuffer(sentMs);
  }

  private sendAudio(dueMs: number): void {
    this.audioIndex++;
    this.bytesSent += this.sink.sendAudio(dueMs, this.stream.audioFrame);
    this.audioFramesSent++;
    this.noteBuffer(wallMs());
  }

  private noteBuffer(nowMs: number): void {
    const buffered = this.sink.bufferedBytes;
    if (buffered > this.maxBufferedBytes) this.maxBufferedBytes = buffered;
    if (buffered > 0 && Number.isNaN(this.stalledSinceMs)) {
      this.stalls++;
      this.stalledSinceMs = nowMs;
    } else if (buffered === 0 && !Number.isNaN(this.stalledSinceMs)) {
      this.stallMs += nowMs - this.stalledSinceMs;
      this.stalledSinceMs = NaN;
    }
  }
}
