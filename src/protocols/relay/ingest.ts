import { ProtocolError, wallMs } from "../../core/errors.ts";
import { PathBusyError, type PathTable } from "../../core/path-table.ts";
import type { Publisher, Stream } from "../../core/stream.ts";
import type { Track } from "../../core/track.ts";
import { LatencyWindow } from "./latency.ts";
import { RelayClientHandshake } from "./session.ts";
import { MAX_TRACKS, MsgType, type RelayMessage } from "./wire/message.ts";

/** What the ingest needs from the connection to its upstream (a WebSocket in the listener). */
export interface RelayLink {
  send(bytes: Uint8Array): void;
  close(reason: string): void;
}

export interface RelayIngestEvents {
  /** The upstream accepted us: `hops` is its distance from the origin (255: it did not know). */
  accepted(upstream: string, hops: number): void;
  /** The upstream refused us (bad secret, loop): the reason, for the log. */
  refused(reason: string): void;
  /** A local publisher took the path over, or the API ended it: stop pulling. */
  closed(reason: string): void;
}

/**
 * The downstream end of a relay pull, for its whole life across upstream connections: it answers
 * the handshake, publishes the upstream's frames into the local stream (as a Publisher, protocol
 * "relay") while the upstream's publisher is live, and measures per-hop and end-to-end latency from
 * the wall-clock times each frame carries. When an upstream connection breaks, the stream waits (the
 * publisher-reconnect grace); on the next connection the frames already seen are skipped, so the
 * readers continue from the first new keyframe with monotonic timestamps.
 */
export class RelayIngest implements Publisher {
  readonly protocol = "relay";
  remoteAddress: string;
  upstream: string;
  upstreamHops: number;
  /** Upstream track id -> local track. */
  private tracks: (Track | undefined)[];
  /** Upstream dts of the newest frame published per upstream track (NaN: none yet). */
  private lastDts: Float64Array;
  /** After a re-attach: frames are dropped until a keyframe the readers have not seen. */
  private resuming: boolean;
  private resumeKeys: number;
  /** Upstream id of the video track (-1: none), and its keyframes since this connection started. */
  private videoUp: number;
  private keysSinceConnect: number;
  private link: RelayLink | null;
  private handshake: RelayClientHandshake | null;
  /** The upstream of this connection proved the cluster secret (ACCEPT): media is taken only then. */
  private authenticated: boolean;
  private closed: boolean;
  readonly hop = new LatencyWindow();
  readonly endToEnd = new LatencyWindow();
  frames: number;
  framesSkipped: number;
  connects: number;
  /** Wall-clock ms the last upstream connection broke, and how long the last re-attach took. */
  private brokeAtMs: number;
  lastReattachMs: number;

  constructor(
    readonly paths: PathTable,
    readonly path: string,
    readonly nodeId: string,
    readonly secret: string | undefined,
    readonly events: RelayIngestEvents,
  ) {
    this.remoteAddress = "";
    this.upstream = "";
    this.upstreamHops = -1;
    this.tracks = [];
    this.lastDts = new Float64Array(MAX_TRACKS).fill(Number.NaN);
    this.resuming = false;
    this.resumeKeys = 0;
    this.videoUp = -1;
    this.keysSinceConnect = 0;
    this.link = null;
    this.handshake = null;
    this.authenticated = false;
    this.closed = false;
    this.frames = 0;
    this.framesSkipped = 0;
    this.connects = 0;
    this.brokeAtMs = 0;
    this.lastReattachMs = -1;
  }

  get stream(): Stream | undefined {
    return this.paths.get(this.path);
  }

  get published(): boolean {
    return this.stream?.publisher === this;
  }

  /** A new connection to `upstreamId` at `upstreamAddress` is open (the handshake follows). */
  connected(link: RelayLink, upstreamAddress: string, upstreamId: string): void {
    this.link = link;
    this.handshake = new RelayClientHandshake(this.secret, this.path, this.nodeId, upstreamId);
    this.authenticated = false;
    this.remoteAddress = upstreamAddress;
    this.tracks = [];
    this.keysSinceConnect = 0;
  }

  /** Every message from the upstream, in order. Throws ProtocolError on a broken conversation. */
  onMessage(m: RelayMessage): void {
    switch (m.type) {
      case MsgType.Hello:
        if (this.handshake) this.link?.send(this.handshake.onHello(m));
        return;
      case MsgType.Accept:
        if (!this.handshake) throw new ProtocolError("relay", "unexpected", "a second ACCEPT");
        this.handshake.checkAccept(m);
        this.handshake = null; // accepted once per connection
        this.authenticated = true;
        this.upstream = m.nodeId;
        this.upstreamHops = m.hops;
        this.connects++;
        this.events.accepted(m.nodeId, m.hops);
        return;
      case MsgType.Refuse:
        this.events.refused(m.reason);
        return;
      case MsgType.Keepalive:
        return;
      case MsgType.State:
      case MsgType.Tracks:
      case MsgType.Frame:
        break;
      default:
        throw new ProtocolError("relay", "unexpected", `message type ${m.type} from an upstream`);
    }
    if (!this.authenticated) throw new ProtocolError("relay", "unauthenticated", `message type ${m.type} before the upstream proved the cluster secret`);
    if (m.type === MsgType.Frame) return this.onFrame(m);
    if (m.type === MsgType.Tracks) return this.onTracks(m);
    if (m.state === "live") this.publish();
    else if (m.state === "waiting") this.unpublish();
    else {
      // The origin's stream is over; so is ours, unless a local publisher has it now.
      const s = this.stream;
      if (s && (s.publisher === this || s.publisher === null)) this.paths.end(s); // stops this pull too
    }
  }

