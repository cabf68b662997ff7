/**
 * The receiving half of a session (draft-sharabayko-srt-01 §4.5-§4.8): stores data packets by
 * sequence number, reports gaps at once (NAK) and periodically, acknowledges every 10 ms (full ACK,
 * measured against the peer's ACKACK for the RTT) and every 64 packets (light ACK), and delivers
 * payloads in order at their play time (TSBPD, §4.5) or skips what is too late to play (§4.6).
 */
import { LossList } from "./loss-list.ts";
import { ReceiveBuffer } from "./receive-buffer.ts";
import { seqStart, unwrapSeq, unwrapTimestamp, wireSeq } from "./seq.ts";
import { SYN_US, type SessionIo } from "./session-io.ts";
import { Ack, ACK_WORDS_FULL, ACK_WORDS_LIGHT, LossReport } from "./wire/control.ts";
import { CTRL_ACK, CTRL_NAK, HEADER_SIZE, KK_NONE, MAX_PAYLOAD_SIZE } from "./wire/constants.ts";
import type { DataHeader } from "./wire/packet.ts";

/** §4.8.1: a light ACK every 64 packets. */
const LIGHT_ACK_PACKETS = 64;
/** §5.1.1: the periodic NAK interval has a 20 ms floor. */
const MIN_NAK_INTERVAL_US = 20_000;
const ACK_HISTORY = 64;

export class Receiver {
  readonly buffer: ReceiveBuffer;
  readonly loss: LossList;
  private readonly report: LossReport;
  private readonly ack: Ack;
  private readonly ackNos: Int32Array;
  private readonly ackSentUs: Float64Array;
  private readonly ackSeqs: Float64Array;

  constructor(
    private readonly io: SessionIo,
    maxPackets: number,
  ) {
    this.buffer = new ReceiveBuffer(maxPackets);
    this.loss = new LossList();
    this.report = new LossReport();
    this.ack = new Ack();
    this.ackNos = new Int32Array(ACK_HISTORY).fill(-1);
    this.ackSentUs = new Float64Array(ACK_HISTORY);
    this.ackSeqs = new Float64Array(ACK_HISTORY);
  }

  /**
   * §4.5.1.1: the time base maps peer timestamps to our clock, taken from the handshake that
   * carried the peer's timestamp (TsbpdTimeBase = T_NOW - HSREQ_TIMESTAMP); `peerInitialSeq` is
   * the first sequence number it will send.
   */
  start(peerInitialSeq: number, peerTimestamp: number, nowUs: number): void {
    const st = this.io.state;
    st.rcvBase = seqStart(peerInitialSeq);
    st.rcvMax = st.rcvBase - 1;
    st.lastAckAckedSeq = st.rcvBase;
    st.rcvTimeBaseUs = nowUs - peerTimestamp;
    st.rcvLastTimestamp = peerTimestamp;
  }

  /** Free slots we announce (flow control). */
  availableBuffer(): number {
    const st = this.io.state;
    return Math.max(0, this.buffer.maxCapacity - (st.rcvMax - st.rcvBase + 1));
  }

  onData(h: DataHeader, buf: Uint8Array, nowUs: number): void {
    const st = this.io.state;
    const c = st.counters;
    const len = buf.length - HEADER_SIZE;
    if (len > MAX_PAYLOAD_SIZE) {
      c.packetsMalformed++;
      return;
    }
    c.packetsReceived++;
    c.bytesReceived += len;
    const seq = unwrapSeq(h.seq, st.rcvMax);
    if (seq < st.rcvBase || this.buffer.has(seq)) {
      c.packetsDuplicate++;
      return;
    }
    if (!this.buffer.reserve(st.rcvBase, seq)) {
      c.packetsDropped++; // beyond the largest window we keep
      return;
    }
    const ts = unwrapTimestamp(h.timestamp, st.rcvLastTimestamp);
    if (ts > st.rcvLastTimestamp) st.rcvLastTimestamp = ts;
    if (seq > st.rcvMax + 1) {
      const first = st.rcvMax + 1;
      this.loss.append(first, seq - 1, nowUs);
      c.packetsLost += seq - first;
      this.sendNak(first, seq - 1, nowUs);
    } else if (seq <= st.rcvMax && this.loss.remove(seq) && !h.retransmitted) {
      // The original came after all: reordered, not lost.
      c.packetsLost--;
      c.packetsReordered++;
    }
    if (seq > st.rcvMax) st.rcvMax = seq;
    const at = this.buffer.put(seq, buf, ts);
    if (h.keyFlag !== KK_NONE) {
      if (!this.io.rxCipher.crypt(h.keyFlag, h.seq, this.buffer.bytes(), at, len)) {
        // No key for it: never deliverable, and not awaited either (delivery skips it).
        this.buffer.release(seq);
        c.packetsUndecryptable++;
      }
    }
    if (++st.packetsSinceAck >= LIGHT_ACK_PACKETS) this.sendAck(nowUs, false);
    this.deliver(nowUs);
  }

  /** §4.8.1: the ACKACK for one of our full ACKs gives an RTT sample. */
  onAckAck(ackNo: number, nowUs: number): void {
    const st = this.io.state;
    const i = ackNo & (ACK_HISTORY - 1);
    if (this.ackNos[i] !== ackNo) return;
    this.ackNos[i] = -1;
    const sample = nowUs - this.ackSentUs[i]!;
    if (!st.rttMeasured) {
      st.rttUs = sample;
      st.rttVarUs = sample / 2;
      st.rttMeasured = true;
    } else {
      st.rttVarUs = (3 * st.rttVarUs + Math.abs(st.rttUs - sample)) / 4;
      st.rttUs = (7 * st.rttUs + sample) / 8;
    }
    if (this.ackSeqs[i]! > st.lastAckAckedSeq) st.lastAckAckedSeq = this.ackSeqs[i]!;
  }

