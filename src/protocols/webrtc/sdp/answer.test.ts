/**
 * Answers to the real offers of offer-cases.ts against golden files (testdata/answers/*.sdp;
 * `UPDATE_GOLDEN=1 bun test src/protocols/webrtc/sdp/` rewrites them), what they negotiated, and
 * the refused offers with the error the HTTP layer turns into a 400.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerWhep, answerWhip, msidToken, type Negotiation } from "./answer.ts";
import { ANSWER_CASES, ERROR_CASES, LOCAL, offerText, SOURCES, TESTDATA, type AnswerCase } from "./offer-cases.ts";
import { parseSdp } from "./parse.ts";
import { SdpError } from "./sdp-error.ts";

const UPDATE = process.env.UPDATE_GOLDEN === "1";
const GOLDEN = join(TESTDATA, "answers");

export function answerCase(c: AnswerCase, sdp = offerText(c.file)): Negotiation {
  const offer = parseSdp(sdp);
  return c.role === "whip"
    ? answerWhip(offer, LOCAL)
    : answerWhep(offer, { ...LOCAL, sources: c.sources ?? [], cname: "spate", streamId: "live/cam1", strictH264Profile: c.strictH264Profile });
}

describe("answers to real offers", () => {
  for (const c of ANSWER_CASES) {
    test(`${c.name} (${c.file})`, () => {
      const n = answerCase(c);
      const path = join(GOLDEN, `${c.name}.sdp`);
      if (UPDATE || !existsSync(path)) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, n.sdp);
      }
      expect(n.sdp).toBe(readFileSync(path, "utf8"));

      const accepted = Object.fromEntries(n.media.map((m) => [m.mid, { codec: m.codec, payloadType: m.payloadType, ...(c.accept[m.mid]?.fmtp !== undefined ? { fmtp: m.fmtp } : {}) }]));
      expect<unknown>(accepted).toEqual(c.accept);
      expect(Object.fromEntries(n.rejected.map((r) => [r.mid, r.code]))).toEqual(c.reject ?? {});

      // The answer parses back: same mids in the same order, refused ones on port 0, one transport.
      const back = parseSdp(n.sdp);
      const offer = parseSdp(offerText(c.file));
      expect(back.media.map((m) => m.mid)).toEqual(offer.media.map((m) => m.mid));
      expect(back.iceLite).toBe(true);
      expect(back.bundleGroups).toEqual([n.media.map((m) => m.mid)]);
      for (const m of back.media) {
        const ok = n.media.find((x) => x.mid === m.mid);
        expect(m.port).toBe(ok ? 8189 : 0);
        if (!ok) continue;
        expect(m.direction).toBe(c.role === "whip" ? "recvonly" : "sendonly");
        expect(m.setup).toBe("passive");
        expect(m.iceUfrag).toBe(LOCAL.iceUfrag);
        expect(m.fingerprints).toEqual([LOCAL.fingerprint]);
        expect(m.codecs.map((x) => x.payloadType)).toEqual([ok.payloadType]);
        // Only what the offer had: rtcp-rsize, feedback, extension ids.
        const o = offer.media[m.index]!;
        expect(m.rtcpRsize).toBe(o.rtcpRsize);
        for (const fb of m.codecs[0]!.rtcpFb) expect(o.codecs.find((x) => x.payloadType === ok.payloadType)!.rtcpFb).toContain(fb);
        for (const e of m.extmaps) expect(o.extmaps.map((x) => `${x.id} ${x.uri}`)).toContain(`${e.id} ${e.uri}`);
        if (c.role === "whep") expect(m.ssrcs.map((s) => s.ssrc)).toEqual([ok.localSsrc!]);
      }
      expect(back.media[n.media[0]!.index]!.candidates.map((x) => `${x.address}:${x.port} ${x.type}`)).toEqual(["192.0.2.1:8189 host"]);
    });
  }
});

describe("what the answer negotiated", () => {
  test("Chromium WHIP: feedback, extension ids, remote SSRCs, ICE and fingerprint", () => {
    const n = answerCase(ANSWER_CASES.find((c) => c.name === "whip-chromium-h264-first")!);
    expect(n.media[1]).toEqual({
      mid: "1", index: 1, kind: "video", payloadType: 103, codec: "h264", clockRate: 90000, channels: 1,
      fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
      rtcpFb: { nack: true, pli: true, fir: true, remb: true, twcc: true },
      extensions: { mid: 4, absSendTime: 2, twcc: 3 },
      rtcpRsize: true, remoteSsrcs: expect.any(Array), remoteRtxSsrcs: expect.any(Array), remoteCname: expect.any(String), rids: [],
    });
    expect(n.media[1]!.remoteSsrcs.length).toBe(1);
    expect(n.media[1]!.remoteRtxSsrcs.length).toBe(1);
    expect(n.media[0]).toMatchObject({ codec: "opus", clockRate: 48000, channels: 2, rtcpFb: { nack: false, pli: false, fir: false, remb: false, twcc: true } });
    expect(n.remoteIce).toMatchObject({ ufrag: expect.any(String), lite: false, trickle: true });
    expect(n.remoteIce.candidates.length).toBe(8);
    expect(n.remoteFingerprint.algorithm).toBe("sha-256");
    expect(n.remoteSetup).toBe("actpass");
  });

  test("OBS: no transport-cc or extmaps offered, none answered", () => {
    const n = answerCase(ANSWER_CASES.find((c) => c.name === "whip-obs-h264")!);
    expect(n.media[1]).toMatchObject({ rtcpFb: { nack: true, pli: true, fir: false, remb: true, twcc: false }, extensions: {}, rtcpRsize: false, remoteSsrcs: [3141592654] });
    expect(n.remoteIce.trickle).toBe(true);
  });

  test("Firefox: an extension the offerer only receives is not used for WHIP", () => {
    const offer = parseSdp(offerText("firefox-whip.sdp").replace("a=extmap:7 http://www.ietf.org", "a=extmap:7/recvonly http://www.ietf.org"));
    const n = answerWhip(offer, LOCAL);
    expect(n.media[1]!.extensions).toEqual({ mid: 3, absSendTime: 4 });
  });

  test("feedback switched off locally is left out of answer and result", () => {
    const n = answerWhip(parseSdp(offerText("chromium-whip.sdp")), { ...LOCAL, feedback: { remb: false, twcc: false } });
    expect(n.media[1]!.rtcpFb).toEqual({ nack: true, pli: true, fir: true, remb: false, twcc: false });
    expect(n.media[1]!.extensions).toEqual({ mid: 4 });
    expect(n.sdp).not.toContain("goog-remb");
    expect(n.sdp).not.toContain("transport-cc");
    expect(n.sdp).not.toContain("abs-send-time");
  });

  test("WHEP: our SSRC, CNAME and msid; the stream path made a token", () => {
    const n = answerCase(ANSWER_CASES.find((c) => c.name === "whep-chromium-h264-cb")!);
    expect(n.media.map((m) => [m.mid, m.localSsrc, m.source])).toEqual([["0", SOURCES.opus.ssrc, 1], ["1", SOURCES.h264Cb31.ssrc, 0]]);
    expect(n.sdp).toContain(`a=ssrc:${SOURCES.h264Cb31.ssrc} cname:spate\r\na=ssrc:${SOURCES.h264Cb31.ssrc} msid:live-cam1 live-cam1-video\r\n`);
    expect(n.sdp).toContain("a=msid-semantic: WMS live-cam1\r\n");
    expect(msidToken("a b/c{d}")).toBe("a-b-c{d}");
  });

  test("WHEP: AAC audio refused with the reason, video still answered", () => {
    const n = answerCase(ANSWER_CASES.find((c) => c.name === "whep-chromium-h264-main-aac")!);
    expect(n.rejected).toEqual([{ mid: "0", index: 0, kind: "audio", code: "no-codec", reason: expect.stringContaining("stream audio is AAC") }]);
    expect(n.sdp).toContain("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n");
  });

  test("WHEP H.264 level: above the viewer's without level-asymmetry-allowed is refused", () => {
    const sdp = offerText("firefox-whep.sdp").replace("profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1", "profile-level-id=42e01f;packetization-mode=1");
    const stream42 = { ...SOURCES.h264Cb31, config: new Uint8Array([1, 0x42, 0xe0, 0x2a, 0xff, 0xe0, 0]) };
    expect(() => answerWhep(parseSdp(videoOnlyFirefox(sdp)), { ...LOCAL, sources: [stream42], cname: "c", streamId: "s" })).toThrow("constrained-baseline 4.2 (42e02a)");
    const ok = answerWhep(parseSdp(videoOnlyFirefox(sdp)), { ...LOCAL, sources: [SOURCES.h264Cb31], cname: "c", streamId: "s" });
    expect(ok.media[0]!.fmtp).toBe("packetization-mode=1;profile-level-id=42c01f");
  });

  test("WHEP H.264: a Baseline-class PT takes a Constrained Baseline stream when no CB PT is offered, in the offered class", () => {
    const sdp = offerText("firefox-whep.sdp").replace("profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1", "profile-level-id=42001f;level-asymmetry-allowed=1;packetization-mode=1");
    const n = answerWhep(parseSdp(sdp), { ...LOCAL, sources: [SOURCES.h264Cb31], cname: "c", streamId: "s" });
    expect(n.media[0]).toMatchObject({ payloadType: 126, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f" });
  });

  test("WHEP H.264: without an avcC yet, the first packetization-mode=1 PT as offered", () => {
    const n = answerWhep(parseSdp(offerText("chromium-whep.sdp")), { ...LOCAL, sources: [{ codec: "h264", config: null, ssrc: 1 }], cname: "c", streamId: "s" });
    expect(n.media[0]).toMatchObject({ payloadType: 103, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f" });
  });
});

function videoOnlyFirefox(sdp: string): string {
  return sdp.slice(0, sdp.indexOf("m=audio")).replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 1") + sdp.slice(sdp.indexOf("m=video"));
}

describe("refused offers", () => {
  for (const c of ERROR_CASES) {
    test(`${c.name} → ${c.code}`, () => {
      let err: unknown;
      try {
        const offer = parseSdp(c.sdp);
        if (c.role === "whip") answerWhip(offer, LOCAL);
        else answerWhep(offer, { ...LOCAL, sources: c.sources ?? [], cname: "c", streamId: "s" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SdpError);
      expect((err as SdpError).code).toBe(c.code);
      expect((err as SdpError).message).toContain(c.message);
      expect((err as SdpError).status).toBe(c.code === "too-large" ? 413 : 400);
    });
  }
});
