/**
 * One SRT bench viewer: a caller that reads a path (`read:PATH`) and measures it. SRT hands payloads
 * out at their play time (TSBPD), so the latency measured includes the negotiated SRT latency. Each
 * payload goes to a TsStampScanner: only packet headers and the head of each video PES are read.
 */
import { wallMs } from "../core/errors.ts";
import type { SrtCloseInfo } from "../protocols/srt/session.ts";
import { MeasuredViewer, type MeasureWindow } from "./measured-viewer.ts";
import { SrtCaller, type SrtCallerOptions, type SrtTicker } from "./srt-caller.ts";
import type { SrtMuxPool } from "./srt-mux.ts";
import type { LatencyHistogram } from "./stats.ts";
import { type StampSink, TsStampScanner } from "./ts-stamp-scanner.ts";

/** A viewer only sends control packets: a small send ring. */
const VIEWER_SEND_BUFFER_PACKETS = 16;

/** What every viewer of a run shares. */
export interface SrtViewerTarget {
  address: string;
  port: number;
  /** `read:PATH`. */
  streamId: string;
  latencyMs: number;
  passphrase?: string;
  setupTimeoutMs: number;
  /** Shared sockets for the viewers, where the platform has them (else a socket each). */
  muxes: SrtMuxPool | null;
  ticker: SrtTicker;
  window: MeasureWindow;
  latency: LatencyHistogram;
}

export class SrtViewer extends MeasuredViewer implements StampSink {
  caller: SrtCaller | null = null;
  /** Frames sent in the window that arrived with packets missing (continuity gaps after the stamp). */
  damagedFrames = 0;
  readonly scanner: TsStampScanner;
  private arrivalMs = 0;
  private stopped = false;

  constructor(readonly target: SrtViewerTarget) {
    super(target.window, target.latency);
    this.scanner = new TsStampScanner(this);
  }

  start(): void {
    const t = this.target;
    this.phase = "connecting";
    this.requestedMs = wallMs();
    const opts: SrtCallerOptions = {
      address: t.address,
      port: t.port,
      streamId: t.streamId,
      latencyMs: t.latencyMs,
      passphrase: t.passphrase,
      connectTimeoutMs: t.setupTimeoutMs,
      sendBufferPackets: VIEWER_SEND_BUFFER_PACKETS,
      onConnected: () => {
        if (this.phase === "connecting") this.phase = "playing";
      },
      onPayload: (payload, nowMs) => {
        this.bytes += payload.length;
        this.arrivalMs = nowMs;
        this.scanner.push(payload);
      },
      onClose: (info) => this.onClose(info),
    };
    if (t.muxes) {
      this.caller = SrtCaller.openMuxed(opts, t.ticker, t.muxes.next());
      return;
    }
    SrtCaller.open(opts, t.ticker).then(
      (caller) => {
        this.caller = caller;
        if (this.stopped) caller.close(); // the run ended while the socket opened
      },
      (e: Error) => this.fail(`cannot open a UDP socket: ${e.message}`),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.phase === "connecting" || this.phase === "idle") {
      this.phase = "failed";
      this.error ??= "not playing yet when the run ended";
    }
    if (this.phase === "playing") this.phase = "closed";
    this.caller?.close();
  }

  onStamp(seq: number, sendTimeMs: number): void {
    this.onFrame(seq, sendTimeMs, this.arrivalMs);
  }

  onDamaged(_seq: number, sendTimeMs: number): void {
    if (this.window.contains(sendTimeMs)) this.damagedFrames++;
  }

  /** Keeps the scanner's counts in the shared fields the report reads. */
  sync(): void {
    this.audioFrames = this.scanner.audioFrames;
    this.unstamped = this.scanner.unstamped;
  }

  private onClose(info: SrtCloseInfo): void {
    if (this.stopped) return;
    const reason = info.reason === "rejected" ? `rejected: ${info.code} ${info.message}` : info.reason === "timeout" && this.phase === "connecting" ? `no answer to the handshake in ${this.target.setupTimeoutMs} ms` : info.message;
    if (this.phase === "playing") {
      this.phase = "closed";
      this.closedAtMs = wallMs();
      this.error ??= reason;
    } else this.fail(reason);
  }

  private fail(reason: string): void {
    if (this.phase === "failed" || this.phase === "closed") return;
    this.phase = "failed";
    this.error = reason;
  }
}
