/**
 * What every RTMP endpoint does the same way with protocol control messages (RTMP 1.0 §5.4,
 * §7.1.7): apply Set Chunk Size and Abort to its decoder, remember the peer's acknowledgement
 * window and acknowledge it, answer pings. The server session, our client and the bench viewer all
 * use this one piece.
 */
import type { ChunkDecoder } from "./chunk-decoder.ts";
import type { ChunkHeader } from "./chunk-header.ts";
import * as ctl from "./control.ts";
import * as T from "./message-types.ts";

/** §5.4.3: counts bytes received and says when an Acknowledgement is due. */
export class Acknowledger {
  /** The peer's Window Acknowledgement Size (0: it asked for none). */
  window = 0;
  received = 0;
  private last = 0;

  /** Adds `n` received bytes; returns the Acknowledgement message when one is due, else null. */
  add(n: number): Uint8Array | null {
    this.received += n;
    if (this.window <= 0 || this.received - this.last < this.window) return null;
    this.last = this.received;
    return ctl.controlMessage(ctl.encodeAckTo, this.received >>> 0); // the sequence number wraps at 2^32
  }
}

export interface ControlPeer {
  readonly decoder: ChunkDecoder;
  readonly acks: Acknowledger;
  /** Bytes to send back (a ping response). */
  send(bytes: Uint8Array): void;
  /** §5.4.2: a partial message on `csid` was abandoned; drop what is held for it. */
  aborted(csid: number): void;
}

/** Handles the message when it is one of the above and returns true; false for anything else. */
export function handleProtocolControl(peer: ControlPeer, h: ChunkHeader, body: Uint8Array): boolean {
  switch (h.msgTypeId) {
    case T.SET_CHUNK_SIZE:
      peer.decoder.setChunkSize(ctl.decodeSetChunkSize(body));
      return true;
    case T.ABORT: {
      const csid = ctl.decodeAbort(body);
      peer.decoder.abort(csid);
      peer.aborted(csid);
      return true;
    }
    case T.WINDOW_ACK_SIZE:
      peer.acks.window = ctl.decodeWindowAckSize(body);
      return true;
    case T.USER_CONTROL: {
      const m = ctl.decodeUserControl(body);
      if (m.event === T.UserControl.PingRequest) peer.send(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.PingResponse, m.value));
      return m.event === T.UserControl.PingRequest || m.event === T.UserControl.PingResponse;
    }
    default:
      return false;
  }
}
