/** The numbers a session reports to the API and /metrics: plain, from the state and the rings. */
import type { Receiver } from "./receiver.ts";
import type { Sender } from "./sender.ts";
import type { SrtCounters, SrtSessionState } from "./session-state.ts";

export interface SrtStats extends SrtCounters {
  rttMs: number;
  rttVarMs: number;
  /** Negotiated TSBPD latency we receive with, and the peer receives with. */
  latencyMs: number;
  peerLatencyMs: number;
  /** Packets waiting in the receive buffer (for play time or a retransmission). */
  receiveBufferPackets: number;
  receiveLossPackets: number;
  /** Packets sent or queued and not yet acknowledged. */
  sendBufferPackets: number;
  sendBitrateBps: number;
  receiveBitrateBps: number;
  encrypted: boolean;
}

export function sessionStats(st: SrtSessionState, receiver: Receiver, sender: Sender): SrtStats {
  return {
    ...st.counters,
    rttMs: Math.round(st.rttUs / 100) / 10,
    rttVarMs: Math.round(st.rttVarUs / 100) / 10,
    latencyMs: st.rcvLatencyMs,
    peerLatencyMs: st.sndLatencyMs,
    receiveBufferPackets: receiver.buffer.count,
    receiveLossPackets: receiver.loss.size,
    sendBufferPackets: sender.buffered,
    sendBitrateBps: st.rateSendBps,
    receiveBitrateBps: st.rateReceiveBps,
    encrypted: st.keyLength > 0,
  };
}

/** Once a second: bit rates and the packet rate (reported in ACKs). */
export function sampleRates(st: SrtSessionState, nowUs: number): void {
  const c = st.counters;
  const seconds = (nowUs - st.rateSampleUs) / 1e6;
  st.rateSendBps = Math.round(((c.bytesSent - st.rateBytesSent) * 8) / seconds);
  st.rateReceiveBps = Math.round(((c.bytesReceived - st.rateBytesReceived) * 8) / seconds);
  st.ratePacketsPerSecond = Math.round((c.packetsReceived - st.ratePacketsReceived) / seconds);
  st.rateBytesSent = c.bytesSent;
  st.rateBytesReceived = c.bytesReceived;
  st.ratePacketsReceived = c.packetsReceived;
  st.rateSampleUs = nowUs;
}