  /** §3.2.8: the sender gave up [first, last]: stop waiting for them. */
  onDropRequest(firstWire: number, lastWire: number, nowUs: number): void {
    const st = this.io.state;
    const first = Math.max(unwrapSeq(firstWire, st.rcvBase), st.rcvBase);
    let last = unwrapSeq(lastWire, first);
    if (last < first) return;
    last = Math.min(last, st.rcvBase + this.buffer.maxCapacity - 1);
    this.loss.removeRange(first, last);
    // Packets we never saw are dropped too: no gap (and no NAK) when the next one comes.
    if (last > st.rcvMax) st.rcvMax = last;
    this.deliver(nowUs);
  }

  tick(nowUs: number): void {
    const st = this.io.state;
    if (nowUs - st.lastFullAckUs >= SYN_US) this.sendAck(nowUs, true);
    // §4.8.2 repeats every loss each (RTT + 4·RTTVar) / 2. libsrt's sender ignores a NAK for a
    // packet it retransmitted less than SRTT − 4·RTTVar ago, so with that period every other NAK
    // falls inside its gate and a lost packet gets one retransmission per ~1.5 RTT. Each range is
    // asked for again when the gate opens (and once more a tick later), which is one per ~RTT: at
    // 5 % loss, 60 ms RTT and 200 ms latency, three chances instead of two (test/srt.test.ts).
    const renakUs = Math.max(st.rttUs - 4 * st.rttVarUs, MIN_NAK_INTERVAL_US);
    if (!this.loss.isEmpty() && this.loss.fillDue(this.report, nowUs, renakUs, SYN_US)) {
      st.lastNakUs = nowUs;
      st.counters.naksSent++;
      this.io.sendControl(CTRL_NAK, 0, 0, this.report, nowUs);
    }
    this.deliver(nowUs);
  }

  /** Hands out every packet whose play time has come, skipping what can no longer be played. */
  deliver(nowUs: number): void {
    const st = this.io.state;
    const latencyUs = st.rcvLatencyMs * 1000;
    while (st.rcvBase <= st.rcvMax) {
      const base = st.rcvBase;
      if (this.buffer.has(base)) {
        const ts = this.buffer.timestampOf(base);
        if (nowUs < st.rcvTimeBaseUs + ts + latencyUs) return;
        st.counters.packetsDelivered++;
        this.io.deliver(this.buffer.payload(base), wireSeq(base), ts);
        this.buffer.release(base);
        st.rcvBase = base + 1;
        continue;
      }
      if (this.loss.firstSeq() !== base) {
        st.counters.packetsDropped++; // given up earlier (drop request, no key, loss list overflow)
        st.rcvBase = base + 1;
        continue;
      }
      // §4.6 too-late packet drop: skip the gap once the first packet after it is due.
      let next = this.loss.firstRangeLast() + 1;
      while (next <= st.rcvMax && !this.buffer.has(next)) next++;
      if (next > st.rcvMax || nowUs < st.rcvTimeBaseUs + this.buffer.timestampOf(next) + latencyUs) return;
      this.loss.removeBelow(next);
      st.counters.packetsDropped += next - base;
      st.rcvBase = next;
    }
  }

  private sendNak(first: number, last: number, nowUs: number): void {
    this.report.clear();
    this.report.add(wireSeq(first), wireSeq(last));
    this.io.state.counters.naksSent++;
    this.io.sendControl(CTRL_NAK, 0, 0, this.report, nowUs);
  }

  /** §3.2.4: a full ACK (numbered, answered by ACKACK) or a light one (sequence number only). */
  private sendAck(nowUs: number, full: boolean): void {
    const st = this.io.state;
    const ackSeq = this.loss.isEmpty() ? st.rcvMax + 1 : this.loss.firstSeq();
    st.packetsSinceAck = 0;
    if (full) {
      st.lastFullAckUs = nowUs;
      // Nothing new since the last ACK the peer confirmed: stay quiet (libsrt does the same).
      if (ackSeq === st.lastAckAckedSeq) return;
    }
    const a = this.ack;
    a.lastAckSeq = wireSeq(ackSeq);
    a.words = full ? ACK_WORDS_FULL : ACK_WORDS_LIGHT;
    let ackNo = 0;
    if (full) {
      st.ackNo = st.ackNo >= 0x7fffffff ? 1 : st.ackNo + 1;
      ackNo = st.ackNo;
      a.rttUs = Math.round(st.rttUs);
      a.rttVarUs = Math.round(st.rttVarUs);
      a.availableBuffer = this.availableBuffer();
      a.packetRate = st.ratePacketsPerSecond;
      a.linkCapacity = Math.max(st.ratePacketsPerSecond, 1000);
      a.receiveRate = Math.round(st.rateReceiveBps / 8);
      const i = ackNo & (ACK_HISTORY - 1);
      this.ackNos[i] = ackNo;
      this.ackSentUs[i] = nowUs;
      this.ackSeqs[i] = ackSeq;
    }
    this.io.sendControl(CTRL_ACK, 0, ackNo, a, nowUs);
  }
}
