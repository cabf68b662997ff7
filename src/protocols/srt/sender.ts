/**
 * The sending half of a session (draft-sharabayko-srt-01 §4.6-§4.8): numbers, timestamps and
 * encrypts payloads into the send ring, sends them within the peer's flow window, releases them on
 * ACK (answering full ACKs with ACKACK), sends them again on NAK with the R flag, and gives up
 * packets older than the drop threshold (§4.6) with a drop request so the receiver stops waiting.
 */
import type { KeyManager } from "./key-manager.ts";
import { seqStart, unwrapSeq, wireSeq, wireTimestamp } from "./seq.ts";
import { SendBuffer } from "./send-buffer.ts";
import { SYN_US, type SessionIo } from "./session-io.ts";
import { Ack, ACK_WORDS_FULL, ACK_WORDS_SMALL, decodeAck, decodeLossReport, DropRequest, LossReport } from "./wire/control.ts";
import { CTRL_ACKACK, CTRL_DROPREQ, HEADER_SIZE, KK_NONE, MAX_PAYLOAD_SIZE, MSGNO_MASK, PP_SOLO } from "./wire/constants.ts";
import { DataHeader, encodeDataHeader, RETRANSMIT_BIT, RETRANSMIT_BIT_BYTE } from "./wire/packet.ts";

/**
 * §4.6 lets the sender drop what is older than 1.25 × latency; libsrt waits longer, for
 * max(latency, 1 s) + two ACK periods (SRT_TLPKTDROP_MINTHRESHOLD_MS), and so do we: the receiver
 * drops what is too late to play anyway, and a sender that gives up early turns a late ACK (a busy
 * receiver, a burst) into real loss.
 */
const DROP_MIN_THRESHOLD_US = 1_000_000;
/**
 * ACKACKs at most this often per peer. A receiver sends a full ACK every 10 ms and measures its RTT
 * from our ACKACKs; answering every one makes a third of a reader's datagrams control packets (at
 * 2.5 Mbit/s: 237 data packets/s, 100 ACKACKs/s). Ten RTT samples a second are plenty, and an ACK
 * left unanswered costs the receiver nothing (libsrt and ours keep a window of outstanding ACKs).
 */
const ACKACK_INTERVAL_US = 100_000;
/** Retransmissions answering one NAK or one timeout, at most. */
const MAX_RETRANSMIT_BURST = 1024;

export class Sender {
  readonly buffer: SendBuffer;
  private readonly header: DataHeader;
  private readonly ack: Ack;
  private readonly report: LossReport;
  private readonly drop: DropRequest;

  constructor(
    private readonly io: SessionIo,
    private readonly keys: KeyManager,
    maxPackets: number,
  ) {
    this.buffer = new SendBuffer(maxPackets);
    this.header = new DataHeader();
    this.ack = new Ack();
    this.report = new LossReport();
    this.drop = new DropRequest();
  }

  start(initialSeq: number, flowWindow: number): void {
    const st = this.io.state;
    st.sndNext = st.sndAcked = st.sndSentUpTo = st.sndDroppedUpTo = seqStart(initialSeq);
    st.peerFlowWindow = flowWindow;
    st.peerAvailableBuffer = flowWindow;
    st.msgNo = 1;
  }

  /** Packets handed to us and not yet acknowledged. */
  get buffered(): number {
    return this.io.state.sndNext - this.io.state.sndAcked;
  }

  send(payload: Uint8Array, nowUs: number, srcTimeUs: number): void {
    const st = this.io.state;
    if (payload.length > MAX_PAYLOAD_SIZE) throw new Error(`srt: payload of ${payload.length} bytes > max ${MAX_PAYLOAD_SIZE}`);
    const seq = st.sndNext;
    if (!this.buffer.reserve(st.sndAcked, seq)) this.dropUpTo(st.sndAcked + 1, nowUs); // ring full: the oldest goes
    const slot = this.buffer.slot(seq);
    const h = this.header;
    h.seq = wireSeq(seq);
    h.position = PP_SOLO;
    h.inOrder = false;
    h.keyFlag = st.keyLength ? st.txKeyFlag : KK_NONE;
    h.retransmitted = false;
    h.msgNo = st.msgNo;
    h.timestamp = wireTimestamp(srcTimeUs, st.startUs);
    h.destSocketId = st.peerSocketId;
    encodeDataHeader(h, slot, 0);
    slot.set(payload, HEADER_SIZE);
    if (h.keyFlag !== KK_NONE) {
      this.io.txCipher.crypt(h.keyFlag, h.seq, slot, HEADER_SIZE, payload.length);
      this.keys.afterEncrypt(nowUs);
    }
    this.buffer.store(seq, HEADER_SIZE + payload.length, nowUs, st.msgNo);
    st.sndNext = seq + 1;
    st.msgNo = st.msgNo >= MSGNO_MASK ? 1 : st.msgNo + 1;
    this.pump(nowUs);
  }

  /** Sends what waits, as far as the peer's window allows. */
  pump(nowUs: number): void {
    const st = this.io.state;
    const window = Math.min(st.peerFlowWindow, st.peerAvailableBuffer);
    while (st.sndSentUpTo < st.sndNext && st.sndSentUpTo - st.sndAcked < window) {
      this.transmit(st.sndSentUpTo, nowUs, false);
      st.sndSentUpTo++;
    }
  }

