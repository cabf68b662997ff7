/**
 * ICE restart and trickle over PATCH (RFC 9725 §4.3, the WHEP draft the same): a Chromium WHEP
 * viewer and a Chromium WHIP publisher each call `pc.restartIce()`, send the new credentials in a
 * PATCH themselves and apply our answer fragment. Frames keep decoding, the session and its DTLS
 * stay (no second handshake), and the peer moves to a new candidate pair. Then the PATCH answers
 * for everything else: trickle 204, a stale ETag 412, a bad fragment 400, a wrong type 415. A
 * @roamhq/wrtc viewer and publisher (libwebrtc in-process) restart too, with `createOffer({ iceRestart:
 * true })` (after that renegotiation the wrtc 0.10 publisher sends an RTCP BYE for its video SSRC and
 * goes on sending on it: the WHIP ingest ends a session only on a BYE that no media follows).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import type { Browser } from "./helpers/browser.ts";
import type { Spate } from "./helpers/server.ts";
import { waitFor, webrtcPage, type WebRtcPageServer, startWebRtcRig, stopWebRtcRig } from "./helpers/webrtc.ts";
import { WrtcPublisher, WrtcViewer } from "./helpers/wrtc-peer.ts";

/**
 * Page functions over the helper page's globals (`pc`/`location_`: the publisher, `viewer`/
 * `viewerLocation`: the viewer). The restart is what a WHIP/WHEP client does (RFC 9725 §4.3.2):
 * new offer with new credentials, its first section's ufrag/pwd and candidates in a PATCH with
 * `If-Match: *`, and our ufrag/pwd from the 200 put into the remote description.
 */
const RESTART_SCRIPT = String.raw`
function peerOf(which) {
  return which === "viewer" ? { pc: viewer, url: viewerLocation } : { pc: pc, url: location_ };
}

async function restartPeer(which) {
  const { pc: p, url } = peerOf(which);
  p.restartIce();
  await p.setLocalDescription(await p.createOffer());
  const lines = p.localDescription.sdp.split("\r\n");
  const m = lines.findIndex((l) => l.startsWith("m="));
  const next = lines.findIndex((l, i) => i > m && l.startsWith("m="));
  const section = lines.slice(m, next < 0 ? lines.length : next);
  const frag = [
    lines.find((l) => l.startsWith("a=group:BUNDLE")),
    lines[m],
    section.find((l) => l.startsWith("a=mid:")),
    section.find((l) => l.startsWith("a=ice-ufrag:")),
    section.find((l) => l.startsWith("a=ice-pwd:")),
    ...section.filter((l) => l.startsWith("a=candidate:")),
  ].filter(Boolean).join("\r\n") + "\r\n";
  const r = await fetch(url, { method: "PATCH", headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" }, body: frag });
  const body = await r.text();
  if (r.status !== 200) throw new Error("PATCH " + r.status + ": " + body);
  const ufrag = /a=ice-ufrag:(\S+)/.exec(body)[1];
  const pwd = /a=ice-pwd:(\S+)/.exec(body)[1];
  const answer = p.remoteDescription.sdp.replace(/a=ice-ufrag:\S+/g, "a=ice-ufrag:" + ufrag).replace(/a=ice-pwd:\S+/g, "a=ice-pwd:" + pwd);
  await p.setRemoteDescription({ type: "answer", sdp: answer });
  return { etag: r.headers.get("etag"), body, offerUfrag: /a=ice-ufrag:(\S+)/.exec(frag)[1] };
}

/** The selected candidate pair's local address and the DTLS state, from getStats. */
async function transportOf(which) {
  const { pc: p } = peerOf(which);
  const stats = await p.getStats();
  for (const s of stats.values()) {
    if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
    const pair = stats.get(s.selectedCandidatePairId);
    const local = pair && stats.get(pair.localCandidateId);
    return { local: local ? local.address + ":" + local.port : null, dtlsState: s.dtlsState, iceState: s.iceState, pair: s.selectedCandidatePairId };
  }
  return null;
}
`;

let spate: Spate;
let browser: Browser;
let pageServer: WebRtcPageServer;

beforeAll(async () => ({ spate, browser, pageServer } = await startWebRtcRig()));
afterAll(() => stopWebRtcRig({ spate, browser, pageServer }));

