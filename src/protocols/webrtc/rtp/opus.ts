/**
 * Opus over RTP, RFC 7587: one Opus packet per RTP payload both ways (§4.2), the RTP clock fixed at
 * 48 kHz whatever the input rate (§4.1). The marker bit is left clear: we do not signal the start
 * of a talkspurt after DTX (§4.1 makes it optional).
 */
import type { Frame } from "../../../core/frame.ts";
import { Depacketizer, type DepacketizerOptions, type FrameSink } from "./depacketizer.ts";
import { PayloadBatch, RtpPacketizer, type PacketizerOptions } from "./payload-batch.ts";

export const OPUS_RTP_CLOCK = 48_000;
/** RFC 6716 §3.4 R5: a 120 ms packet of 48 code-3 frames at most 1,275 bytes each, plus its headers. */
export const MAX_OPUS_PACKET_BYTES = 61_440;

export class OpusPacketizer extends RtpPacketizer {

  constructor(opts: PacketizerOptions = {}) {
    super(opts, OPUS_RTP_CLOCK);
  }

  packetize(frame: Frame, out: PayloadBatch): number {
    const p = frame.payload;
    const ts = this.timestampOf(frame);
    if (p.length === 0 || p.length > this.maxPayload) {
      return this.nothing(out, ts, p.length > 0);
    }
    out.reset(ts, this.sequenceNumber, 1, p.length);
    out.buf.set(p, out.begin());
    out.end(p.length, false);
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    return 1;
  }
}

/** Every payload is a frame; a lost packet is just missing (the decoder conceals it). */
export class OpusDepacketizer extends Depacketizer {
  constructor(sink: FrameSink, opts: DepacketizerOptions = {}) {
    super(sink, false, { ...opts, maxFrameBytes: Math.min(opts.maxFrameBytes ?? MAX_OPUS_PACKET_BYTES, MAX_OPUS_PACKET_BYTES) });
  }

  protected begin(): void {}

  protected startsFrame(_p: Uint8Array): boolean {
    return true;
  }

  protected packet(p: Uint8Array, _marker: boolean): boolean {
    if (p.length === 0) {
      this.stats.malformed++; // RFC 7587 §4.2: at least the TOC byte
      return false;
    }
    if (!this.append(p, 0, p.length)) return false;
    this.frameEnded = true; // one packet, one frame: no waiting for the next timestamp
    return true;
  }

  protected finish(): number {
    return 1;
  }
}
