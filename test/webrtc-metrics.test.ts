/**
 * The WebRTC counters in /metrics and /api/v1/server, driven over the real UDP port while a WHEP
 * viewer (test/helpers/whep-client.ts: ICE, werift DTLS, our SRTP) plays an ffmpeg RTMP stream:
 * garbage STUN, checks for an unknown ufrag and with a wrong password, RTP and DTLS from an unknown
 * address are dropped and counted, and the viewer keeps receiving every packet. Sessions, packets,
 * bytes, STUN requests and DTLS handshakes rise; a session nobody checks and a viewer that vanishes
 * are counted as consent expiries.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { udp } from "bun";
import { whepOffer } from "../src/bench/whep-link.ts";
import { BindingRequest } from "../src/protocols/webrtc/wire/stun-encode.ts";
import { stunKey } from "../src/protocols/webrtc/wire/stun-integrity.ts";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { waitFor } from "./helpers/webrtc.ts";
import { WhepClient } from "./helpers/whep-client.ts";

const PATH = "live/metrics";
let spate: Spate;
let ff: Publisher;

beforeAll(async () => {
  spate = await startSpate(["--webrtc-consent-timeout-ms", "2000"]);
  ff = publishLavfi(spate.rtmpUrl(PATH), { gop: 30, tone: false });
  await waitFor("RTMP stream live", async () => {
    const r = await spate.request(`/api/v1/streams/${PATH}`);
    return r.ok && ((await r.json()) as { tracks: unknown[] }).tracks.length > 0;
  }, 15_000);
});

afterAll(async () => {
  await ff?.stop(1000);
  await spate?.stop();
});

/** Every sample of /metrics by its full name with labels. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await spate.request("/metrics")).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const get = (m: Map<string, number>, name: string): number => {
  const v = m.get(name);
  if (v === undefined) throw new Error(`no ${name} in /metrics`);
  return v;
};

function stunCheck(username: string, password: string): Uint8Array {
  const req = new BindingRequest();
  crypto.getRandomValues(req.transactionId);
  req.username = username;
  req.priority = 1;
  req.key = stunKey(password);
  const buf = new Uint8Array(req.encodedSize());
  req.encodeTo(buf, 0);
  return buf;
}

test("garbage, unknown ufrags and unknown addresses are dropped and counted in /metrics while a WHEP viewer keeps playing", async () => {
  const viewer = await WhepClient.start(spate.httpUrl(`/${PATH}/whep`));
  let attacker: udp.Socket<"uint8array"> | null = null;
  try {
    await waitFor("the viewer receiving", () => viewer.packets() > 50, 15_000);
    const m0 = await scrape();
    expect(get(m0, 'spate_webrtc_sessions{kind="whep"}')).toBe(1);
    expect(get(m0, 'spate_webrtc_sessions_total{kind="whep"}')).toBe(1);
    expect(get(m0, "spate_webrtc_dtls_handshakes_total")).toBe(1);
    expect(get(m0, 'spate_webrtc_packets_total{direction="out",type="rtp"}')).toBeGreaterThan(50);
    expect(get(m0, 'spate_webrtc_bytes_total{direction="out"}')).toBeGreaterThan(50 * 100);
    expect(get(m0, "spate_webrtc_stun_requests_total")).toBeGreaterThan(0);

    // A second session that never checks: its ufrag (the ETag) takes a check with a wrong password.
    const { sdp } = await whepOffer();
    const r = await spate.request(`/${PATH}/whep`, { method: "POST", headers: { "content-type": "application/sdp" }, body: sdp });
    expect(r.status).toBe(201);
    const idleUfrag = r.headers.get("etag")!.replaceAll('"', "");

    attacker = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array" });
    const port = spate.ports.webrtc!;
    const BURSTS = 20;
    const packetsBefore = viewer.packets();
    const lostBefore = viewer.lost();
    for (let i = 0; i < BURSTS; i++) {
      attacker.send(stunCheck(`nobody${i}:x`, "some-password-of-24-chars"), port, "127.0.0.1"); // unknown ufrag
      attacker.send(stunCheck(`${idleUfrag}:x`, "not-the-right-password-at-all"), port, "127.0.0.1"); // bad integrity
      attacker.send(Uint8Array.of(0, 1, 0, 200, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), port, "127.0.0.1"); // STUN header, body missing
      attacker.send(Uint8Array.of(0x80, 96, 0, i, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9), port, "127.0.0.1"); // RTP, unknown address
      attacker.send(Uint8Array.of(22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), port, "127.0.0.1"); // DTLS, unknown address
      await Bun.sleep(20);
    }
    const want = (m: Map<string, number>) =>
      get(m, 'spate_webrtc_dropped_total{reason="unknown_ufrag"}') - get(m0, 'spate_webrtc_dropped_total{reason="unknown_ufrag"}') >= BURSTS &&
      get(m, 'spate_webrtc_dropped_total{reason="bad_integrity"}') - get(m0, 'spate_webrtc_dropped_total{reason="bad_integrity"}') >= BURSTS &&
      get(m, 'spate_webrtc_dropped_total{reason="malformed_stun"}') - get(m0, 'spate_webrtc_dropped_total{reason="malformed_stun"}') >= BURSTS &&
      get(m, 'spate_webrtc_dropped_total{reason="unknown_address"}') - get(m0, 'spate_webrtc_dropped_total{reason="unknown_address"}') >= 2 * BURSTS;
    let last = m0;
    const m1 = await waitFor("the drops counted", async () => {
      last = await scrape();
      return want(last) ? last : null;
    }, 5000).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify([...last].filter(([k]) => k.includes("dropped")))}`);
    });
    const delta = (name: string) => get(m1, name) - get(m0, name);
    console.log(
      `dropped and counted: unknown_ufrag +${delta('spate_webrtc_dropped_total{reason="unknown_ufrag"}')}, bad_integrity +${delta('spate_webrtc_dropped_total{reason="bad_integrity"}')}, ` +
        `malformed_stun +${delta('spate_webrtc_dropped_total{reason="malformed_stun"}')}, unknown_address +${delta('spate_webrtc_dropped_total{reason="unknown_address"}')}; ` +
        `stun requests +${delta("spate_webrtc_stun_requests_total")}`,
    );
    // Exactly what was sent: nothing else is miscounted as an attack.
    expect(delta('spate_webrtc_dropped_total{reason="unknown_ufrag"}')).toBe(BURSTS);
    expect(delta('spate_webrtc_dropped_total{reason="bad_integrity"}')).toBe(BURSTS);
    expect(delta('spate_webrtc_dropped_total{reason="malformed_stun"}')).toBe(BURSTS);
    expect(delta('spate_webrtc_dropped_total{reason="unknown_address"}')).toBe(2 * BURSTS);
    expect(delta("spate_webrtc_stun_requests_total")).toBeGreaterThanOrEqual(2 * BURSTS);
    // The API shows the same counters.
    const api = (await spate.api("/api/v1/server")).webrtc;
    expect(api.unknownUfrag).toBeGreaterThanOrEqual(get(m1, 'spate_webrtc_dropped_total{reason="unknown_ufrag"}'));
    expect(api.badIntegrity).toBeGreaterThanOrEqual(get(m1, 'spate_webrtc_dropped_total{reason="bad_integrity"}'));
    expect(api.sessions).toEqual({ whip: 0, whep: 2 });

    // The live viewer kept playing through it, nothing lost, nothing failed.
    await Bun.sleep(1000);
    const got = viewer.packets() - packetsBefore;
    console.log(`the viewer meanwhile: ${got} packets, ${viewer.lost() - lostBefore} lost, ${viewer.unprotectFailed} SRTP failures`);
    expect(got).toBeGreaterThan(50);
    expect(viewer.lost() - lostBefore).toBe(0);
    expect(viewer.unprotectFailed).toBe(0);
    const m2 = await scrape();
    expect(get(m2, 'spate_webrtc_srtp_failures_total{op="protect"}')).toBe(0);
    expect(get(m2, "spate_webrtc_dtls_failures_total")).toBe(0);

    // The session nobody checked, and the viewer that vanishes without DELETE, go by consent.
    await viewer.stop(false);
    const m3 = await waitFor("both sessions gone by consent", async () => {
      const m = await scrape();
      return get(m, 'spate_webrtc_sessions{kind="whep"}') === 0 ? m : null;
    }, 10_000);
    expect(get(m3, 'spate_webrtc_consent_expired_total{reason="no_check"}')).toBe(1);
    expect(get(m3, 'spate_webrtc_consent_expired_total{reason="expired"}')).toBe(1);
    // Counts of ended sessions stay in the totals.
    expect(get(m3, 'spate_webrtc_packets_total{direction="out",type="rtp"}')).toBeGreaterThanOrEqual(get(m2, 'spate_webrtc_packets_total{direction="out",type="rtp"}'));
    expect(get(m3, 'spate_webrtc_sessions_total{kind="whep"}')).toBe(2);
    expect(get(m3, "spate_webrtc_dtls_handshakes_total")).toBe(1);
  } finally {
    await viewer.stop(false).catch(() => {});
    attacker?.close();
  }
}, 60_000);