  onAck(ackNo: number, body: Uint8Array, nowUs: number): void {
    const st = this.io.state;
    const a = this.ack;
    decodeAck(body, 0, body.length, a);
    const ackSeq = unwrapSeq(a.lastAckSeq, st.sndAcked);
    if (ackSeq > st.sndSentUpTo) return; // acknowledges what we never sent
    if (ackSeq > st.sndAcked) st.sndAcked = ackSeq;
    st.lastAckReceivedUs = nowUs;
    if (a.words >= ACK_WORDS_SMALL) {
      // §4.10: the sender smooths the receiver's RTT estimate.
      if (a.rttUs > 0) {
        st.rttUs = (7 * st.rttUs + a.rttUs) / 8;
        st.rttVarUs = (3 * st.rttVarUs + a.rttVarUs) / 4;
      }
      st.peerAvailableBuffer = a.availableBuffer;
    }
    if (a.words >= ACK_WORDS_FULL && ackNo !== 0 && nowUs - st.lastAckAckSentUs >= ACKACK_INTERVAL_US) {
      st.lastAckAckSentUs = nowUs;
      this.io.sendControl(CTRL_ACKACK, 0, ackNo, null, nowUs);
    }
    this.pump(nowUs);
  }

  onNak(body: Uint8Array, nowUs: number): void {
    const st = this.io.state;
    const r = this.report;
    decodeLossReport(body, 0, body.length, r);
    st.counters.naksReceived++;
    // A NAK sent before our last retransmission reached the peer asks again for nothing new.
    const minGapUs = st.rttUs / 2;
    let budget = MAX_RETRANSMIT_BURST;
    for (let i = 0; i < r.count && budget > 0; i++) {
      const first = unwrapSeq(r.first[i]!, st.sndAcked);
      const last = unwrapSeq(r.last[i]!, first);
      if (last < first) continue;
      if (first < st.sndDroppedUpTo && last >= st.sndAcked - this.buffer.maxCapacity) {
        this.sendDropRequest(0, first, Math.min(last, st.sndDroppedUpTo - 1), nowUs);
      }
      const hi = Math.min(last, st.sndSentUpTo - 1);
      for (let s = Math.max(first, st.sndAcked); s <= hi && budget > 0; s++) {
        if (nowUs - this.buffer.sentAt(s) < minGapUs) continue;
        this.transmit(s, nowUs, true);
        budget--;
      }
    }
  }

  tick(nowUs: number): void {
    const st = this.io.state;
    // §4.6: too old to be played in time by the peer.
    const dropAfterUs = Math.max(st.sndLatencyMs * 1000, DROP_MIN_THRESHOLD_US) + 2 * SYN_US;
    let s = st.sndAcked;
    while (s < st.sndNext && nowUs - this.buffer.originOf(s) > dropAfterUs) s++;
    if (s > st.sndAcked) this.dropUpTo(s, nowUs);
    this.pump(nowUs);
    // Nothing new went out for a while and the tail is unacknowledged: its loss cannot show as a
    // gap at the peer, so send it again on a timeout (RTO = RTT + 4·RTTVar + 2·SYN, §5.1.1).
    if (st.sndAcked >= st.sndSentUpTo) return;
    const rtoUs = st.rttUs + 4 * st.rttVarUs + 2 * SYN_US;
    if (nowUs - this.buffer.originOf(st.sndSentUpTo - 1) < rtoUs) return;
    let budget = MAX_RETRANSMIT_BURST;
    for (let q = st.sndAcked; q < st.sndSentUpTo && budget > 0; q++) {
      if (nowUs - this.buffer.sentAt(q) < rtoUs) continue;
      this.transmit(q, nowUs, true);
      budget--;
    }
  }

  /** Gives up every packet below `seq` and tells the receiver. */
  private dropUpTo(seq: number, nowUs: number): void {
    const st = this.io.state;
    const first = st.sndAcked;
    st.counters.packetsSendDropped += seq - first;
    st.sndAcked = seq;
    if (st.sndSentUpTo < seq) st.sndSentUpTo = seq;
    if (st.sndDroppedUpTo < seq) st.sndDroppedUpTo = seq;
    this.sendDropRequest(this.buffer.msgNoOf(first), first, seq - 1, nowUs);
  }

  private sendDropRequest(msgNo: number, first: number, last: number, nowUs: number): void {
    this.drop.firstSeq = wireSeq(first);
    this.drop.lastSeq = wireSeq(last);
    this.io.sendControl(CTRL_DROPREQ, 0, msgNo, this.drop, nowUs);
  }

  private transmit(seq: number, nowUs: number, again: boolean): void {
    const slot = this.buffer.slot(seq);
    if (again) {
      slot[RETRANSMIT_BIT_BYTE] = slot[RETRANSMIT_BIT_BYTE]! | RETRANSMIT_BIT;
      this.io.state.counters.packetsRetransmitted++;
    }
    this.buffer.markSent(seq, nowUs);
    this.io.sendDatagram(slot, this.buffer.lengthOf(seq), nowUs);
  }
}
