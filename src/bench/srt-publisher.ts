/**
 * The SRT side of the bench publisher: the synthetic stream muxed as MPEG-TS (SyntheticTs), sent as
 * SRT payloads of up to seven TS packets (1316 bytes, what every SRT tool sends). Each frame's
 * packets go out at once, the last payload shorter, as the server's egress does: no packet waits for
 * the next frame. SRT never blocks a sender; what waits is what the peer's flow window holds back.
 */
import type { SrtCloseInfo } from "../protocols/srt/session.ts";
import type { MediaSink } from "./publisher.ts";
import { nowUs, SrtCaller, type SrtCallerOptions, type SrtTicker } from "./srt-caller.ts";
import type { SyntheticStream } from "./synthetic.ts";
import { SyntheticTs } from "./synthetic-ts.ts";

/** Seven TS packets. */
export const SRT_TS_PAYLOAD = 7 * 188;

export type SrtPublishOptions = Omit<SrtCallerOptions, "onConnected" | "onPayload" | "onClose">;

export class SrtMediaSink implements MediaSink {
  closedReason: string | null = null;
  private muxer: SyntheticTs | null = null;

  private constructor(readonly caller: SrtCaller) {}

  /** Connects with `publish:PATH` (in `o.streamId`); rejects with the reason when the server refuses. */
  static async connect(o: SrtPublishOptions, ticker: SrtTicker): Promise<SrtMediaSink> {
    let sink: SrtMediaSink | null = null;
    let settle!: (err: string | null) => void;
    const settled = new Promise<string | null>((resolve) => (settle = resolve));
    const caller = await SrtCaller.open(
      {
        ...o,
        onConnected: () => settle(null),
        onPayload: () => {},
        onClose: (info: SrtCloseInfo) => {
          const reason = info.reason === "rejected" ? `rejected: ${info.code} ${info.message}` : info.reason === "local" ? "closed" : info.message;
          if (sink) sink.closedReason ??= `SRT connection ended: ${reason}`;
          settle(info.reason === "timeout" ? `no answer to the handshake in ${o.connectTimeoutMs} ms` : reason);
        },
      },
      ticker,
    );
    const err = await settled;
    if (err !== null) {
      caller.close();
      throw new Error(err);
    }
    sink = new SrtMediaSink(caller);
    return sink;
  }

  get bufferedBytes(): number {
    const st = this.caller.session.state;
    return (st.sndNext - st.sndSentUpTo) * SRT_TS_PAYLOAD;
  }

  start(stream: SyntheticStream): void {
    this.muxer = new SyntheticTs(stream); // PAT, PMT and SPS/PPS come with the first keyframe
  }

  sendVideo(dueMs: number, body: Uint8Array, keyframe: boolean): number {
    return this.send(this.muxer!.video(dueMs, body, keyframe));
  }

  sendAudio(dueMs: number, body: Uint8Array): number {
    return this.send(this.muxer!.audio(dueMs, body));
  }

  close(): void {
    this.caller.close();
  }

  private send(ts: Uint8Array): number {
    const session = this.caller.session;
    const now = nowUs();
    for (let p = 0; p < ts.length; p += SRT_TS_PAYLOAD) session.send(ts.subarray(p, Math.min(ts.length, p + SRT_TS_PAYLOAD)), now);
    return ts.length;
  }
}
