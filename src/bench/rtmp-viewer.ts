/**
 * One bench viewer: an RTMP connection that plays a stream and measures it, cheaply enough that one
 * process holds 1,000 of them at 2.5 Mbit/s. It never assembles media messages: the chunk decoder
 * hands it views, it reads the stamp from the first bytes of each video message and only counts the
 * rest. Commands and control messages (small, rare) go through the message assembler.
 */
import type { Socket, SocketHandler } from "bun";
import { wallMs } from "../core/errors.ts";
import { decodeCommand, encodeCommand } from "../protocols/rtmp/wire/amf0.ts";
import { ChunkDecoder } from "../protocols/rtmp/wire/chunk-decoder.ts";
import { Acknowledger, handleProtocolControl, type ControlPeer } from "../protocols/rtmp/wire/peer-control.ts";
import { type ChunkHeader, type ChunkSink, MAX_CHUNK_SIZE, type MessageSink } from "../protocols/rtmp/wire/chunk-header.ts";
import { encodeMessage } from "../protocols/rtmp/wire/chunk-encoder.ts";
import * as ctl from "../protocols/rtmp/wire/control.ts";
import { ClientHandshake, HANDSHAKE_SIZE } from "../protocols/rtmp/wire/handshake.ts";
import { MessageAssembler } from "../protocols/rtmp/wire/message-assembler.ts";
import * as T from "../protocols/rtmp/wire/message-types.ts";
import { type MeasureWindow, MeasuredViewer } from "./measured-viewer.ts";
import type { LatencyHistogram } from "./stats.ts";
import { STAMP_FOUND, STAMP_NOT_FRAME, type Stamp, readVideoTagStamp } from "./synthetic.ts";

/** Bytes of a video message looked at for the stamp (room for AUD, SPS, PPS a server may put first). */
const STAMP_SCAN_BYTES = 256;
/** A partial chunk kept between reads never exceeds a chunk plus its headers. */
const MAX_PENDING_BYTES = MAX_CHUNK_SIZE + 32;
/** We never send Set Chunk Size, so our messages use the default (§5.4.1). */
const OUT_CHUNK_SIZE = 128;
/** SetBufferLength (§7.1.7) we announce: players send a second or more; 0 makes some servers wait. */
const BUFFER_LENGTH_MS = 1000;
const TX_CONNECT = 1;
const TX_CREATE_STREAM = 2;

/** What every viewer of a run shares. */
export interface ViewerTarget {
  hostname: string;
  port: number;
  app: string;
  tcUrl: string;
  streamKey: string;
  /** Limit from connect to NetStream.Play.Start. */
  setupTimeoutMs: number;
  window: MeasureWindow;
  latency: LatencyHistogram;
}

// Plain Uint8Arrays are cheaper than Buffers; bun-types' connect() only types the "buffer" default.
const HANDLERS: SocketHandler<RtmpViewer, "uint8array"> = {
  binaryType: "uint8array",
  open: (s) => s.data.onOpen(s),
  data: (s, d) => s.data.onData(d),
  drain: (s) => s.data.flush(),
  close: (s, e) => s.data.onClose(e?.message ?? "closed by server"),
  error: (s, e) => s.data.fail(e.message),
  connectError: (s, e) => s.data.fail(e.message),
};

export class RtmpViewer extends MeasuredViewer implements ChunkSink, MessageSink, ControlPeer {
  /** Video messages that are not frames (sequence headers). */
  videoConfigs = 0;

