/**
 * The output of every Packetizer: the RTP payloads of one frame laid out in one arena, with their
 * offsets, lengths and marker bits in reusable typed arrays. Payloads only: the RTP header is the
 * integrator's (any header codec). Each payload may be preceded by `headroom` free bytes and followed
 * by `tailroom` free bytes, so the header can be written in place in front of it and an SRTP tag
 * after it, and the packet sent as one view: `buf.subarray(offsets[i] - headroom, offsets[i] +
 * lengths[i] + tag)`. Encoded once per stream, the same arena serves every viewer.
 *
 * The arena grows (to the biggest frame seen, doubling) only when a frame needs more than it has:
 * never per packet. Views into `buf` are valid until the next `packetize`.
 */
import { assert } from "../../../core/errors.ts";
import type { Frame } from "../../../core/frame.ts";

/** RFC 3550 §5.1 leaves the size to the path MTU; 1,200 bytes of payload fit every path WebRTC uses. */
export const DEFAULT_MAX_PAYLOAD = 1200;
/** Smallest max payload a packetizer accepts: room for any payload header plus data. */
export const MIN_MAX_PAYLOAD = 64;
/** A frame bigger than this is refused by packetizers and dropped by depacketizers. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

const INITIAL_ARENA_BYTES = 64 * 1024;
const INITIAL_PACKETS = 64;

export interface PayloadBatchOptions {
  /** Free bytes before each payload (for the RTP header: 12 + CSRCs + extensions). */
  headroom?: number;
  /** Free bytes after each payload (for the SRTP auth tag). */
  tailroom?: number;
  /** The arena to start with (the caller's buffer); replaced by a bigger one if a frame needs it. */
  arena?: Uint8Array;
}

export class PayloadBatch {
  /** The arena; payload i is `buf.subarray(offsets[i], offsets[i] + lengths[i])`. */
  buf: Uint8Array;
  /** Payloads in this batch (one frame). */
  count: number;
  offsets: Int32Array;
  lengths: Int32Array;
  /** 1 where the RTP marker bit is set (the last packet of a video frame). */
  markers: Uint8Array;
  /** RTP timestamp of every packet of the frame (uint32). */
  timestamp: number;
  /** RTP sequence number of packet 0; packet i has `(firstSequence + i) & 0xffff`. */
  firstSequence: number;
  readonly headroom: number;
  readonly tailroom: number;
  /** Write position in the arena. */
  private pos: number;

  constructor(opts: PayloadBatchOptions = {}) {
    this.buf = opts.arena ?? new Uint8Array(INITIAL_ARENA_BYTES);
    this.count = 0;
    this.offsets = new Int32Array(INITIAL_PACKETS);
    this.lengths = new Int32Array(INITIAL_PACKETS);
    this.markers = new Uint8Array(INITIAL_PACKETS);
    this.timestamp = 0;
    this.firstSequence = 0;
    this.headroom = opts.headroom ?? 0;
    this.tailroom = opts.tailroom ?? 0;
    this.pos = 0;
  }

  /** Empties the batch and makes sure `packets` payloads totalling `bytes` fit without growing. */
  reset(timestamp: number, firstSequence: number, packets: number, bytes: number): void {
    this.count = 0;
    this.pos = 0;
    this.timestamp = timestamp >>> 0;
    this.firstSequence = firstSequence & 0xffff;
    if (packets > this.offsets.length) {
      const n = nextPow2(packets);
      this.offsets = new Int32Array(n);
      this.lengths = new Int32Array(n);
      this.markers = new Uint8Array(n);
    }
    const need = bytes + packets * (this.headroom + this.tailroom);
    if (need > this.buf.length) this.buf = new Uint8Array(nextPow2(need));
  }

  /** Starts payload `count`: returns the arena offset to write it at. */
  begin(): number {
    // A constant message: a template literal would build a string per packet even when it holds.
    assert(this.count < this.offsets.length, "payload batch: more packets than reset() planned");
    return this.pos + this.headroom;
  }

