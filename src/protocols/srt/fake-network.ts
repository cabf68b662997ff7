/**
 * For tests: two SRT endpoints joined by an in-memory network with a fake clock that can drop
 * (seeded), delay and reorder (random extra delay per datagram) each direction, plus a minimal
 * listener (gate + one session) like the real one. No sockets, no timers: `run` advances the clock.
 */
import { mulberry32, type Rng } from "../../core/fuzz.ts";
import { SrtHandshakeGate } from "./handshake-gate.ts";
import { SrtSession, type SrtSessionOptions, type SrtTransport } from "./session.ts";

export interface LinkOptions {
  /** Drop probability per datagram, caller to listener and back. */
  lossUp?: number;
  lossDown?: number;
  delayMs?: number;
  /** Extra random delay up to this, per datagram: reorders. */
  jitterMs?: number;
  seed?: number;
  /** Drop this datagram (by direction and index) on top of the random loss. */
  dropIf?: (dir: "up" | "down", index: number, buf: Uint8Array) => boolean;
}

interface Flight {
  atUs: number;
  order: number;
  dir: "up" | "down";
  bytes: Uint8Array;
}

export class FakeNetwork {
  nowUs: number;
  readonly rng: Rng;
  private readonly queue: Flight[];
  private order: number;
  private readonly sent: { up: number; down: number };
  readonly dropped: { up: number; down: number };
  private readonly gate: SrtHandshakeGate;
  private readonly gateOut: Uint8Array;
  caller: SrtSession | null;
  listener: SrtSession | null;
  private listenerOptions: Omit<SrtSessionOptions, "role" | "transport" | "nowUs"> | null;
  /** Stops delivering to one side (a dead peer). */
  silence: { up: boolean; down: boolean };

  constructor(
    readonly opts: LinkOptions = {},
    startUs = 1_000_000,
  ) {
    this.nowUs = startUs;
    this.rng = mulberry32(opts.seed ?? 1);
    this.queue = [];
    this.order = 0;
    this.sent = { up: 0, down: 0 };
    this.dropped = { up: 0, down: 0 };
    this.gate = new SrtHandshakeGate({ secret: new Uint8Array(32).fill(9), nowUs: startUs });
    this.gateOut = new Uint8Array(1500);
    this.caller = null;
    this.listener = null;
    this.listenerOptions = null;
    this.silence = { up: false, down: false };
  }

  transport(dir: "up" | "down"): SrtTransport {
    return {
      send: (buf, len) => {
        const index = this.sent[dir]++;
        // A Buffer, as Bun's UDP socket delivers (whose slice() is a view: the session must copy).
        const bytes = Buffer.from(buf.subarray(0, len));
        const loss = dir === "up" ? (this.opts.lossUp ?? 0) : (this.opts.lossDown ?? 0);
        if ((loss && this.rng.next() / 2 ** 32 < loss) || this.opts.dropIf?.(dir, index, bytes)) {
          this.dropped[dir]++;
          return;
        }
        const jitter = this.opts.jitterMs ? (this.rng.next() / 2 ** 32) * this.opts.jitterMs * 1000 : 0;
        this.schedule({ atUs: this.nowUs + (this.opts.delayMs ?? 0) * 1000 + jitter, order: this.order++, dir, bytes });
      },
    };
  }

  /** A listener accepting on the gate; its session is created by the first valid conclusion. */
  listen(opts: Omit<SrtSessionOptions, "role" | "transport" | "nowUs">): void {
    this.listenerOptions = opts;
  }

  dial(opts: Omit<SrtSessionOptions, "role" | "transport" | "nowUs">): SrtSession {
    this.caller = new SrtSession({ ...opts, role: "caller", transport: this.transport("up"), nowUs: this.nowUs, peerAddress: "127.0.0.1" });
    this.caller.connect(this.nowUs);
    return this.caller;
  }

  /**
   * Advances the clock to `untilUs`, delivering datagrams in time order, ticking both sessions
   * every 10 ms and calling `step` every `stepUs` (to send at a steady rate).
   */
  run(untilUs: number, step?: (nowUs: number) => void, stepUs = 10_000): void {
    let nextTick = this.nowUs + 10_000 - (this.nowUs % 10_000);
    let nextStep = step ? this.nowUs + stepUs : Infinity;
    while (true) {
      const next = this.queue.length ? this.queue[0]!.atUs : Infinity;
      const timer = Math.min(nextTick, nextStep);
      if (next > untilUs && timer > untilUs) break;
      if (next <= timer) {
        const f = this.queue.shift()!;
        this.nowUs = Math.max(this.nowUs, f.atUs);
        if (f.dir === "up") this.toListener(f.bytes);
        else if (!this.silence.down) this.caller?.onPacket(f.bytes, this.nowUs);
      } else if (nextStep <= nextTick) {
        this.nowUs = nextStep;
        nextStep += stepUs;
        step!(this.nowUs);
      } else {
        this.nowUs = nextTick;
        nextTick += 10_000;
        this.caller?.tick(this.nowUs);
        this.listener?.tick(this.nowUs);
      }
    }
    this.nowUs = untilUs;
  }

  private toListener(bytes: Uint8Array): void {
    if (this.silence.up) return;
    if (this.listener && !this.listener.isClosed) return this.listener.onPacket(bytes, this.nowUs);
    if (!this.listenerOptions) return;
    const n = this.gate.answerInduction(bytes, "caller", this.nowUs, this.gateOut, "127.0.0.1");
    if (n) return this.transport("down").send(this.gateOut, n);
    if (!this.gate.acceptsConclusion(bytes, "caller", this.nowUs)) return;
    this.listener = new SrtSession({ ...this.listenerOptions, role: "listener", transport: this.transport("down"), nowUs: this.nowUs, peerAddress: "127.0.0.1" });
    this.listener.onPacket(bytes, this.nowUs);
  }

  private schedule(f: Flight): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.atUs < f.atUs || (q.atUs === f.atUs && q.order < f.order)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, f);
  }
}
