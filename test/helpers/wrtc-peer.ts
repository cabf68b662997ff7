/**
 * A WHIP publisher and a WHEP viewer made of @roamhq/wrtc (libwebrtc in-process, no browser). The
 * publisher feeds a synthetic I420 picture (the frame number as a stripe of black/white cells over a
 * scrolling block texture) at a fixed rate and a 440 Hz sine in 10 ms chunks of 48 kHz PCM; the video
 * codec is forced with setCodecPreferences. The viewer counts the frames its RTCVideoSink gets and
 * the samples its RTCAudioSink gets, and reads getStats() (inbound-rtp). Offers are sent at once,
 * without candidates: spate is ICE-lite and learns the peer's address from its checks.
 *
 *   const pub = await WrtcPublisher.start(spate.httpUrl("/live/x/whip"), { codec: "av1" });
 *   const view = await WrtcViewer.start(spate.httpUrl("/live/x/whep"));
 *   ... view.stats() ...  await view.stop(); await pub.stop();
 */
import wrtc from "@roamhq/wrtc";

/** The slice of the WebRTC API used here (the project compiles without DOM types). */
interface Track {
  kind: string;
  stop(): void;
}
interface CodecCapability {
  mimeType: string;
  clockRate: number;
  sdpFmtpLine?: string;
}
interface Transceiver {
  setCodecPreferences(codecs: CodecCapability[]): void;
}
interface Pc {
  addTransceiver(trackOrKind: Track | string, init: { direction: string }): Transceiver;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: "answer"; sdp: string }): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  connectionState: string;
  ontrack: ((e: { track: Track }) => void) | null;
  close(): void;
}
interface Sink {
  stop(): void;
  onframe?: ((e: { frame: { width: number; height: number } }) => void) | null;
  ondata?: ((e: { samples: Int16Array; numberOfFrames?: number; channelCount?: number }) => void) | null;
}
interface Wrtc {
  RTCPeerConnection: new () => Pc;
  RTCRtpSender: { getCapabilities(kind: string): { codecs: CodecCapability[] } | null };
  nonstandard: {
    RTCVideoSource: new () => { createTrack(): Track; onFrame(f: { width: number; height: number; data: Uint8Array }): void };
    RTCAudioSource: new () => { createTrack(): Track; onData(d: { samples: Int16Array; sampleRate: number; bitsPerSample: number; channelCount: number; numberOfFrames: number }): void };
    RTCVideoSink: new (t: Track) => Sink;
    RTCAudioSink: new (t: Track) => Sink;
  };
}
const W = wrtc as unknown as Wrtc;

export type WrtcVideoCodec = "vp8" | "vp9" | "av1";

export interface WrtcPublishOptions {
  codec: WrtcVideoCodec;
  width?: number;
  height?: number;
  fps?: number;
  /** Stop feeding after this long whatever happens (the source is bounded; default 60 s). */
  maxMs?: number;
}

export interface InboundStats {
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  framesDecoded?: number;
  keyFramesDecoded?: number;
  totalSamplesReceived?: number;
  nackCount?: number;
  pliCount?: number;
  decoder?: string;
  mimeType?: string;
}

async function post(url: string, pc: Pc): Promise<string> {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: offer.sdp });
  const body = await r.text();
  if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${body.slice(0, 300)}`);
  await pc.setRemoteDescription({ type: "answer", sdp: body });
  return new URL(r.headers.get("location")!, url).href;
}

async function waitConnected(pc: Pc, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pc.connectionState !== "connected") {
    if (pc.connectionState === "failed" || pc.connectionState === "closed") throw new Error(`peer connection ${pc.connectionState}`);
    if (Date.now() > end) throw new Error(`peer connection still ${pc.connectionState} after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

async function end(location: string | null, pc: Pc): Promise<number> {
  const status = location ? ((await fetch(location, { method: "DELETE" }).catch(() => null))?.status ?? 0) : 0;
  pc.close();
  return status;
}

/**
 * Paints frame `n` into the luma of an I420 buffer: the top quarter is n as 16 black/white cells,
 * the rest the texture scrolling 4 px a frame (every frame changes; key frames span several RTP
 * packets). Chroma stays as filled once.
 */
