import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { parseCandidate } from "./candidate.ts";
import { offerText, OFFER_FIXTURES } from "./offer-cases.ts";
import { MAX_SDP_BYTES, parseSdp } from "./parse.ts";
import { SdpError } from "./sdp-error.ts";

describe("real offers", () => {
  for (const f of OFFER_FIXTURES) {
    test(f.file, () => {
      const s = parseSdp(offerText(f.file));
      expect(s.bundleGroups).toEqual([["0", "1"]]);
      expect<unknown>(
        s.media.map((m) => ({ kind: m.kind, mid: m.mid, direction: m.direction, names: m.codecs.map((c) => c.name), candidates: m.candidates.length, ssrcs: m.ssrcs.length })),
      ).toEqual(f.sections);
      for (const m of s.media) {
        expect(m.iceUfrag).toBe(f.iceUfrag);
        expect(m.icePwd!.length).toBeGreaterThanOrEqual(22);
        expect(m.fingerprints[0]!.algorithm).toBe("sha-256");
        expect(m.fingerprints[0]!.value).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        expect(m.setup).toBe("actpass");
        expect(m.rtcpMux).toBe(true);
        expect(m.protocol).toBe("UDP/TLS/RTP/SAVPF");
        expect(m.badCandidates).toBe(0);
      }
    });
  }

  test("Chromium: per-PT rtpmap, fmtp and rtcp-fb; extmaps; SSRCs with FID group; msid", () => {
    const s = parseSdp(offerText("chromium-whip.sdp"));
    expect(s.extmapAllowMixed).toBe(true);
    const [audio, video] = s.media as [NonNullable<(typeof s.media)[0]>, NonNullable<(typeof s.media)[0]>];
    expect(audio.codecs[0]).toEqual({
      payloadType: 111, name: "opus", clockRate: 48000, channels: 2, fmtp: "minptime=10;useinbandfec=1",
      params: { minptime: "10", useinbandfec: "1" }, rtcpFb: ["transport-cc"],
    });
    expect(audio.rtcpRsize).toBe(true);
    const h264 = video.codecs.find((c) => c.payloadType === 109)!;
    expect(h264.params).toEqual({ "level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": "42e01f" });
    expect(h264.rtcpFb).toEqual(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]);
    expect(video.extmaps.find((e) => e.uri.endsWith("sdes:mid"))!.id).toBe(4);
    expect(video.ssrcGroups).toEqual([{ semantics: "FID", ssrcs: [3297641628, 2956208525] }]);
    expect(video.ssrcs[0]).toEqual({ ssrc: 3297641628, cname: "DAigW2kj6HJBj7SE", msid: "4a3f9dbd-d02c-4849-991a-c1a990dae196 57e9bc42-097f-46e3-bc18-f3ca2f618282" });
    expect(video.msid).toEqual({ stream: "4a3f9dbd-d02c-4849-991a-c1a990dae196", track: "57e9bc42-097f-46e3-bc18-f3ca2f618282" });
    expect(video.candidates[0]).toEqual({ foundation: "340888950", component: 1, transport: "udp", priority: 2122194687, address: "192.0.2.2", port: 46468, type: "host" });
    expect(video.candidates[2]!.tcpType).toBe("active");
    expect(video.iceOptions).toEqual(["trickle"]);
  });

  test("Firefox: session-level fingerprint and direction, extmap with direction, mDNS and srflx candidates", () => {
    const s = parseSdp(offerText("firefox-whip.sdp"));
    expect(s.fingerprints.length).toBe(1);
    expect(s.iceOptions).toEqual(["trickle"]);
    const audio = s.media[0]!;
    expect(audio.extmaps[1]).toEqual({ id: 2, direction: "recvonly", uri: "urn:ietf:params:rtp-hdrext:csrc-audio-level" });
    expect(audio.candidates.map((c) => [c.transport, c.type, c.address.endsWith(".local")])).toEqual([["udp", "host", true], ["tcp", "host", true], ["udp", "srflx", false]]);
    expect(audio.candidates[2]).toMatchObject({ relatedAddress: "0.0.0.0", relatedPort: 0 });
    expect(audio.endOfCandidates).toBe(true);
    expect(audio.codecs[1]).toMatchObject({ name: "G722", clockRate: 8000, channels: 1 });
  });

  test("OBS (libdatachannel): session-level fingerprint, media-level ICE, ice-options joined by commas, LS group ignored", () => {
    const s = parseSdp(offerText("obs-whip-h264.sdp"));
    expect(s.media[1]!.fingerprints).toBe(s.fingerprints);
    expect(s.media[0]!.iceOptions).toEqual(["ice2", "trickle"]);
    expect(s.bundleGroups).toEqual([["0", "1"]]);
    expect(s.origin).toEqual({ username: "rtc", sessionId: "2718281828", sessionVersion: "0", address: "127.0.0.1" });
  });

  test("session-level ICE credentials reach every section; media level wins", () => {
    const s = parseSdp(
      "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession1\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:a\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v\na=ice-ufrag:med1\n",
    );
    expect(s.media.map((m) => [m.iceUfrag, m.icePwd])).toEqual([["sess", "sessionpasswordsession1"], ["med1", "sessionpasswordsession1"]]);
    expect(s.media[0]!.codecs[0]).toMatchObject({ payloadType: 111, name: "" }); // listed but no rtpmap
  });

  test("LF line endings, blank lines and rtcp-fb for * are accepted", () => {
    const s = parseSdp("v=0\n\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\na=rtpmap:96 VP8/90000\na=rtcp-fb:* nack\na=rtcp-fb:96 nack pli\n\n");
    expect(s.media[0]!.codecs.map((c) => c.rtcpFb)).toEqual([["nack pli", "nack"], ["nack"]]);
  });

  test("an unreadable candidate is counted, not fatal (ICE-lite never connects to it)", () => {
    const s = parseSdp("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=candidate:garbage\na=candidate:1 1 udp 5 1.2.3.4 70000 typ host\n");
    expect(s.media[0]!.badCandidates).toBe(2);
  });
});

