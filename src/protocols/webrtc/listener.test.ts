/**
 * The listener's totals as /metrics shows them: live sessions' counters and their handlers' RTCP
 * feedback counts summed at scrape time, ended sessions' kept, each family once in the text.
 */
import { expect, test } from "bun:test";
import { log } from "../../core/log.ts";
import { PathTable } from "../../core/path-table.ts";
import { metricsText } from "../../server/api.ts";
import { serverDtlsCertificate } from "./dtls/certificate.ts";
import { WebRtcListener } from "./listener.ts";
import { WebRtcSession, type SessionHandler, type SessionKind } from "./session.ts";

test("totals: live and ended sessions, handler feedback by kind, rendered once per family", async () => {
  const cert = await serverDtlsCertificate();
  const listener = new WebRtcListener({ host: "127.0.0.1", port: 0 }, log.child("test"), () => 0);
  const make = (kind: SessionKind, handler: Partial<SessionHandler>) => {
    const s = new WebRtcSession(
      { id: crypto.randomUUID(), kind, path: "live/x", localUfrag: `u${kind}${Math.random()}`.slice(0, 12), localPwd: "p".repeat(24), remoteUfrag: "r", certificate: cert, remoteFingerprint: { algorithm: "sha-256", value: cert.fingerprintSha256 }, nowMs: 0 },
      listener.batch,
      (x) => listener.remove(x),
    );
    s.handler = { onConnected() {}, onRtp() {}, onRtcp() {}, onClose() {}, ...handler };
    listener.add(s);
    return s;
  };
  const whip = make("whip", { plisSent: 3, nacksSent: 5, keyframeRequests: 100 });
  const viewerA = make("whep", { nacksAnswered: 7, nacksMissed: 1, keyframeRequests: 2 });
  const viewerB = make("whep", { nacksAnswered: 10, keyframeRequests: 1 });
  whip.counters.rtpIn = 1000;
  whip.counters.unprotectFailed = 2;
  viewerA.counters.rtpOut = 400;
  viewerA.counters.bytesOut = 40_000;
  viewerB.counters.rtpOut = 600;
  viewerB.counters.dtlsConnected = 1;
  viewerB.close("gone");

  const m = listener.metrics();
  expect([m.totals.sessionsWhip, m.totals.sessionsWhep]).toEqual([1, 1]);
  expect(m.totals.session.rtpOut).toBe(1000);
  expect(m.totals.session.dtlsConnected).toBe(1);
  expect(m.totals.nacksAnswered).toBe(17);
  expect(m.totals.keyframeRequests).toBe(3); // the viewers' asks, not the ones the ingest forwarded

  const text = metricsText(new PathTable({ graceMs: 1000, takeover: false, ringBytes: 1 << 20, ringFrames: 256 }), 0, 1000, m);
  const sample = (line: string) => text.split("\n").find((l) => l.startsWith(line + " "));
  expect(sample('spate_webrtc_sessions{kind="whep"}')).toBe('spate_webrtc_sessions{kind="whep"} 1');
  expect(sample('spate_webrtc_sessions_total{kind="whep"}')).toBe('spate_webrtc_sessions_total{kind="whep"} 2');
  expect(sample('spate_webrtc_packets_total{direction="in",type="rtp"}')).toEndWith(" 1000");
  expect(sample('spate_webrtc_packets_total{direction="out",type="rtp"}')).toEndWith(" 1000");
  expect(sample('spate_webrtc_srtp_failures_total{op="unprotect"}')).toEndWith(" 2");
  expect(sample('spate_webrtc_nack_packets_total{event="received"}')).toEndWith(" 18");
  expect(sample('spate_webrtc_nack_packets_total{event="answered"}')).toEndWith(" 17");
  expect(sample('spate_webrtc_nack_packets_total{event="sent"}')).toEndWith(" 5");
  expect(sample("spate_webrtc_plis_sent_total")).toEndWith(" 3");
  expect(sample("spate_webrtc_dtls_handshakes_total")).toEndWith(" 1");
  const families = text.split("\n").filter((l) => l.startsWith("# TYPE spate_webrtc_")).map((l) => l.split(" ")[2]);
  expect(new Set(families).size).toBe(families.length);
  whip.close("done");
  viewerA.close("done");
});