interface Transport {
  local: string | null;
  dtlsState: string;
  iceState: string;
  pair: string;
}

const framesDecoded = async (view: Page) => ((await view.evaluate("viewerStats()")) as { video: { framesDecoded?: number } | null }).video?.framesDecoded ?? 0;
const videoFrames = async (path: string) => {
  const s = await spate.api(`/api/v1/streams/${path}`);
  return (s.tracks as { kind: string; frames: number }[]).find((t) => t.kind === "video")?.frames ?? 0;
};
const metric = async (name: string) => {
  const text = await (await spate.request("/metrics")).text();
  const m = new RegExp(`^${name.replace(/[{}"=,]/g, "\\$&")} (\\d+)$`, "m").exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
};

/** Restarts `which`, then waits until the peer's selected pair changed; returns before/after. */
async function restart(page: Page, which: "viewer" | "publisher") {
  const before = (await page.evaluate(`transportOf(${JSON.stringify(which)})`)) as Transport;
  const r = (await page.evaluate(`restartPeer(${JSON.stringify(which)})`)) as { etag: string; body: string; offerUfrag: string };
  const after = await waitFor(`${which}: a new candidate pair after the restart`, async () => {
    const t = (await page.evaluate(`transportOf(${JSON.stringify(which)})`)) as Transport | null;
    return t && t.pair !== before.pair && t.iceState === "connected" ? t : null;
  }, 15_000);
  return { before, after, ...r };
}