function paint(buf: Uint8Array, width: number, height: number, noise: Uint8Array, n: number): void {
  const top = height >> 2;
  const cell = Math.floor(width / 16);
  for (let i = 0; i < 16; i++) {
    const v = (n >>> (15 - i)) & 1 ? 235 : 16;
    for (let y = 0; y < top; y++) buf.fill(v, y * width + i * cell, y * width + (i + 1) * cell);
  }
  const shift = (n * 4) % width;
  for (let y = top; y < height; y++) {
    const row = noise.subarray(y * width, (y + 1) * width);
    buf.set(row.subarray(shift), y * width);
    buf.set(row.subarray(0, shift), y * width + width - shift);
  }
}

/**
 * A fixed pseudo-random texture of 8x8 blocks (xorshift32): detail enough that key frames span
 * several RTP packets, yet cheap enough that the encoders need not drop frames to pay for a key
 * frame at a fresh connection's bitrate (per-pixel noise made libvpx skip ~1 s after each).
 */
function makeNoise(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  let x = 0x12345678;
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = 48 + ((x >>> 0) % 160);
      for (let y = by; y < Math.min(height, by + 8); y++) out.fill(v, y * width + bx, y * width + Math.min(width, bx + 8));
    }
  }
  return out;
}

export class WrtcPublisher {
  framesSent = 0;
  audioChunksSent = 0;
  private readonly timers: Timer[] = [];

  private constructor(
    readonly pc: Pc,
    readonly location: string,
  ) {}

  static async start(url: string, opts: WrtcPublishOptions): Promise<WrtcPublisher> {
    const width = opts.width ?? 640;
    const height = opts.height ?? 360;
    const fps = opts.fps ?? 30;
    const pc = new W.RTCPeerConnection();
    const video = new W.nonstandard.RTCVideoSource();
    const audio = new W.nonstandard.RTCAudioSource();
    const vt = video.createTrack();
    const at = audio.createTrack();
    pc.addTransceiver(at, { direction: "sendonly" });
    const tr = pc.addTransceiver(vt, { direction: "sendonly" });
    const mime = `video/${opts.codec.toUpperCase()}`;
    const codecs = W.RTCRtpSender.getCapabilities("video")!.codecs.filter((c) => c.mimeType.toUpperCase() === mime.toUpperCase());
    if (!codecs.length) throw new Error(`wrtc has no ${mime} encoder`);
    tr.setCodecPreferences(codecs);
    let location: string;
    try {
      location = await post(url, pc);
      await waitConnected(pc, 10_000);
    } catch (e) {
      pc.close();
      throw e;
    }
    const pub = new WrtcPublisher(pc, location);

    // Fed by elapsed time, not by timer ticks: a late tick sends what is due (bounded per tick).
    const startMs = performance.now();
    const stopAt = startMs + (opts.maxMs ?? 60_000);
    const frame = { width, height, data: new Uint8Array((width * height * 3) / 2) };
    frame.data.fill(110, width * height); // chroma
    const noise = makeNoise(width, height);
    const pcm = new Int16Array(480);
    let phase = 0;
    pub.timers.push(
      setInterval(() => {
        const now = performance.now();
        if (now > stopAt) return pub.stopFeeding();
        const due = Math.floor(((now - startMs) * fps) / 1000) + 1;
        for (let k = 0; k < 3 && pub.framesSent < due; k++) {
          paint(frame.data, width, height, noise, pub.framesSent);
          video.onFrame(frame);
          pub.framesSent++;
        }
        const dueAudio = Math.floor((now - startMs) / 10) + 1;
        for (let k = 0; k < 10 && pub.audioChunksSent < dueAudio; k++) {
          for (let i = 0; i < pcm.length; i++) {
            pcm[i] = Math.round(8000 * Math.sin(phase));
            phase += (2 * Math.PI * 440) / 48000;
          }
          phase %= 2 * Math.PI;
          audio.onData({ samples: pcm, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
          pub.audioChunksSent++;
        }
      }, 5),
    );
    return pub;
  }

  private stopFeeding(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  /** outbound-rtp per kind. */
  async stats(): Promise<Record<string, Record<string, unknown>>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const s of (await this.pc.getStats()).values()) if (s.type === "outbound-rtp") out[String(s.kind)] = s;
    return out;
  }

  private stopped: Promise<number> | null = null;

  /** DELETE the session, close the peer connection; the DELETE status (the first call's, if called again). */
  stop(): Promise<number> {
    this.stopFeeding();
    return (this.stopped ??= end(this.location, this.pc));
  }
}

export class WrtcViewer {
  /** Frames the video sink got (decoded pictures) and their last size. */
  framesReceived = 0;
  width = 0;
  height = 0;
  /** Samples per channel the audio sink got. */
  audioSamples = 0;
  location: string | null = null;
  /** performance.now() of the POST and of the first frame the sink got (0 before it). */
  postedAtMs = 0;
  firstFrameAtMs = 0;
  /** The longest time between two frames the sink got, from the first one on. */
  longestGapMs = 0;
  private lastFrameAtMs = 0;
  private readonly sinks: Sink[] = [];

