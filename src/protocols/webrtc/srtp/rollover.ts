/**
 * RFC 3711 §3.3.1: the 48-bit packet index of an SRTP packet from its 16-bit sequence number, the
 * rollover counter (ROC) and the highest sequence number seen (s_l), both kept per SSRC. The same
 * estimate serves the sender, so a packet resent from a NACK history after a wrap gets its old ROC.
 */
const SEQ_MODULUS = 0x1_0000;
const SEQ_HALF = 0x8000;

export class RolloverCounter {
  roc: number;
  /** s_l: the highest sequence number of the current ROC. */
  highestSeq: number;
  started: boolean;

  constructor(roc = 0, highestSeq = 0, started = false) {
    this.roc = roc;
    this.highestSeq = highestSeq;
    this.started = started;
  }

  /** §3.3.1's guess of the index of `seq`; -1 for a packet from before ROC 0 (it cannot be valid). */
  estimate(seq: number): number {
    if (!this.started) return this.roc * SEQ_MODULUS + seq;
    let v = this.roc;
    const sl = this.highestSeq;
    if (sl < SEQ_HALF) {
      if (seq - sl > SEQ_HALF) v = this.roc - 1;
    } else if (sl - SEQ_HALF > seq) {
      v = this.roc + 1;
    }
    return v < 0 ? -1 : v * SEQ_MODULUS + seq;
  }

  /** §3.3.1: after the packet at `index` authenticated, ROC and s_l move forward (never back). */
  update(index: number): void {
    const v = Math.floor(index / SEQ_MODULUS);
    const seq = index % SEQ_MODULUS;
    if (!this.started || v > this.roc) {
      this.started = true;
      this.roc = v;
      this.highestSeq = seq;
    } else if (v === this.roc && seq > this.highestSeq) {
      this.highestSeq = seq;
    }
  }
}