  /** End of one transport read: hand the new frames to the local writers once. */
  flush(): void {
    this.stream?.flush();
  }

  /** The upstream connection is gone: readers wait for the next one (the grace period). */
  disconnected(): void {
    this.link = null;
    this.handshake = null;
    this.authenticated = false;
    if (this.published) {
      this.brokeAtMs = wallMs();
      this.unpublish();
    }
    if (this.frames > 0) {
      this.resuming = true;
      this.resumeKeys = 0;
    }
  }

  /** The pull stops (no readers left, stream ended): the stream loses its publisher. */
  stop(): void {
    this.closed = true;
    this.link = null;
    this.unpublish();
  }

  /** Publisher: the API or a local publisher's takeover ends the relay. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const link = this.link;
    this.link = null;
    link?.close(reason);
    this.unpublish();
    this.events.closed(reason);
  }

  stats(): object {
    return {
      upstream: this.upstream,
      upstreamHops: this.upstreamHops,
      hops: this.upstreamHops + 1,
      connects: this.connects,
      lastReattachMs: this.lastReattachMs,
      frames: this.frames,
      framesSkipped: this.framesSkipped,
      hopLatencyMs: this.hop.summary(),
      endToEndLatencyMs: this.endToEnd.summary(),
    };
  }

  private publish(): void {
    if (this.closed || this.published) return;
    try {
      this.paths.publish(this.path, this);
    } catch (e) {
      if (!(e instanceof PathBusyError)) throw e;
      this.close("published locally"); // a local publisher has the path: nothing to relay
      return;
    }
    if (this.brokeAtMs > 0) {
      this.lastReattachMs = Math.round(wallMs() - this.brokeAtMs);
      this.brokeAtMs = 0;
    }
  }

  private unpublish(): void {
    const s = this.stream;
    if (s && s.publisher === this) this.paths.unpublish(s, this);
  }

  private onTracks(m: RelayMessage): void {
    const s = this.stream;
    if (!s) return;
    for (const d of m.tracks) {
      const t = s.ensureTrack(d.codec, d.clockRate);
      this.tracks[d.id] = t;
      if (t.kind === "video") this.videoUp = d.id;
      if (d.config) s.setConfig(t, d.config, d.info);
      else t.info = d.info;
    }
  }

  private onFrame(m: RelayMessage): void {
    const s = this.stream;
    const t = this.tracks[m.track];
    if (!s || s.publisher !== this || !t) {
      this.framesSkipped++;
      return;
    }
    // One upstream's timeline only moves forward: anything not past the last frame was seen already.
    if ((this.resuming && !this.resume(m, t)) || m.dts <= this.lastDts[m.track]!) {
      this.framesSkipped++;
      return;
    }
    // The first GOP of a connection is the upstream's backlog (a joiner starts at the newest
    // keyframe): its age is not latency. From the next keyframe on, frames arrive as they are made.
    if (m.keyframe && (this.videoUp < 0 || m.track === this.videoUp)) this.keysSinceConnect++;
    if (this.keysSinceConnect >= 2) {
      const now = wallMs();
      this.hop.add(now - m.sentMs);
      this.endToEnd.add(now - m.ingestMs);
    }
    this.lastDts[m.track] = m.dts;
    this.frames++;
    s.push(m.payload, t.id, m.dts, m.pts, m.keyframe, m.ingestMs);
  }

  /**
   * After a re-attach the new upstream starts at its newest keyframe, usually one the readers had:
   * frames resume at the first keyframe past the last one published (or at the second keyframe, when
   * the new upstream's clock is not comparable), and older frames of the other tracks are dropped.
   */
  private resume(m: RelayMessage, t: Track): boolean {
    const video = this.tracks.findIndex((x) => x?.kind === "video");
    const last = this.lastDts[m.track]!;
    if (video >= 0) {
      if (m.track !== video) return false;
      if (!m.keyframe) return false;
      this.resumeKeys++;
      if (!(m.dts > last) && this.resumeKeys < 2) return false;
      if (!(m.dts > last)) this.lastDts.fill(Number.NaN); // another clock: compare nothing
    } else if (!(m.dts > last) && t.kind === "audio" && ++this.resumeKeys < 500) {
      return false;
    }
    this.resuming = false;
    return true;
  }
}
