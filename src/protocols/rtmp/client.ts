/**
 * A small RTMP client for tests and `spate bench rtmp`: handshake, connect, then publish or play
 * (RTMP 1.0 §7.2). Built on wire/ only. Media bodies are FLV tag bodies. Writes respect the
 * socket's backpressure: what the kernel does not take waits in a queue (`bufferedBytes`) and is
 * sent on drain, so a load generator can see a slow server instead of growing without bound.
 */
import { CLIENT_FOURCC_INFO } from "./capabilities.ts";
import type { Socket } from "bun";
import { type Command, decodeCommand, encodeCommand, encodeData } from "./wire/amf0.ts";
import type { ChunkHeader } from "./wire/chunk-header.ts";
import { chunkedSize, encodeMessage, encodeMessageTo } from "./wire/chunk-encoder.ts";
import * as ctl from "./wire/control.ts";
import { ClientHandshake } from "./wire/handshake.ts";
import { MessageReader } from "./wire/message-assembler.ts";
import { Acknowledger, handleProtocolControl, type ControlPeer } from "./wire/peer-control.ts";
import * as T from "./wire/message-types.ts";

export interface RtmpClientOptions {
  /** rtmps:// only: accept any certificate (self-signed test servers). Off by default. */
  insecureTls?: boolean;
  /** Announced with Set Chunk Size right after the handshake. Default 4096. */
  chunkSize?: number;
  /** Digest handshake as ffmpeg and Flash do it. Default true. */
  digestHandshake?: boolean;
  /** Limit for each step (connect, publish, play). Default 10 s. */
  timeoutMs?: number;
  /** Every message but protocol control: media, data, commands. `body` is valid during the call only. */
  onMessage?: (typeId: number, timestampMs: number, body: Uint8Array) => void;
  onClose?: (error?: Error) => void;
}

/** A refusal by the server: `code` is the status code (`NetStream.Publish.BadName`) or `_error`. */
export class RtmpStatusError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
  ) {
    super(description ? `${code}: ${description}` : code);
    this.name = "RtmpStatusError";
  }
}

interface Waiter {
  resolve: (c: Command) => void;
  reject: (e: Error) => void;
}

const CSID_AUDIO = 4;
const CSID_DATA = 5;
const CSID_VIDEO = 6;

export class RtmpClient {
  readonly app: string;
  readonly tcUrl: string;
  /** The URL path after the app: the default stream key. */
  readonly streamKey: string;
  /** Message stream id from createStream (0 before publish/play). */
  streamId = 0;
  bytesReceived = 0;
  bytesSent = 0;
  closed = false;
  onMessage: RtmpClientOptions["onMessage"];

  private socket: Socket<undefined> | null = null;
  private readonly handshake: ClientHandshake;
  private readonly reader: MessageReader;
  /** Set Chunk Size, Abort, acknowledgements and pings, handled as every endpoint does. */
  private readonly control: ControlPeer;
  private pending: Uint8Array = new Uint8Array(0);
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private scratch = new Uint8Array(64 * 1024);
  private readonly chunkSize: number;
  private nextTransaction = 1;
  private readonly transactions = new Map<number, Waiter>();
  private statusWaiter: (Waiter & { success: string }) | null = null;
  private announcedWindow = 0;
  private publishing = false;
  private ready!: Waiter;

  private constructor(
    url: URL,
    private readonly opts: RtmpClientOptions,
  ) {
    const segments = url.pathname.split("/").filter(Boolean);
    this.app = decodeURIComponent(segments[0] ?? "");
    this.streamKey = segments.slice(1).map(decodeURIComponent).join("/") + url.search;
    this.tcUrl = `${url.protocol}//${url.host}/${this.app}`;
    this.chunkSize = opts.chunkSize ?? 4096;
    this.onMessage = opts.onMessage;
    this.handshake = new ClientHandshake({ digest: opts.digestHandshake ?? true });
    this.reader = new MessageReader({ onMessage: (h, body) => this.message(h, body) });
    this.control = { decoder: this.reader.decoder, acks: new Acknowledger(), send: (b) => this.write(b), aborted: () => {} };
  }