  /** Ends the payload started by `begin` at `length` bytes. */
  end(length: number, marker: boolean): void {
    const i = this.count++;
    const start = this.pos + this.headroom;
    assert(start + length + this.tailroom <= this.buf.length, "payload batch arena overrun");
    this.offsets[i] = start;
    this.lengths[i] = length;
    this.markers[i] = marker ? 1 : 0;
    this.pos = start + length + this.tailroom;
  }

  /** Payload i as a view (tests and the glue; the hot path reads offsets/lengths). */
  payload(i: number): Uint8Array {
    return this.buf.subarray(this.offsets[i]!, this.offsets[i]! + this.lengths[i]!);
  }

  /** RTP sequence number of payload i. */
  sequence(i: number): number {
    return (this.firstSequence + i) & 0xffff;
  }
}

function nextPow2(n: number): number {
  let p = 64;
  while (p < n) p *= 2;
  return p;
}

/**
 * Frame time (track clock, e.g. pts) to an RTP timestamp in `rtpClock` (RFC 3550 §5.1: 32 bits,
 * wrapping), plus the stream's random offset. Video tracks are already 90 kHz; Opus tracks may use
 * another rate than RTP's fixed 48 kHz (RFC 7587 §4.1).
 */
export function rtpTimestamp(time: number, clockRate: number, rtpClock: number, offset: number): number {
  const t = clockRate === rtpClock ? time : Math.round((time * rtpClock) / clockRate);
  return (t % 0x1_0000_0000) + offset >>> 0;
}

/** What every packetizer shares: the max payload, the RTP clock mapping and the sequence counter. */
export interface PacketizerOptions {
  /** Largest RTP payload, header excluded (default 1,200). */
  maxPayload?: number;
  /** Ticks per second of the frames' pts (the Track's clockRate; default: the RTP clock). */
  clockRate?: number;
  /** Added to every RTP timestamp (RFC 3550 §5.1 wants a random start; default 0). */
  timestampOffset?: number;
  /** First RTP sequence number (default 0). */
  sequenceNumber?: number;
}

/** Every codec's packetizer: one frame in, its payloads in the batch (count returned). */
export interface Packetizer {
  readonly maxPayload: number;
  timestampOffset: number;
  /** The next RTP sequence number; advanced by each packetize. */
  sequenceNumber: number;
  /** Frames not sent: malformed, or too big. */
  framesRefused: number;
  packetize(frame: Frame, out: PayloadBatch): number;
}

/** What every codec's packetizer keeps: its limits, clocks and sequence, and the refusal count. */
export abstract class RtpPacketizer implements Packetizer {
  readonly maxPayload: number;
  /** Ticks per second of the frames' pts. */
  readonly clockRate: number;
  timestampOffset: number;
  sequenceNumber: number;
  framesRefused: number;

  constructor(
    opts: PacketizerOptions,
    /** The codec's RTP clock (90 kHz video, 48 kHz Opus). */
    protected readonly rtpClock: number,
  ) {
    this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    assert(this.maxPayload >= MIN_MAX_PAYLOAD, `max payload ${this.maxPayload} < ${MIN_MAX_PAYLOAD}`);
    this.clockRate = opts.clockRate ?? rtpClock;
    this.timestampOffset = opts.timestampOffset ?? 0;
    this.sequenceNumber = opts.sequenceNumber ?? 0;
    this.framesRefused = 0;
  }

  abstract packetize(frame: Frame, out: PayloadBatch): number;

  /** The frame's RTP timestamp. */
  protected timestampOf(frame: Frame): number {
    return rtpTimestamp(frame.pts, this.clockRate, this.rtpClock, this.timestampOffset);
  }

  /** No packets for this frame (an empty batch at `ts`); counted as refused when `refused`. */
  protected nothing(out: PayloadBatch, ts: number, refused: boolean): 0 {
    if (refused) this.framesRefused++;
    out.reset(ts, this.sequenceNumber, 0, 0);
    return 0;
  }
}
