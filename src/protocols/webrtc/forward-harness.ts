/**
 * For tests and benchmarks of straight WHIP → WHEP without a session: a publisher that owns one or
 * more MediaIngest sections under a fake clock and takes the RTP writer when it announces itself
 * (what WhipIngest does), and the negotiated section of a video codec as a WHIP answer makes it.
 */
import type { Publisher, Stream } from "../../core/stream.ts";
import type { MediaIngest, MediaIngestOwner } from "./ingest-track.ts";
import type { NegotiatedMedia } from "./sdp/answer.ts";
import type { RtpForwarder, RtpWriter } from "./writer.ts";

export class FakeWhipPublisher implements MediaIngestOwner, Publisher, RtpForwarder {
  readonly protocol = "webrtc";
  readonly remoteAddress = "";
  readonly startMs = 0;
  framesIn = 0;
  lastKeyframeMs = 0;
  rtpWriter: RtpWriter | null = null;
  clockMs = 0;
  stream!: Stream;
  /** `forwards` false: the writer is refused, every frame is packetized (the path before forwarding). */
  constructor(readonly forwards = true) {}
  now = () => this.clockMs;
  sendNack(): void {}
  close(): void {}
  /** Sections whose forwarders are stopped and primed as WhipIngest does. */
  readonly sections: MediaIngest[] = [];
  setRtpWriter(w: RtpWriter | null, from?: RtpWriter): void {
    if (!this.forwards || (w === null && from !== this.rtpWriter)) return;
    this.rtpWriter = w;
    for (const m of this.sections) m.forward.stop();
    if (w && w.framesEncoded === 0 && w.packetsForwarded === 0) for (const m of this.sections) m.primeWriter(w);
  }
}

export function videoSection(codec: "h264" | "vp8" | "vp9" | "av1", payloadType: number, ssrc: number): NegotiatedMedia {
  return {
    mid: "0",
    index: 0,
    kind: "video",
    payloadType,
    codec,
    clockRate: 90000,
    channels: 0,
    fmtp: "",
    rtcpFb: { nack: false, pli: true, fir: false, remb: false, twcc: false },
    extensions: {},
    rtcpRsize: false,
    remoteSsrcs: [ssrc],
    remoteRtxSsrcs: [],
    rids: [],
  };
}
