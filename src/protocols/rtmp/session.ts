import { PlayerCodecs, SERVER_FOURCC_INFO } from "./capabilities.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { PathBusyError, isValidPath, type PathTable } from "../../core/path-table.ts";
import type { ByteSink } from "../../core/ring-cursor.ts";
import { RtmpEgress, type EgressLimits } from "./egress.ts";
import { RtmpIngest } from "./ingest.ts";
import { decodeCommand, decodeData, encodeCommand, encodeData, onStatus, type Command } from "./wire/amf0.ts";
import { ChunkDecoder } from "./wire/chunk-decoder.ts";
import type { ChunkHeader, ChunkSink, MessageSink } from "./wire/chunk-header.ts";
import { encodeMessage } from "./wire/chunk-encoder.ts";
import * as ctl from "./wire/control.ts";
import { HANDSHAKE_SIZE, ServerHandshake } from "./wire/handshake.ts";
import { MessageAssembler } from "./wire/message-assembler.ts";
import { Acknowledger, handleProtocolControl, type ControlPeer } from "./wire/peer-control.ts";
import * as T from "./wire/message-types.ts";

/** What the session writes to: the connection (the listener owns the socket). */
export interface RtmpTransport extends ByteSink {
  readonly remoteAddress: string;
  /** Ends the connection (after what was written). */
  end(): void;
}

export interface RtmpSessionOptions extends EgressLimits {
  protocol: "rtmp" | "rtmps";
  chunkSize: number;
}

/**
 * RTMP 1.0 §5.4.4: the window we announce. Viewers acknowledge every ACK_WINDOW bytes, which tells
 * us how far behind a viewer really is, beyond what its kernel buffers hide (egress.ts).
 */
export const ACK_WINDOW = 256 * 1024;
/** §5.4.5: the peer's output bandwidth limit we announce. */
const PEER_BANDWIDTH = 5_000_000;
/** Control bytes a peer may leave unread before it is considered gone. */
const MAX_UNSENT_CONTROL = 64 * 1024;
/** Bytes of a partial chunk kept between reads; a chunk never exceeds MAX_CHUNK_SIZE + headers. */
const MAX_PENDING_INPUT = 65536 + 64;

type Phase = "handshake" | "ready" | "closed";

/**
 * One RTMP connection as a state machine: bytes in (`feed`), bytes out through the transport. It
 * does the handshake, decodes chunks, answers commands, and hands media to an RtmpIngest (publish)
 * or takes it from an RtmpEgress (play). Throws ProtocolError on malformed input; the listener
 * then closes this connection only.
 */
export class RtmpSession implements ChunkSink, MessageSink, ControlPeer {
  phase: Phase;
  app: string;
  /** What the player announced it can receive (Enhanced RTMP); legacy codecs only until connect says more. */
  codecs: PlayerCodecs;
  ingest: RtmpIngest | null;
  egress: RtmpEgress | null;
  /** Bytes written to the socket, and the peer's last Acknowledgement (-1: it never sent one). */
  bytesOut: number;
  peerAcked: number;
  private readonly handshake: ServerHandshake;
  readonly decoder: ChunkDecoder;
  readonly acks: Acknowledger;
  private readonly assembler: MessageAssembler;
  private pending: Uint8Array;
  private pendingLen: number;
  private unsent: Uint8Array | null;

  constructor(
    readonly transport: RtmpTransport,
    readonly paths: PathTable,
    readonly opts: RtmpSessionOptions,
    readonly log: Logger,
  ) {
    this.phase = "handshake";
    this.app = "";
    this.codecs = new PlayerCodecs();
    this.ingest = null;
    this.egress = null;
    this.bytesOut = 0;
    this.peerAcked = -1;
    this.handshake = new ServerHandshake();
    this.decoder = new ChunkDecoder(this);
    this.acks = new Acknowledger();
    this.assembler = new MessageAssembler(this);
    this.pending = new Uint8Array(2 * HANDSHAKE_SIZE + 1);
    this.pendingLen = 0;
    this.unsent = null;
  }

  /** Bytes from the socket. */
  feed(data: Uint8Array): void {
    if (this.phase === "closed") return;
    let buf = data;
    if (this.pendingLen > 0) {
      buf = this.take(data);
    }
    let off = 0;
    while (off < buf.length && (this.phase as Phase) !== "closed") {
      const n = this.step(buf.subarray(off));
      if (n === 0) break;
      off += n;
    }
    if (off < buf.length) this.keep(buf.subarray(off));
    else this.pendingLen = 0;
    const ack = this.acks.add(data.length);
    if (ack) this.send(ack);
    this.ingest?.stream.flush();
  }

  /** The socket can take more. */
  onDrain(): void {
    if (this.unsent) this.flushUnsent();
    if (!this.unsent) this.egress?.onDrain();
  }