  private socket: Socket<RtmpViewer> | null = null;
  private readonly handshake = new ClientHandshake();
  readonly decoder: ChunkDecoder;
  readonly acks = new Acknowledger();
  private readonly assembler: MessageAssembler;
  private pending = new Uint8Array(2 * HANDSHAKE_SIZE + 1);
  private pendingLen = 0;
  private out: Uint8Array | null = null;
  private arrivalMs = 0;
  private readonly stamp: Stamp = { seq: 0, sendTimeMs: 0 };
  private readonly gather = new Uint8Array(STAMP_SCAN_BYTES);
  private gatherLen = 0;
  private gatherWant = 0;
  private gatherCsid = -1;
  private setupTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly target: ViewerTarget) {
    super(target.window, target.latency);
    this.decoder = new ChunkDecoder(this);
    this.assembler = new MessageAssembler(this);
  }

  start(): void {
    this.phase = "connecting";
    this.setupTimer = setTimeout(() => this.fail(`no NetStream.Play.Start in ${this.target.setupTimeoutMs} ms`), this.target.setupTimeoutMs);
    Bun.connect<RtmpViewer>({ hostname: this.target.hostname, port: this.target.port, data: this, socket: HANDLERS as unknown as SocketHandler<RtmpViewer> }).catch((e: Error) =>
      this.fail(e.message),
    );
  }

  stop(): void {
    this.clearSetup();
    if (this.phase === "connecting" || this.phase === "idle") {
      this.phase = "failed";
      this.error ??= "not playing yet when the run ended";
    }
    if (this.phase === "playing") this.phase = "closed";
    const s = this.socket;
    this.socket = null;
    s?.end();
  }

  onOpen(s: Socket<RtmpViewer>): void {
    if (this.phase !== "connecting") {
      s.end();
      return;
    }
    this.socket = s;
    this.write(this.handshake.start());
  }

  onClose(reason: string): void {
    if (this.socket === null) return; // we closed it
    this.socket = null;
    this.closedAtMs = wallMs();
    if (this.phase === "playing") {
      this.phase = "closed";
      this.error ??= reason;
    } else this.fail(reason);
  }

  fail(reason: string): void {
    if (this.phase === "failed" || this.phase === "closed") return;
    this.clearSetup();
    if (this.phase === "playing") {
      this.phase = "closed";
      this.closedAtMs = wallMs();
    } else this.phase = "failed";
    this.error = reason;
    const s = this.socket;
    this.socket = null;
    s?.end();
  }

  onData(data: Uint8Array): void {
    if (this.socket === null) return;
    this.arrivalMs = wallMs();
    this.bytes += data.length;
    try {
      this.feed(data);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    // §5.4.3: acknowledge each window of bytes the server announced, or it may stop sending.
    const ack = this.acks.add(data.length);
    if (ack) this.write(ack);
  }

  flush(): void {
    const out = this.out;
    if (out === null || this.socket === null) return;
    const n = Math.max(0, this.socket.write(out));
    this.out = n === out.length ? null : out.subarray(n);
  }

  /** Decodes `data`, stitching it to the partial chunk of the last read with as few copied bytes as it takes. */
  private feed(data: Uint8Array): void {
    let off = 0;
    while (this.pendingLen > 0 && off < data.length) {
      const take = Math.min(data.length - off, this.pending.length - this.pendingLen);
      this.pending.set(data.subarray(off, off + take), this.pendingLen);
      const have = this.pendingLen + take;
      const used = this.consume(this.pending.subarray(0, have));
      if (used === 0) {
        if (off + take === data.length) {
          this.pendingLen = have;
          return;
        }
        this.growPending(have + 1);
      } else if (used >= this.pendingLen) {
        off += used - this.pendingLen;
        this.pendingLen = 0;
      } else {
        this.pending.copyWithin(0, used, this.pendingLen);
        this.pendingLen -= used;
      }
    }
    if (off === data.length) return;
    const rest = off === 0 ? data : data.subarray(off);
    const used = this.consume(rest);
    if (used < rest.length) {
      this.growPending(rest.length - used);
      this.pending.set(rest.subarray(used));
      this.pendingLen = rest.length - used;
    }
  }

  private consume(buf: Uint8Array): number {
    let pos = 0;
    if (!this.handshake.done) {
      pos = this.handshake.feed(buf);
      const c2 = this.handshake.takeOutput();
      if (c2 === null) return pos;
      this.write(c2);
      this.sendConnect();
    }
    return pos === buf.length ? pos : pos + this.decoder.decode(pos === 0 ? buf : buf.subarray(pos));
  }

  private growPending(need: number): void {
    if (need <= this.pending.length) return;
    if (need > MAX_PENDING_BYTES) throw new Error(`partial chunk of ${need} bytes > max ${MAX_PENDING_BYTES}`);
    const grown = new Uint8Array(Math.min(MAX_PENDING_BYTES, Math.max(need, 2 * this.pending.length)));
    grown.set(this.pending.subarray(0, this.pendingLen));
    this.pending = grown;
  }

  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    const type = h.msgTypeId;
    if (type === T.VIDEO) this.onVideoChunk(h, data, offset);
    else if (type === T.AUDIO) {
      if (offset === 0) this.audioFrames++;
    } else this.assembler.onChunk(h, data, offset);
  }

  private onVideoChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    if (offset === 0) {
      const want = Math.min(h.msgLength, STAMP_SCAN_BYTES);
      if (data.length >= want) return this.onVideoHead(data);
      this.gather.set(data);
      this.gatherLen = data.length;
      this.gatherWant = want;
      this.gatherCsid = h.csid;
      return;
    }
    // Only with chunks smaller than the stamp scan (a server at the default 128 bytes).
    if (this.gatherLen === 0 || h.csid !== this.gatherCsid || offset !== this.gatherLen) return;
    const n = Math.min(data.length, this.gatherWant - this.gatherLen);
    this.gather.set(n === data.length ? data : data.subarray(0, n), this.gatherLen);
    this.gatherLen += n;
    if (this.gatherLen < this.gatherWant) return;
    this.gatherLen = 0;
    this.onVideoHead(this.gather.subarray(0, this.gatherWant));
  }

  private onVideoHead(head: Uint8Array): void {
    const r = readVideoTagStamp(head, this.stamp);
    if (r === STAMP_FOUND) this.onFrame(this.stamp.seq, this.stamp.sendTimeMs, this.arrivalMs);
    else if (r === STAMP_NOT_FRAME) this.videoConfigs++;
    else this.unstamped++;
  }

  /** ControlPeer: an Abort drops the partial message being assembled. */
  aborted(csid: number): void {
    this.assembler.release(csid);
  }

  send(bytes: Uint8Array): void {
    this.write(bytes);
  }

  onMessage(h: ChunkHeader, body: Uint8Array): void {
    if (handleProtocolControl(this, h, body)) return;
    switch (h.msgTypeId) {
      case T.SET_PEER_BANDWIDTH:
        // §5.4.5: the receiver answers with a Window Acknowledgement Size of its own.
        this.write(ctl.controlMessage(ctl.encodeWindowAckSizeTo, ctl.decodeSetPeerBandwidth(body).size));
        return;
      case T.COMMAND_AMF0:
      case T.COMMAND_AMF3:
        this.onCommand(h.msgTypeId, body);
    }
  }

  private onCommand(typeId: number, body: Uint8Array): void {
    const c = decodeCommand(body, typeId);
    const info = (c.args[0] ?? {}) as { code?: unknown; level?: unknown; description?: unknown };
    if (c.name === "_error") return this.fail(`${c.transactionId === TX_CONNECT ? "connect" : "createStream"} refused: ${String(info.code ?? "")} ${String(info.description ?? "")}`.trim());
    if (c.name === "_result" && c.transactionId === TX_CONNECT) return this.command("createStream", TX_CREATE_STREAM, 0);
    if (c.name === "_result" && c.transactionId === TX_CREATE_STREAM) {
      const id = c.args[0];
      if (typeof id !== "number") return this.fail(`createStream answered ${String(id)}`);
      this.write(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.SetBufferLength, id, BUFFER_LENGTH_MS));
      this.requestedMs = wallMs();
      this.command("play", 0, id, this.target.streamKey, -2);
      return;
    }
    if (c.name !== "onStatus") return;
    const code = String(info.code ?? "");
    if (code === "NetStream.Play.Start" && this.phase === "connecting") {
      this.clearSetup();
      this.phase = "playing";
    } else if (info.level === "error") this.fail(`${code} ${String(info.description ?? "")}`.trim());
  }

  private sendConnect(): void {
    // Announced like a player (ffmpeg's rtmp client sends the same fields).
    this.command("connect", TX_CONNECT, 0, {
      app: this.target.app,
      flashVer: "LNX 9,0,124,2",
      tcUrl: this.target.tcUrl,
      fpad: false,
      capabilities: 15,
      audioCodecs: 4071,
      videoCodecs: 252,
      videoFunction: 1,
    });
  }

  /** A command (§7.2): for `connect` the object is the command object, otherwise null then `args`. */
  private command(name: string, tx: number, msgStreamId: number, ...args: unknown[]): void {
    const body = name === "connect" ? encodeCommand(name, tx, args[0] as Record<string, unknown>) : encodeCommand(name, tx, null, ...args);
    this.write(encodeMessage(T.CSID_COMMAND, 0, T.COMMAND_AMF0, msgStreamId, OUT_CHUNK_SIZE, body));
  }

  /** Sends what the socket takes now, keeps the rest (a copy: `bytes` may be a scratch view) for drain. */
  private write(bytes: Uint8Array): void {
    if (this.socket === null) return;
    if (this.out !== null) {
      const joined = new Uint8Array(this.out.length + bytes.length);
      joined.set(this.out);
      joined.set(bytes, this.out.length);
      this.out = joined;
      return;
    }
    const n = Math.max(0, this.socket.write(bytes));
    if (n < bytes.length) this.out = bytes.slice(n);
  }

  private clearSetup(): void {
    if (this.setupTimer !== null) clearTimeout(this.setupTimer);
    this.setupTimer = null;
  }
}