describe("ICE restart over PATCH with Chromium", () => {
  test("WHEP viewer and WHIP publisher restart ICE: frames keep decoding, same session and DTLS, a new pair", async () => {
    const path = "live/restart";
    const pub = await webrtcPage(browser, pageServer);
    const view = await webrtcPage(browser, pageServer);
    try {
      await pub.addScriptTag({ content: RESTART_SCRIPT });
      await view.addScriptTag({ content: RESTART_SCRIPT });
      const published = (await pub.evaluate(`publish(${JSON.stringify(spate.httpUrl(`/${path}/whip`))}, "h264")`)) as { etag: string };
      await waitFor("published video", async () => (await videoFrames(path)) > 0, 15_000);
      await view.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
      expect((await view.evaluate("timeToFirstFrame(8000)")) as number).toBeGreaterThan(0);
      const handshakes = await metric("spate_webrtc_dtls_handshakes_total");
      expect(handshakes).toBe(2);
      const restartsBefore = await metric("spate_webrtc_ice_restarts_total");
      await view.evaluate("startFreezeWatch()");

      // The viewer restarts.
      const v = await restart(view, "viewer");
      console.log(`WHEP viewer ICE restart: pair ${v.before.local} -> ${v.after.local}, ETag ${v.etag}, dtls ${v.after.dtlsState}`);
      expect(v.etag).toMatch(/^"[A-Za-z0-9+/]{8}"$/);
      expect(v.body).toContain("a=ice-lite");
      expect(v.body).toContain("a=end-of-candidates");
      expect(v.after.dtlsState).toBe("connected");
      const f0 = await framesDecoded(view);
      await Bun.sleep(2000);
      const f1 = await framesDecoded(view);
      console.log(`viewer frames decoded in the 2 s after its restart: ${f1 - f0}`);
      expect(f1 - f0).toBeGreaterThan(20);

      // The publisher restarts: its media keeps reaching the stream and the viewer.
      const p = await restart(pub, "publisher");
      console.log(`WHIP publisher ICE restart: pair ${p.before.local} -> ${p.after.local}, ETag ${published.etag} -> ${p.etag}`);
      expect(p.etag).not.toBe(published.etag);
      expect(p.after.dtlsState).toBe("connected");
      const s0 = await videoFrames(path);
      const g0 = await framesDecoded(view);
      await Bun.sleep(2000);
      const s1 = await videoFrames(path);
      const g1 = await framesDecoded(view);
      console.log(`after the publisher's restart, 2 s: ${s1 - s0} frames ingested, ${g1 - g0} decoded by the viewer`);
      expect(s1 - s0).toBeGreaterThan(20);
      expect(g1 - g0).toBeGreaterThan(20);

      // The longest time without a newly decoded frame across both restarts.
      const freeze = (await view.evaluate("freezeReport()")) as { longestMs: number; frames: number };
      console.log(`longest gap between decoded frames across both restarts: ${freeze.longestMs.toFixed(0)} ms (${freeze.frames} frames)`);
      expect(freeze.longestMs).toBeLessThan(2000);

      // Same two sessions, no second DTLS handshake, two restarts counted.
      expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 1 });
      expect(await metric("spate_webrtc_dtls_handshakes_total")).toBe(handshakes);
      expect(await metric("spate_webrtc_ice_restarts_total")).toBe(restartsBefore + 2);
      expect(await metric("spate_webrtc_dtls_failures_total")).toBe(0);

      // PATCH answers on the viewer's session (its ETag is the one the restart returned).
      const url = ((await view.evaluate("viewerLocation")) as string).replace(/^https?:\/\/[^/]+/, "");
      const patch = (body: string, headers: Record<string, string> = {}) =>
        spate.request(url, { method: "PATCH", headers: { "content-type": "application/trickle-ice-sdpfrag", ...headers }, body });
      const trickle = `a=ice-ufrag:${v.offerUfrag}\r\na=ice-pwd:${"p".repeat(22)}\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=candidate:1 1 udp 2122194687 127.0.0.1 50000 typ host\r\n`;
      expect((await patch(trickle, { "if-match": v.etag })).status).toBe(204);
      expect((await patch("a=end-of-candidates\r\n", { "if-match": v.etag })).status).toBe(204);
      const stale = await patch(trickle, { "if-match": `"OldEtag1"` });
      expect(stale.status).toBe(412);
      const bad = await patch("a=ice-ufrag:abcd\r\n", { "if-match": v.etag });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("a=ice-ufrag without a=ice-pwd");
      const wrongType = await spate.request(url, { method: "PATCH", headers: { "content-type": "application/sdp" }, body: trickle });
      expect(wrongType.status).toBe(415);
      // A restart naming a stale ETag is refused too, and changes nothing.
      const staleRestart = await patch(`a=ice-ufrag:Zzzz\r\na=ice-pwd:${"q".repeat(22)}\r\n`, { "if-match": `"OldEtag1"` });
      expect(staleRestart.status).toBe(412);
      expect(await metric("spate_webrtc_ice_restarts_total")).toBe(restartsBefore + 2);
      const h0 = await framesDecoded(view);
      await Bun.sleep(1000);
      expect(await framesDecoded(view)).toBeGreaterThan(h0);
    } finally {
      await view.evaluate("stopViewer(true)").catch(() => {});
      await pub.evaluate("unpublish()").catch(() => {});
      await pub.close();
      await view.close();
    }
  }, 90_000);
});

/** The part of a wrtc RTCPeerConnection a restart needs (the project compiles without DOM types). */
interface RestartablePc {
  createOffer(opts: { iceRestart: boolean }): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: "answer"; sdp: string }): Promise<void>;
  remoteDescription: { sdp: string } | null;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
}

/** RFC 9725 §4.3.2 from a wrtc peer: new offer with new credentials, PATCH, our credentials applied. */
async function wrtcRestart(pc: RestartablePc, location: string): Promise<string> {
  const offer = await pc.createOffer({ iceRestart: true });
  await pc.setLocalDescription(offer);
  const ufrag = /a=ice-ufrag:(\S+)/.exec(offer.sdp!)![1]!;
  const pwd = /a=ice-pwd:(\S+)/.exec(offer.sdp!)![1]!;
  const mline = /^m=.*$/m.exec(offer.sdp!)![0].trim();
  const mid = /a=mid:(\S+)/.exec(offer.sdp!)![1]!;
  const r = await fetch(location, {
    method: "PATCH",
    headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" },
    body: `${mline}\r\na=mid:${mid}\r\na=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n`,
  });
  const body = await r.text();
  if (r.status !== 200) throw new Error(`PATCH ${r.status}: ${body}`);
  const ours = { ufrag: /a=ice-ufrag:(\S+)/.exec(body)![1]!, pwd: /a=ice-pwd:(\S+)/.exec(body)![1]! };
  const answer = pc.remoteDescription!.sdp.replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${ours.ufrag}`).replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${ours.pwd}`);
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  return r.headers.get("etag")!;
}