  private constructor(readonly pc: Pc) {}

  static async start(url: string, timeoutMs = 10_000): Promise<WrtcViewer> {
    const pc = new W.RTCPeerConnection();
    const v = new WrtcViewer(pc);
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = ({ track }) => {
      if (track.kind === "video") {
        const sink = new W.nonstandard.RTCVideoSink(track);
        sink.onframe = ({ frame }) => {
          const now = performance.now();
          if (v.framesReceived === 0) v.firstFrameAtMs = now;
          else if (v.lastFrameAtMs >= 0) v.longestGapMs = Math.max(v.longestGapMs, now - v.lastFrameAtMs);
          v.lastFrameAtMs = now;
          v.framesReceived++;
          v.width = frame.width;
          v.height = frame.height;
        };
        v.sinks.push(sink);
      } else {
        const sink = new W.nonstandard.RTCAudioSink(track);
        sink.ondata = (d) => {
          v.audioSamples += d.numberOfFrames ?? d.samples.length / (d.channelCount ?? 1);
        };
        v.sinks.push(sink);
      }
    };
    try {
      v.postedAtMs = performance.now();
      v.location = await post(url, pc);
      await waitConnected(pc, timeoutMs);
    } catch (e) {
      v.stopSinks();
      pc.close();
      throw e;
    }
    return v;
  }

  /** Starts `longestGapMs` again from the next frame (the time until then is not a gap). */
  resetGap(): void {
    this.longestGapMs = 0;
    this.lastFrameAtMs = -1;
  }

  /** inbound-rtp per kind, with the codec's MIME type. */
  async stats(): Promise<{ video: InboundStats | null; audio: InboundStats | null; state: string }> {
    const report = await this.pc.getStats();
    const out: { video: InboundStats | null; audio: InboundStats | null; state: string } = { video: null, audio: null, state: this.pc.connectionState };
    for (const s of report.values()) {
      if (s.type !== "inbound-rtp") continue;
      const codec = s.codecId ? report.get(String(s.codecId)) : undefined;
      out[s.kind === "video" ? "video" : "audio"] = {
        packetsReceived: Number(s.packetsReceived ?? 0),
        packetsLost: Number(s.packetsLost ?? 0),
        bytesReceived: Number(s.bytesReceived ?? 0),
        framesDecoded: s.framesDecoded as number | undefined,
        keyFramesDecoded: s.keyFramesDecoded as number | undefined,
        totalSamplesReceived: s.totalSamplesReceived as number | undefined,
        nackCount: s.nackCount as number | undefined,
        pliCount: s.pliCount as number | undefined,
        decoder: s.decoderImplementation as string | undefined,
        mimeType: codec?.mimeType as string | undefined,
      };
    }
    return out;
  }

  private stopSinks(): void {
    for (const s of this.sinks) s.stop();
    this.sinks.length = 0;
  }

  private stopped: Promise<number> | null = null;

  /** DELETE the session, stop the sinks, close the peer connection; the DELETE status (the first call's, if called again). */
  stop(): Promise<number> {
    this.stopSinks();
    return (this.stopped ??= end(this.location, this.pc));
  }
}