describe("candidate lines", () => {
  test("host, srflx with raddr/rport, tcptype, unknown extensions", () => {
    expect(parseCandidate("842163049 1 udp 1677729535 203.0.113.9 52200 typ srflx raddr 192.168.0.2 rport 52200 generation 0 network-cost 999")).toEqual({
      foundation: "842163049", component: 1, transport: "udp", priority: 1677729535, address: "203.0.113.9", port: 52200, type: "srflx",
      relatedAddress: "192.168.0.2", relatedPort: 52200,
    });
    for (const bad of ["", "1 1 udp 1 1.2.3.4 9 typ", "1 1 udp 1 1.2.3.4 9 type host", "1 0 udp 1 1.2.3.4 9 typ host", "1 1 udp 99999999999 1.2.3.4 9 typ host", "1 1 udp 1 1.2.3.4 9 typ bogus"]) {
      expect(parseCandidate(bad)).toBeNull();
    }
  });
});

describe("malformed input is an SdpError (a ProtocolError, status 400 or 413)", () => {
  test("sizes", () => {
    const e = (() => { try { parseSdp("v=0\n" + "a=x\n".repeat(MAX_SDP_BYTES / 4)); } catch (e) { return e; } })();
    expect(e).toBeInstanceOf(SdpError);
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as SdpError).status).toBe(413);
    expect((e as SdpError).code).toBe("too-large");
  });

  test("lines", () => {
    for (const [sdp, message] of [
      ["v=0\nx", "not <type>=<value>"],
      ["v=0\nA=b", "not <type>=<value>"],
      ["o=- 1 1 IN IP4 0.0.0.0\nv=0", "must start with v=0"],
      ["v=0\nm=audio 70000 UDP/TLS/RTP/SAVPF 111", "m= port"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF x", "payload type"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=fmtp:111", "no parameters"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=extmap:0 urn:x", "id 1..255"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=extmap:3/sideways urn:x", "extmap direction"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=ssrc:4294967296 cname:x", "ssrc"],
      ["v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:a b", "not a token"],
    ] as const) {
      expect(() => parseSdp(sdp)).toThrow(message);
    }
  });
});