/** The local address of the transport's selected candidate pair (wrtc's getStats). */
async function wrtcPair(pc: RestartablePc): Promise<string | null> {
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
    const pair = stats.get(s.selectedCandidatePairId as string);
    const local = pair && stats.get(pair.localCandidateId as string);
    if (local) return `${local.address}:${local.port}`;
  }
  return null;
}

describe("ICE restart over PATCH with @roamhq/wrtc", () => {
  test("a wrtc WHEP viewer restarts ICE twice: a new pair each time, frames keep coming, same session and DTLS", async () => {
    const path = "live/restart-wrtc";
    const pub = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec: "vp8", maxMs: 60_000 });
    let view: WrtcViewer | null = null;
    try {
      await waitFor("published video", async () => (await videoFrames(path)) > 30, 15_000);
      view = await WrtcViewer.start(spate.httpUrl(`/${path}/whep`));
      await waitFor("viewer frames", () => view!.framesReceived > 10, 10_000);
      const restarts = await metric("spate_webrtc_ice_restarts_total");
      const handshakes = await metric("spate_webrtc_dtls_handshakes_total");
      for (const who of ["first", "second"]) {
        const [pc, location] = [view.pc, view.location!];
        const rpc = pc as unknown as RestartablePc;
        const before = await wrtcPair(rpc);
        const etag = await wrtcRestart(rpc, location);
        const after = await waitFor(`wrtc viewer, ${who} restart: a new selected pair`, async () => {
          const p = await wrtcPair(rpc);
          return p && p !== before ? p : null;
        }, 15_000);
        // Progress, not a rate: the wrtc publisher encodes in this test's process, slow on a busy machine.
        const f0 = view.framesReceived;
        const s0 = await videoFrames(path);
        const t0 = performance.now();
        await waitFor(`wrtc viewer, ${who} restart: 30 more frames ingested and at the viewer`, async () => view!.framesReceived - f0 >= 30 && (await videoFrames(path)) - s0 >= 30, 20_000);
        const ms = performance.now() - t0;
        console.log(`wrtc viewer, ${who} ICE restart: pair ${before} -> ${after}, ETag ${etag}; then 30 frames ingested and at the viewer within ${ms.toFixed(0)} ms`);
        expect(etag).toMatch(/^"[A-Za-z0-9+/]{8}"$/);
      }
      expect(await metric("spate_webrtc_ice_restarts_total")).toBe(restarts + 2);
      expect(await metric("spate_webrtc_dtls_handshakes_total")).toBe(handshakes);
      expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 1 });
    } finally {
      await view?.stop();
      await pub.stop();
    }
  }, 60_000);

  test("a wrtc WHIP publisher restarts ICE: a new pair, its BYE for the renegotiated sender is not an end, frames keep coming", async () => {
    const path = "live/restart-wrtc-pub";
    const pub = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec: "vp8", maxMs: 60_000 });
    try {
      await waitFor("published video", async () => (await videoFrames(path)) > 30, 15_000);
      const rpc = pub.pc as unknown as RestartablePc;
      const before = await wrtcPair(rpc);
      await wrtcRestart(rpc, pub.location);
      const after = await waitFor("wrtc publisher restart: a new selected pair", async () => {
        const p = await wrtcPair(rpc);
        return p && p !== before ? p : null;
      }, 15_000);
      // Past the BYE grace period (500 ms): still the same live publisher, and media still rising.
      await Bun.sleep(1500);
      const s0 = await videoFrames(path);
      await waitFor("wrtc publisher restart: 30 more frames ingested", async () => (await videoFrames(path)) - s0 >= 30, 20_000);
      const info = await spate.api(`/api/v1/streams/${path}`);
      console.log(`wrtc publisher ICE restart: pair ${before} -> ${after}; byesIgnored ${info.publisher.stats.byesIgnored}`);
      expect(info.state).toBe("live");
      expect(info.publisher.stats.byesIgnored).toBeGreaterThan(0);
      expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 0 });
    } finally {
      await pub.stop();
    }
  }, 60_000);
});
