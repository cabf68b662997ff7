/**
 * The bench publisher: one RTMP connection sending the synthetic stream in real time. Paced against
 * its start time (a late timer sends what is due at once, it does not drift), stamped at the moment
 * each frame is handed to the socket. What the socket does not take waits in the client's queue and
 * goes out on drain; each time that happens is a publisher stall. Past MAX_BUFFERED_MS of media in
 * that queue it stops sending video until the next keyframe, so a stuck server cannot grow it
 * without bound; skipped frames take no sequence number, so viewers do not count them as lost.
 */
import { wallMs } from "../core/errors.ts";
import type { RtmpClient } from "../protocols/rtmp/client.ts";
import type { SyntheticStream } from "./synthetic.ts";
import type { MeasureWindow } from "./rtmp-viewer.ts";

/** Media the client may hold unsent before video is skipped to the next keyframe. */
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
    private readonly client: RtmpClient,
    private readonly stream: SyntheticStream,
    private readonly window: MeasureWindow,
  ) {
    this.bufferLimitBytes = (stream.opts.bitrateMbps * 1e6 * MAX_BUFFERED_MS) / 8000;
  }

  /** Sends metadata and the sequence headers, then frames from now on. */
  start(): void {
    this.startMs = wallMs();
    this.client.sendData("@setDataFrame", "onMetaData", this.stream.metadata);
    this.client.sendVideo(0, this.stream.videoConfig);
    this.client.sendAudio(0, this.stream.audioConfig);
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
    if (this.client.closed) {
      this.error ??= "connection closed by the server";
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
      if (videoDue <= audioDue) this.sendVideo(Math.round(videoDue));
      else this.sendAudio(Math.round(audioDue));
    }
  }

  private sendVideo(timestampMs: number): void {
    const key = this.stream.isKeyframe(this.videoIndex++);
    if (this.client.bufferedBytes > this.bufferLimitBytes) this.waitKeyframe = true;
    if (this.waitKeyframe && !key) {
      this.skippedFrames++;
      return;
    }
    this.waitKeyframe = false;
    const seq = this.seq++;
    const sentMs = wallMs();
    const body = this.stream.videoFrame(seq, sentMs, key);
    this.client.sendVideo(timestampMs, body);
    this.videoFramesSent++;
    this.bytesSent += body.length;
    if (this.window.contains(sentMs)) {
      if (this.windowFirstSeq < 0) this.windowFirstSeq = seq;
      this.windowLastSeq = seq;
    }
    this.noteBuffer(sentMs);
  }

  private sendAudio(timestampMs: number): void {
    this.audioIndex++;
    this.client.sendAudio(timestampMs, this.stream.audioFrame);
    this.audioFramesSent++;
    this.bytesSent += this.stream.audioFrame.length;
    this.noteBuffer(wallMs());
  }

  private noteBuffer(nowMs: number): void {
    const buffered = this.client.bufferedBytes;
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
