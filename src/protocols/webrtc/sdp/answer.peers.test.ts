/**
 * Our answers against real libwebrtc: headless Chromium (test/helpers/browser.ts) and @roamhq/wrtc
 * create offers, take spate's answer with setRemoteDescription, and must end up stable with the
 * payload type we chose as the codec they send (WHIP) or among those they receive (WHEP), accepted
 * sections flowing the right way and refused ones stopped. No media flows here: this checks the SDP
 * only; decoding is for the WHIP/WHEP interop tests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import wrtc from "@roamhq/wrtc";
import { launchChromium, type Browser } from "../../../../test/helpers/browser.ts";
import { answerWhep, answerWhip, type Negotiation, type WhepSource } from "./answer.ts";
import { LOCAL, SOURCES } from "./offer-cases.ts";
import { parseSdp } from "./parse.ts";

interface Applied {
  error?: string;
  signalingState: string;
  transceivers: { mid: string | null; currentDirection: string | null; codecs: { payloadType: number; mimeType: string; sdpFmtpLine?: string }[] }[];
}

interface Peer {
  /** An offer with an audio and a video transceiver, send or receive only; `preferVideo` moves that MIME type first. */
  offer(role: "whip" | "whep", preferVideo?: string): Promise<string>;
  apply(answer: string, role: "whip" | "whep"): Promise<Applied>;
}

/** The slice of the WebRTC API used here (the project compiles without DOM types). */
interface CodecParameters { payloadType: number; mimeType: string; sdpFmtpLine?: string }
interface CodecCapability { mimeType: string }
interface Capabilities { getCapabilities(kind: string): { codecs: CodecCapability[] } | null }
interface Transceiver {
  mid: string | null;
  currentDirection: string | null;
  sender: { getParameters(): { codecs: CodecParameters[] } };
  receiver: { getParameters(): { codecs: CodecParameters[] } };
  setCodecPreferences(codecs: CodecCapability[]): void;
}
interface Pc {
  addTransceiver(kind: string, init: { direction: string }): Transceiver;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: "answer"; sdp: string }): Promise<void>;
  getTransceivers(): Transceiver[];
  signalingState: string;
  close(): void;
}
type PcClass = new () => Pc;
type PageGlobals = { RTCPeerConnection: PcClass; RTCRtpSender: Capabilities; RTCRtpReceiver: Capabilities; pc: Pc };

type Local = { role: "whip" } | { role: "whep"; sources: WhepSource[]; strictH264Profile?: boolean };

function answer(offerSdp: string, local: Local): Negotiation {
  const offer = parseSdp(offerSdp);
  // No candidates: the offerer then never tries to connect, and the test ends without ICE traffic.
  const transport = { ...LOCAL, candidates: [] };
  return local.role === "whip" ? answerWhip(offer, transport) : answerWhep(offer, { ...transport, sources: local.sources, cname: "spate", streamId: "live/cam1", strictH264Profile: local.strictH264Profile });
}

function expectApplied(applied: Applied, n: Negotiation, role: "whip" | "whep"): void {
  expect(applied.error).toBeUndefined();
  expect(applied.signalingState).toBe("stable");
  for (const t of applied.transceivers) {
    const ok = n.media.find((m) => m.mid === t.mid);
    if (!ok) {
      expect([t.mid, t.currentDirection]).toEqual([t.mid, "stopped"]);
      continue;
    }
    expect([t.mid, t.currentDirection]).toEqual([t.mid, role === "whip" ? "sendonly" : "recvonly"]);
    const mime = `${ok.kind}/${ok.codec === "h264" ? "H264" : ok.codec === "opus" ? "opus" : ok.codec.toUpperCase()}`;
    if (role === "whip") {
      // The sender's first codec is the one it sends with.
      const first = t.codecs.find((c) => !/rtx|red|ulpfec|flexfec/i.test(c.mimeType));
      expect({ mid: t.mid, payloadType: first?.payloadType, mimeType: first?.mimeType }).toEqual({ mid: t.mid, payloadType: ok.payloadType, mimeType: mime });
    } else {
      // A receiver keeps every codec it offered; ours must be among them under the same payload type.
      const ours = t.codecs.find((c) => c.payloadType === ok.payloadType);
      expect({ mid: t.mid, mimeType: ours?.mimeType }).toEqual({ mid: t.mid, mimeType: mime });
    }
  }
}

/** Runs inside the page (Chromium) or in-process (wrtc) with that implementation's globals. */
async function makeOffer(RTC: PcClass, caps: { send: Capabilities; receive: Capabilities } | undefined, role: "whip" | "whep", preferVideo?: string) {
  const pc = new RTC();
  const direction = role === "whip" ? "sendonly" : "recvonly";
  pc.addTransceiver("audio", { direction });
  const video = pc.addTransceiver("video", { direction });
  if (preferVideo && caps) {
    const codecs = (role === "whip" ? caps.send : caps.receive).getCapabilities("video")!.codecs;
    video.setCodecPreferences([...codecs.filter((c) => c.mimeType === preferVideo), ...codecs.filter((c) => c.mimeType !== preferVideo)]);
  }
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  return { pc, sdp: offer.sdp! };
}