  /** The connection is gone (or being closed): release the path and the writer. */
  close(reason: string): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    if (this.ingest) {
      this.log.info("publisher left", { path: this.ingest.stream.path, reason });
      this.ingest.detach();
      this.ingest = null;
    }
    this.egress?.detach();
    this.egress = null;
  }

  private step(buf: Uint8Array): number {
    switch (this.phase) {
      case "handshake": {
        const n = this.handshake.feed(buf);
        const out = this.handshake.takeOutput();
        if (out) this.send(out);
        if (this.handshake.done) this.phase = "ready";
        return n;
      }
      default:
        return this.decoder.decode(buf);
    }
  }

  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    if ((h.msgTypeId === T.VIDEO || h.msgTypeId === T.AUDIO) && this.ingest) {
      this.ingest.onChunk(h, data, offset);
      return;
    }
    this.assembler.onChunk(h, data, offset);
  }

  /** ControlPeer: an Abort drops the partial message wherever it was being assembled. */
  aborted(csid: number): void {
    this.assembler.release(csid);
    this.ingest?.abort(csid);
  }

  onMessage(h: ChunkHeader, body: Uint8Array): void {
    if (handleProtocolControl(this, h, body)) return;
    switch (h.msgTypeId) {
      case T.ACKNOWLEDGEMENT:
        this.peerAcked = ctl.decodeAck(body);
        return;
      case T.COMMAND_AMF0:
      case T.COMMAND_AMF3:
        this.onCommand(decodeCommand(body, h.msgTypeId), h.msgStreamId);
        return;
      case T.DATA_AMF0:
      case T.DATA_AMF3:
        this.onData(body, h.msgTypeId);
        return;
      default:
        // Set Peer Bandwidth, shared objects, aggregates, media before publish: nothing to do.
        return;
    }
  }

  private onData(body: Uint8Array, typeId: number): void {
    const m = decodeData(body, typeId);
    // §7.1.2 / FLV: `@setDataFrame onMetaData {...}` from encoders, or a bare `onMetaData`.
    const meta = m.name === "@setDataFrame" ? m.args[1] : m.name === "onMetaData" ? m.args[0] : undefined;
    if (this.ingest && meta && typeof meta === "object") this.ingest.metadata = meta as Record<string, unknown>;
  }

  private onCommand(c: Command, msgStreamId: number): void {
    switch (c.name) {
      case "connect":
        return this.onConnect(c);
      case "releaseStream":
      case "FCPublish":
      case "FCUnpublish":
      case "getStreamLength":
        if (c.name === "FCPublish") this.command("onFCPublish", 0, null, onStatus("status", "NetStream.Publish.Start", String(c.args[0] ?? "")));
        if (c.transactionId) this.command("_result", c.transactionId, null, c.name === "getStreamLength" ? 0 : undefined);
        return;
      case "createStream":
        return this.command("_result", c.transactionId, null, 1);
      case "publish":
        return this.onPublish(c, msgStreamId);
      case "play":
        return this.onPlay(c, msgStreamId);
      case "deleteStream":
      case "closeStream":
        if (this.ingest) {
          // The connection stays: a client may publish again on it (§7.2.2.3).
          this.log.info("unpublished", { path: this.ingest.stream.path });
          this.ingest.detach();
          this.ingest = null;
        } else if (this.egress) {
          this.egress.detach();
          this.egress = null;
        }
        return;
      default:
        // receiveAudio, _checkbw, pause, seek...: not for live; answered when a transaction expects it
        if (c.transactionId) this.command("_result", c.transactionId, null, undefined);
    }
  }

  private onConnect(c: Command): void {
    const app = c.commandObject?.app;
    this.app = typeof app === "string" ? stripQuery(app).replace(/\/+$/, "") : "";
    this.codecs = PlayerCodecs.fromConnect(c.commandObject);
    this.send(ctl.controlMessage(ctl.encodeWindowAckSizeTo, ACK_WINDOW));
    this.send(ctl.controlMessage(ctl.encodeSetPeerBandwidthTo, PEER_BANDWIDTH, T.PeerBandwidthLimit.Dynamic));
    this.send(ctl.controlMessage(ctl.encodeSetChunkSizeTo, this.opts.chunkSize));
    this.chunkSizeOut = this.opts.chunkSize;
    this.command(
      "_result",
      c.transactionId,
      { fmsVer: "FMS/3,5,7,7009", capabilities: 31, mode: 1, ...SERVER_FOURCC_INFO },
      onStatus("status", "NetConnection.Connect.Success", "Connection succeeded.", {
        objectEncoding: typeof c.commandObject?.objectEncoding === "number" ? c.commandObject.objectEncoding : 0,
      }),
    );
  }

  private chunkSizeOut = 128;

  private pathOf(c: Command): string | null {
    const key = c.args[0];
    if (typeof key !== "string") return null;
    const path = (this.app ? this.app + "/" : "") + stripQuery(key);
    return isValidPath(path) ? path : null;
  }

  private onPublish(c: Command, msgStreamId: number): void {
    const path = this.pathOf(c);
    const status = (level: "status" | "error", code: string, text: string) =>
      this.command("onStatus", 0, null, onStatus(level, code, text), msgStreamId);
    if (!path || this.ingest || this.egress) {
      status("error", "NetStream.Publish.BadName", path ? "already publishing or playing on this connection" : `bad stream name ${JSON.stringify(c.args[0])}`);
      return;
    }
    try {
      this.ingest = new RtmpIngest(this, path);
    } catch (e) {
      if (!(e instanceof PathBusyError)) throw e;
      this.log.warn("publish refused: path busy", { path });
      status("error", "NetStream.Publish.BadName", `${path} is already being published`);
      return;
    }
    this.log.info("publishing", { path });
    this.send(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.StreamBegin, msgStreamId));
    status("status", "NetStream.Publish.Start", `${path} is now published.`);
  }

  private onPlay(c: Command, msgStreamId: number): void {
    const path = this.pathOf(c);
    const status = (level: "status" | "error", code: string, text: string) =>
      this.command("onStatus", 0, null, onStatus(level, code, text, { details: path }), msgStreamId);
    if (!path || this.ingest || this.egress) {
      status("error", "NetStream.Play.StreamNotFound", path ? "already publishing or playing on this connection" : `bad stream name ${JSON.stringify(c.args[0])}`);
      return;
    }
    this.send(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.StreamBegin, msgStreamId));
    status("status", "NetStream.Play.Reset", `Playing and resetting ${path}.`);
    status("status", "NetStream.Play.Start", `Started playing ${path}.`);
    this.send(encodeMessage(5, 0, T.DATA_AMF0, msgStreamId, this.chunkSizeOut, encodeData("|RtmpSampleAccess", true, true)));
    this.log.info("playing", { path });
    // Status messages the socket did not take yet go out first, in order, through the egress.
    const unsent = this.unsent;
    this.unsent = null;
    this.egress = new RtmpEgress(this, this.paths.read(path), msgStreamId, unsent);
  }

  /** A command message on csid 3 (§7.2). `undefined` arguments are left out. */
  command(name: string, txId: number, obj: Record<string, unknown> | null, arg?: unknown, msgStreamId = 0): void {
    const body = arg === undefined ? encodeCommand(name, txId, obj) : encodeCommand(name, txId, obj, arg);
    this.send(encodeMessage(T.CSID_COMMAND, 0, T.COMMAND_AMF0, msgStreamId, this.chunkSizeOut, body));
  }

  /** Control and command bytes: through the egress (which orders them with media) or straight out. */
  send(bytes: Uint8Array): void {
    if (this.phase === "closed") return;
    if (this.egress) return this.egress.sendControl(bytes);
    if (this.unsent) return this.queueUnsent(bytes);
    const n = this.transport.write(bytes, 0, bytes.length);
    this.bytesOut += n;
    if (n < bytes.length) this.queueUnsent(bytes.subarray(n));
  }

  /** Control bytes the socket did not take (a publisher or a player before play): kept in order, bounded. */
  private queueUnsent(bytes: Uint8Array): void {
    const have = this.unsent?.length ?? 0;
    if (have + bytes.length > MAX_UNSENT_CONTROL) {
      throw new ProtocolError("rtmp", "stalled", `peer does not read: ${have + bytes.length} bytes of control messages unsent`);
    }
    const next = new Uint8Array(have + bytes.length);
    if (this.unsent) next.set(this.unsent);
    next.set(bytes, have);
    this.unsent = next;
  }

  private flushUnsent(): void {
    const u = this.unsent!;
    const n = this.transport.write(u, 0, u.length);
    this.bytesOut += n;
    this.unsent = n === u.length ? null : u.subarray(n);
  }

  private take(data: Uint8Array): Uint8Array {
    const need = this.pendingLen + data.length;
    if (this.pending.length < need) {
      const grown = new Uint8Array(Math.max(need, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingLen));
      this.pending = grown;
    }
    this.pending.set(data, this.pendingLen);
    const all = this.pending.subarray(0, need);
    this.pendingLen = 0;
    return all;
  }

  private keep(rest: Uint8Array): void {
    if (rest.length > MAX_PENDING_INPUT + 2 * HANDSHAKE_SIZE) {
      throw new ProtocolError("rtmp", "chunk", `partial chunk of ${rest.length} bytes > max ${MAX_PENDING_INPUT}`);
    }
    if (this.pending.length < rest.length) this.pending = new Uint8Array(Math.max(rest.length, this.pending.length * 2));
    // `rest` may be a view of `pending` itself: copyWithin handles the overlap.
    if (rest.buffer === this.pending.buffer) this.pending.copyWithin(0, rest.byteOffset - this.pending.byteOffset, rest.byteOffset - this.pending.byteOffset + rest.length);
    else this.pending.set(rest);
    this.pendingLen = rest.length;
  }
}

function stripQuery(s: string): string {
  const q = s.indexOf("?");
  return q >= 0 ? s.slice(0, q) : s;
}