  /** Connects, does the handshake and the `connect` command for the URL's app. */
  static async connect(url: string, opts: RtmpClientOptions = {}): Promise<RtmpClient> {
    const u = new URL(url);
    if (u.protocol !== "rtmp:" && u.protocol !== "rtmps:") throw new Error(`not an rtmp:// or rtmps:// URL: ${url}`);
    const tls = u.protocol === "rtmps:";
    const client = new RtmpClient(u, opts);
    const connected = client.step<Command>((w) => (client.ready = w), "connect");
    connected.catch(() => {}); // awaited below; a connect error must not also surface as unhandled
    client.socket = await Bun.connect({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port) || (tls ? 443 : 1935),
      tls: tls ? (opts.insecureTls ? { rejectUnauthorized: false } : true) : undefined,
      socket: {
        open: (s) => {
          client.socket = s;
          s.write(client.handshake.start());
        },
        data: (_s, data) => client.receive(data),
        drain: () => client.flush(),
        close: () => client.fail(new Error("connection closed")),
        error: (_s, e) => client.fail(e),
        connectError: (_s, e) => client.fail(e),
      },
    }).catch((e: Error) => {
      client.fail(e);
      throw e;
    });
    await connected;
    return client;
  }

  /** Bytes written but not yet taken by the socket. */
  get bufferedBytes(): number {
    return this.queued;
  }

  /** releaseStream, FCPublish, createStream, publish; resolves on NetStream.Publish.Start (§7.2.2.6). */
  async publish(key = this.streamKey): Promise<void> {
    this.command("releaseStream", this.nextTransaction++, null, key);
    this.command("FCPublish", this.nextTransaction++, null, key);
    await this.createStream();
    await this.streamCommand("NetStream.Publish.Start", "publish", key, "live");
    this.publishing = true;
  }

  /** createStream, play; resolves on NetStream.Play.Start (§7.2.2.1). */
  async play(key = this.streamKey): Promise<void> {
    await this.createStream();
    this.write(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.SetBufferLength, this.streamId, 1000));
    await this.streamCommand("NetStream.Play.Start", "play", key, -2);
  }

  sendVideo(timestampMs: number, body: Uint8Array): void {
    this.send(CSID_VIDEO, T.VIDEO, timestampMs, null, body);
  }

  sendAudio(timestampMs: number, body: Uint8Array): void {
    this.send(CSID_AUDIO, T.AUDIO, timestampMs, null, body);
  }

  /** A data message (type 18): `sendData("@setDataFrame", "onMetaData", {...})`. */
  sendData(name: string, ...args: unknown[]): void {
    this.send(CSID_DATA, T.DATA_AMF0, 0, null, encodeData(name, ...args));
  }

  /** Any message on the current stream; `header` is sent before `payload` (see encodeMessageTo). */
  send(csid: number, typeId: number, timestampMs: number, header: Uint8Array | null, payload: Uint8Array): void {
    const size = chunkedSize((header?.length ?? 0) + payload.length, this.chunkSize, timestampMs, csid);
    // Encode into the reused scratch buffer when nothing waits; write() copies what the socket refuses.
    const buf = this.queued === 0 ? this.scratchOf(size) : new Uint8Array(size);
    const n = encodeMessageTo(buf, 0, csid, timestampMs, typeId, this.streamId, this.chunkSize, header, payload);
    this.write(buf.subarray(0, n), this.queued === 0);
  }

  /**
   * Ends the session politely (FCUnpublish, deleteStream) and closes the socket. What the socket has
   * not taken yet (`bufferedBytes`) is dropped: wait for 0 first to deliver everything.
   */
  close(): void {
    if (this.closed) return;
    if (this.publishing) this.command("FCUnpublish", this.nextTransaction++, null, this.streamKey);
    if (this.streamId) this.command("deleteStream", this.nextTransaction++, null, this.streamId);
    this.abort();
  }

  /** Settles everything first: ending the socket reports a plain "connection closed". */
  private abort(error?: Error): void {
    this.fail(error);
    this.socket?.end();
  }

  private scratchOf(size: number): Uint8Array {
    if (this.scratch.length < size) this.scratch = new Uint8Array(Math.max(size, 2 * this.scratch.length));
    return this.scratch;
  }

  /** A promise for one answer from the server; without one in time the connection is given up. */
  private step<V>(register: (w: Waiter) => void, what: string): Promise<V> {
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    return new Promise<V>((resolve, reject) => {
      const timer = setTimeout(() => this.abort(new Error(`rtmp ${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
      register({
        resolve: (v) => (clearTimeout(timer), resolve(v as V)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  private async createStream(): Promise<void> {
    const tx = this.nextTransaction++;
    const result = this.step<Command>((w) => this.transactions.set(tx, w), "createStream");
    this.command("createStream", tx, null);
    const id = (await result).args[0];
    if (typeof id !== "number") throw new RtmpStatusError("_result", `createStream answered ${String(id)}`);
    this.streamId = id;
  }

  private async streamCommand(success: string, name: string, ...args: unknown[]): Promise<void> {
    const done = this.step<Command>((w) => (this.statusWaiter = { ...w, success }), name);
    this.command(name, 0, null, ...args);
    await done;
  }

  private command(name: string, tx: number, obj: Record<string, unknown> | null, ...args: unknown[]): void {
    const streamId = name === "publish" || name === "play" || name === "deleteStream" ? this.streamId : 0;
    this.write(encodeMessage(T.CSID_COMMAND, 0, T.COMMAND_AMF0, streamId, this.chunkSize, encodeCommand(name, tx, obj, ...args)));
  }

  /** Sends now what the socket takes; queues the rest (a copy when `borrowed` is a scratch view). */
  private write(bytes: Uint8Array, borrowed = false): void {
    if (this.closed || this.socket === null) return;
    this.bytesSent += bytes.length;
    if (this.queued === 0) {
      const n = Math.max(0, this.socket.write(bytes));
      if (n === bytes.length) return;
      bytes = borrowed ? bytes.slice(n) : bytes.subarray(n);
    }
    this.queue.push(bytes);
    this.queued += bytes.length;
  }

  private flush(): void {
    while (this.queue.length > 0 && this.socket !== null) {
      const head = this.queue[0]!;
      const n = Math.max(0, this.socket.write(head));
      this.queued -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
  }

  private receive(data: Uint8Array): void {
    this.bytesReceived += data.length;
    let buf = data;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + data.length);
      buf.set(this.pending);
      buf.set(data, this.pending.length);
    }
    try {
      let pos = 0;
      if (!this.handshake.done) {
        pos = this.handshake.feed(buf);
        const c2 = this.handshake.takeOutput();
        if (c2 !== null) this.start(c2);
      }
      if (this.handshake.done) pos += this.reader.decode(buf.subarray(pos));
      this.pending = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
      const ack = this.control.acks.add(data.length);
      if (ack) this.write(ack);
    } catch (e) {
      this.abort(e as Error);
    }
  }

  /** After the handshake: C2, our chunk size, then connect (§7.2.1.1). */
  private start(c2: Uint8Array): void {
    this.write(c2);
    this.write(ctl.controlMessage(ctl.encodeSetChunkSizeTo, this.chunkSize));
    const tx = this.nextTransaction++;
    this.transactions.set(tx, this.ready);
    this.command("connect", tx, {
      app: this.app,
      type: "nonprivate",
      flashVer: "FMLE/3.0 (compatible; spate)",
      tcUrl: this.tcUrl,
      fpad: false,
      capabilities: 15,
      audioCodecs: 0x0fff,
      videoCodecs: 0x00ff,
      videoFunction: 1,
      objectEncoding: 0,
      ...CLIENT_FOURCC_INFO,
    });
  }

  private message(h: ChunkHeader, body: Uint8Array): void {
    if (handleProtocolControl(this.control, h, body)) return;
    switch (h.msgTypeId) {
      case T.SET_PEER_BANDWIDTH:
      {
        // §5.4.5: answer with a Window Acknowledgement Size when it differs from the last we sent.
        const { size } = ctl.decodeSetPeerBandwidth(body);
        if (size !== this.announcedWindow) this.write(ctl.controlMessage(ctl.encodeWindowAckSizeTo, size));
        this.announcedWindow = size;
        return;
      }
      case T.COMMAND_AMF0:
      case T.COMMAND_AMF3:
        this.answer(decodeCommand(body, h.msgTypeId));
        break;
    }
    if (h.msgTypeId > T.SET_PEER_BANDWIDTH) this.onMessage?.(h.msgTypeId, h.timestamp, body);
  }

  private answer(c: Command): void {
    const info = (c.args[0] ?? {}) as { code?: unknown; description?: unknown; level?: unknown };
    const code = String(info.code ?? c.name);
    if (c.name === "_result" || c.name === "_error") {
      const w = this.transactions.get(c.transactionId);
      if (w === undefined) return;
      this.transactions.delete(c.transactionId);
      if (c.name === "_result") w.resolve(c);
      else w.reject(new RtmpStatusError(code, String(info.description ?? "")));
    } else if (c.name === "onStatus" && this.statusWaiter !== null) {
      const w = this.statusWaiter;
      if (code === w.success) w.resolve(c);
      else if (info.level === "error") w.reject(new RtmpStatusError(code, String(info.description ?? "")));
      else return;
      this.statusWaiter = null;
    }
  }

  private fail(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const e = error ?? new Error("closed");
    for (const w of this.transactions.values()) w.reject(e);
    this.transactions.clear();
    this.statusWaiter?.reject(e);
    this.statusWaiter = null;
    this.ready?.reject(e);
    this.queue.length = 0;
    this.queued = 0;
    this.opts.onClose?.(error);
  }
}