async function applyAnswer(pc: Pc, sdp: string, role: "whip" | "whep"): Promise<Applied> {
  let error: string | undefined;
  try {
    await pc.setRemoteDescription({ type: "answer", sdp });
  } catch (e) {
    error = String(e);
  }
  const transceivers = pc.getTransceivers().map((t) => ({
    mid: t.mid,
    currentDirection: t.currentDirection,
    codecs: (role === "whip" ? t.sender : t.receiver).getParameters().codecs.map((c) => ({ payloadType: c.payloadType, mimeType: c.mimeType, sdpFmtpLine: c.sdpFmtpLine })),
  }));
  const out = { error, signalingState: pc.signalingState, transceivers };
  pc.close();
  return out;
}

const CASES: { name: string; role: "whip" | "whep"; preferVideo?: string; local: Local; codec: string }[] = [
  { name: "WHIP default offer (VP8 + Opus)", role: "whip", local: { role: "whip" }, codec: "vp8" },
  { name: "WHEP of a VP8 + Opus stream", role: "whep", local: { role: "whep", sources: [SOURCES.vp8, SOURCES.opus] }, codec: "vp8" },
  { name: "WHEP of an AV1 + Opus stream", role: "whep", local: { role: "whep", sources: [SOURCES.av1, SOURCES.opus] }, codec: "av1" },
  { name: "WHEP of a VP9 stream, AAC audio refused", role: "whep", local: { role: "whep", sources: [SOURCES.vp9p0, SOURCES.aac] }, codec: "vp9" },
];

const CHROMIUM_CASES: typeof CASES = [
  ...CASES,
  { name: "WHIP with H.264 preferred", role: "whip", preferVideo: "video/H264", local: { role: "whip" }, codec: "h264" },
  { name: "WHEP of an H.264 Constrained Baseline 3.1 stream", role: "whep", local: { role: "whep", sources: [SOURCES.h264Cb31, SOURCES.opus] }, codec: "h264" },
  { name: "WHEP of an H.264 Main 4.0 stream (level above the offer's, asymmetry allowed)", role: "whep", local: { role: "whep", sources: [SOURCES.h264Main40, SOURCES.opus] }, codec: "h264" },
  { name: "WHEP of an H.264 Baseline 5.1 stream", role: "whep", local: { role: "whep", sources: [SOURCES.h264Baseline51, SOURCES.opus] }, codec: "h264" },
];

function suite(name: string, peer: () => Peer, cases: typeof CASES) {
  describe(name, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const offer = await peer().offer(c.role, c.preferVideo);
        const n = answer(offer, c.local);
        expect<string | undefined>(n.media.find((m) => m.kind === "video")?.codec).toBe(c.codec);
        expectApplied(await peer().apply(n.sdp, c.role), n, c.role);
      });
    }
  });
}

let browser: Browser | undefined;
let chromiumPeer: Peer | undefined;
beforeAll(async () => {
  browser = await launchChromium();
  // A secure origin of our own is not needed: RTCPeerConnection works on about:blank.
  const page = await browser.open("about:blank");
  chromiumPeer = {
    offer: (role, preferVideo) =>
      page.evaluate(
        async ([role, preferVideo, makeOfferSrc]) => {
          const make = new Function(`return (${makeOfferSrc})`)();
          const g = globalThis as unknown as PageGlobals;
          const { pc, sdp } = await make(g.RTCPeerConnection, { send: g.RTCRtpSender, receive: g.RTCRtpReceiver }, role, preferVideo);
          g.pc = pc;
          return sdp as string;
        },
        [role, preferVideo, makeOffer.toString()] as const,
      ),
    apply: (sdp, role) =>
      page.evaluate(
        async ([sdp, role, applySrc]) => {
          const apply = new Function(`return (${applySrc})`)();
          return apply((globalThis as unknown as PageGlobals).pc, sdp, role) as Promise<Applied>;
        },
        [sdp, role, applyAnswer.toString()] as const,
      ),
  };
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

let wrtcPc: Pc | undefined;
const wrtcPeer: Peer = {
  async offer(role, preferVideo) {
    const { pc, sdp } = await makeOffer(wrtc.RTCPeerConnection as unknown as PcClass, undefined, role, preferVideo);
    wrtcPc = pc;
    return sdp;
  },
  apply: (sdp, role) => applyAnswer(wrtcPc!, sdp, role),
};

suite("Chromium takes spate's answers", () => chromiumPeer!, CHROMIUM_CASES);
suite("@roamhq/wrtc takes spate's answers", () => wrtcPeer, CASES);
