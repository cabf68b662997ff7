/** The RTMP side of the bench publisher: FLV tag bodies go out as they are, on a publishing RtmpClient. */
import type { RtmpClient } from "../protocols/rtmp/client.ts";
import type { MediaSink } from "./publisher.ts";
import type { SyntheticStream } from "./synthetic.ts";

export class RtmpMediaSink implements MediaSink {
  constructor(private readonly client: RtmpClient) {}

  get closedReason(): string | null {
    return this.client.closed ? "connection closed by the server" : null;
  }

  get bufferedBytes(): number {
    return this.client.bufferedBytes;
  }

  start(stream: SyntheticStream): void {
    this.client.sendData("@setDataFrame", "onMetaData", stream.metadata);
    this.client.sendVideo(0, stream.videoConfig);
    this.client.sendAudio(0, stream.audioConfig);
  }

  sendVideo(dueMs: number, body: Uint8Array): number {
    this.client.sendVideo(Math.round(dueMs), body);
    return body.length;
  }

  sendAudio(dueMs: number, body: Uint8Array): number {
    this.client.sendAudio(Math.round(dueMs), body);
    return body.length;
  }
}
