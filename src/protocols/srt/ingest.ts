import type { PathTable } from "../../core/path-table.ts";
import type { Publisher, Stream } from "../../core/stream.ts";
import type { Track } from "../../core/track.ts";
import { TsDemuxer, type TsDemuxerSink, type TsTrack } from "../../formats/mpegts/demuxer.ts";

/**
 * MPEG-TS from a publisher (SRT payloads, in order) into the stream: the demuxer writes each frame
 * straight into the stream's ring (one copy, from the reassembled PES). The first track of each kind
 * is taken; further audio or video PIDs are counted and ignored.
 */
export class TsIngest implements Publisher, TsDemuxerSink {
  readonly stream: Stream;
  readonly demuxer: TsDemuxer;
  /** Tracks of a kind the stream already has from another PID (ignored). */
  ignoredTracks: number;
  /** The transport's statistics (the SRT session's), for the API. */
  stats: (() => object) | undefined;
  private readonly tracks: (Track | null)[];

  constructor(
    readonly protocol: string,
    readonly remoteAddress: string,
    readonly paths: PathTable,
    path: string,
    private readonly onClose: (reason: string) => void,
  ) {
    this.ignoredTracks = 0;
    this.stats = undefined;
    this.tracks = [];
    this.demuxer = new TsDemuxer(this);
    this.stream = paths.publish(path, this);
  }

  /** One payload (normally 7 TS packets); call `flush` at the end of a batch of them. */
  push(payload: Uint8Array): void {
    this.demuxer.push(payload);
  }

  flush(): void {
    this.stream.flush();
  }

  onTrack(t: TsTrack): void {
    let track = this.tracks[t.pid & 0x1fff];
    if (track === undefined) {
      const taken = this.tracks.some((x) => x?.kind === t.kind);
      if (taken) {
        this.ignoredTracks++;
        this.tracks[t.pid & 0x1fff] = null;
        return;
      }
      track = this.stream.ensureTrack(t.codec, t.clockRate);
      this.tracks[t.pid & 0x1fff] = track;
    }
    if (track && t.config) this.stream.setConfig(track, t.config, t.info);
  }

  reserve(size: number): Uint8Array {
    return this.stream.reserve(size);
  }

  onFrame(t: TsTrack, size: number, dts: number, pts: number, keyframe: boolean): void {
    const track = this.tracks[t.pid & 0x1fff];
    if (!track) {
      this.stream.cancel();
      return;
    }
    this.stream.commit(0, size, track.id, dts, pts, keyframe);
  }

  /** Publisher: ends the connection (API DELETE, takeover). */
  close(reason: string): void {
    this.onClose(reason);
  }

  /** The connection is gone: the last frame out, the path released (viewers wait out the grace period). */
  detach(): void {
    this.demuxer.end();
    this.stream.flush();
    this.paths.unpublish(this.stream, this);
  }
}
