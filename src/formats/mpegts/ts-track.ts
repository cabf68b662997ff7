/**
 * What the demuxer hands its sink: the tracks it found (TsTrack) and frames in the common format
 * (core/frame.ts conventions). The elementary stream readers (video-es.ts, adts-es.ts, opus-es.ts)
 * share these shapes.
 */
import { kindOf, type Codec, type TrackInfo, type TrackKind } from "../../core/track.ts";

export class TsTrack {
  readonly pid: number;
  readonly streamType: number;
  readonly codec: Codec;
  readonly kind: TrackKind;
  /** Order of the stream in the PMT. */
  readonly index: number;
  /** Ticks per second of dts/pts: 90 kHz video, the sample rate for AAC (known from the first ADTS header), 48 kHz Opus. */
  clockRate: number;
  /** Decoder configuration (avcC, hvcC, AudioSpecificConfig, OpusHead); null until the stream has shown one. */
  config: Uint8Array | null;
  /** Bumped on every new configuration; 0 before the first. */
  configVersion: number;
  /** describeConfig() of the configuration ({} when it could not be read). */
  info: TrackInfo;
  frames: number;

  constructor(pid: number, streamType: number, codec: Codec, index: number, clockRate: number) {
    this.pid = pid;
    this.streamType = streamType;
    this.codec = codec;
    this.kind = kindOf(codec);
    this.index = index;
    this.clockRate = clockRate;
    this.config = null;
    this.configVersion = 0;
    this.info = {};
    this.frames = 0;
  }
}

/**
 * The demuxer's output. One object for the whole stream: no closure per frame. A frame is written
 * into space the sink provides (`reserve`, e.g. Stream.reserve), so its bytes are copied once, from
 * the reassembled PES into the sink's buffer.
 */
export interface TsDemuxerSink {
  /** The track's first configuration, or a new one (config, configVersion, info and clockRate are set). */
  onTrack(track: TsTrack): void;
  /** Writable space of at least `size` bytes for the next frame's payload. */
  reserve(size: number): Uint8Array;
  /** The frame now in the reserved space, bytes [0, size): dts/pts in the track's clock; audio is always a keyframe. */
  onFrame(track: TsTrack, size: number, dts: number, pts: number, keyframe: boolean): void;
}

/** Counters the API shows; read by a timer, never reset by the demuxer. */
export class TsDemuxStats {
  packets: number;
  /** Continuity counter discontinuities (a partial PES or section was dropped with each). */
  ccErrors: number;
  /** Packets with transport_error_indicator set, or scrambled (dropped). */
  transportErrors: number;
  /** PAT/PMT sections refused (bad CRC_32, malformed, too long). */
  psiErrors: number;
  /** PES packets dropped: malformed header, larger than MAX_PES_SIZE, shorter than announced. */
  pesErrors: number;
  /** Elementary stream data refused: bad ADTS or Opus framing, unreadable parameter sets. */
  esErrors: number;
  /** Frames not delivered: before their track's configuration or (video) before the first keyframe. */
  framesDropped: number;
  frames: number;

  constructor() {
    this.packets = 0;
    this.ccErrors = 0;
    this.transportErrors = 0;
    this.psiErrors = 0;
    this.pesErrors = 0;
    this.esErrors = 0;
    this.framesDropped = 0;
    this.frames = 0;
  }
}

/** Turns whole PES payloads of one PID into frames. */
export interface EsReader {
  readonly track: TsTrack;
  /** The payload of one PES, [start, end) of `buf`; pts/dts unwrapped 90 kHz, -1 when absent. */
  pes(buf: Uint8Array, start: number, end: number, pts: number, dts: number): void;
  /** Data was lost (continuity error): forget partial frames carried between PES packets. */
  discontinuity(): void;
}
