/**
 * Datagrams out in batches: every datagram a session sends while one event is handled (a frame
 * fanned out to every reader, a burst of ACKs) is copied into a preallocated arena and handed to
 * the kernel with one `sendMany` (sendmmsg) when the event is done, instead of one sendto each.
 * The copy frees the caller's buffer at once (sessions reuse one scratch buffer for control
 * packets); the arena's views are cached per slot and per length, so nothing is allocated per
 * datagram once lengths repeat (data packets are all 1,332 bytes).
 */
export const BATCH_SLOTS = 256;
const SLOT_BYTES = 1500;

/** What the batcher needs of a socket: Bun's `udp.Socket.sendMany`. */
export interface ManySender {
  sendMany(packets: readonly (Uint8Array | string | number)[]): number;
}

export class UdpBatch {
  private readonly arena = new Uint8Array(BATCH_SLOTS * SLOT_BYTES);
  private readonly views: Uint8Array[] = [];
  /** [view, port, address] per queued datagram; its length is set to what is queued at flush. */
  private readonly entries: (Uint8Array | string | number)[] = [];
  private n = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();
  /** Datagrams the kernel did not take (sendmmsg stopped short), and oversized ones refused. */
  dropped = 0;
  sent = 0;
  batches = 0;

  constructor(private readonly socket: () => ManySender | null) {
    for (let i = 0; i < BATCH_SLOTS; i++) this.views.push(this.arena.subarray(i * SLOT_BYTES, i * SLOT_BYTES));
  }

  /** Queues one datagram (copied); it goes out when the current event is done, or when the batch is full. */
  send(buf: Uint8Array, len: number, port: number, address: string): void {
    if (len > SLOT_BYTES) {
      this.dropped++;
      return;
    }
    if (this.n === BATCH_SLOTS) this.flush();
    const i = this.n++;
    const at = i * SLOT_BYTES;
    // Copying a whole send slot or scratch buffer (≤ 1,500 bytes) is cheaper than a view of its head.
    this.arena.set(buf.length <= SLOT_BYTES ? buf : buf.subarray(0, len), at);
    let view = this.views[i]!;
    if (view.length !== len) view = this.views[i] = this.arena.subarray(at, at + len);
    const e = this.entries;
    e[3 * i] = view;
    e[3 * i + 1] = port;
    e[3 * i + 2] = address;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  private oneByOne(s: ManySender, n: number): number {
    const e = this.entries;
    const one: (Uint8Array | string | number)[] = [];
    let took = 0;
    for (let i = 0; i < n; i++) {
      one[0] = e[3 * i]!;
      one[1] = e[3 * i + 1]!;
      one[2] = e[3 * i + 2]!;
      try {
        took += s.sendMany(one);
      } catch {
        // that peer's datagram is lost
      }
    }
    return took;
  }

  flush(): void {
    this.scheduled = false;
    const n = this.n;
    if (!n) return;
    this.n = 0;
    const e = this.entries;
    if (e.length !== 3 * n) e.length = 3 * n;
    const s = this.socket();
    let took = 0;
    if (s) {
      try {
        took = s.sendMany(e);
      } catch {
        took = this.oneByOne(s, n); // a peer that left (ICMP unreachable) must not cost the others their packets
      }
    }
    this.batches++;
    this.sent += took;
    this.dropped += n - took;
  }
}
