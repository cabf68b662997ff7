/**
 * One LL-HLS bench viewer: a client that does what a low-latency player does on the wire
 * (RFC 8216bis §6.2.5.2, §6.2.6). It loads the media playlist and the init segment, then per part
 * asks, at the same time, for the hinted part (EXT-X-PRELOAD-HINT: the server answers when the part
 * is complete) and for the playlist that holds it (a blocking reload with _HLS_msn/_HLS_part), which
 * names the next hint. Like a browser on HTTP/1.1, it keeps two connections open (http-client.ts):
 * one for the blocking reloads, one for the parts. The stamps in each part's video samples give the latency: the part's arrival
 * minus the frame's send time, so it includes waiting for the part to fill (up to one part), not the
 * hold-back a player adds before showing it.
 */
import { wallMs } from "../core/errors.ts";
import { CmafStampScanner } from "./cmaf-stamp-scanner.ts";
import type { HttpAgent, HttpConnection } from "./http-client.ts";
import { MeasuredViewer, type MeasureWindow } from "./measured-viewer.ts";
import type { LatencyHistogram } from "./stats.ts";

/** A viewer that keeps failing for this long while playing gives up. */
const GIVE_UP_MS = 10_000;
const RETRY_MS = 250;

/** What every viewer of a run shares, and the request counts they add to. */
export interface HlsViewerTarget {
  /** The media playlist's URL. */
  playlistUrl: string;
  /** Connections to the playlist's origin: each viewer takes two. */
  agent: HttpAgent;
  setupTimeoutMs: number;
  /** Longest a blocking request may wait (the server answers within ~3 target durations). */
  requestTimeoutMs: number;
  window: MeasureWindow;
  latency: LatencyHistogram;
  counts: HlsRequestCounts;
}

/** Requests completed inside the measured window, for all viewers. */
export class HlsRequestCounts {
  playlists = 0;
  parts = 0;
  inits = 0;
  /** Hinted parts answered 404 (the segment was cut before them): the part is fetched from the next playlist. */
  hintsGone = 0;
  /** Non-2xx answers and failed requests (inside the window). */
  errors = 0;
  /** Status or error text -> count (whole run). */
  readonly reasons = new Map<string, number>();
  /** Time from sending a blocking playlist request to its answer (ms), inside the window. */
  playlistWaitMs = 0;

  fail(reason: string, inWindow: boolean): void {
    if (inWindow) this.errors++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
}

/** The bits of a media playlist a client needs to follow it. */
export interface PlaylistState {
  mediaSequence: number;
  map: string | null;
  /** The next part (msn, index): what a blocking reload asks for. */
  nextMsn: number;
  nextPart: number;
  /** EXT-X-PRELOAD-HINT TYPE=PART URI, or null. */
  hint: string | null;
  /** The newest EXT-X-PART listed (its URI is not read), or null. */
  lastPart: PartRef | null;
  /** The playlist: `partsAfter` reads the parts from it when the client missed some. */
  text: string;
}

export interface PartRef {
  msn: number;
  index: number;
  uri: string;
}

/** Is part (msn, index) after `last` (null: nothing received yet)? */
const isAfter = (msn: number, index: number, last: PartRef | null) => last === null || msn > last.msn || (msn === last.msn && index > last.index);

/** The quoted value of attribute `name` in the tag line starting at `from`, or null (§4.2). */
function attr(text: string, from: number, name: string): string | null {
  const eol = lineEnd(text, from);
  let i = text.indexOf(name, from);
  // The attribute, not a longer name ending in it: preceded by ':' or ','.
  while (i >= 0 && i < eol && text.charCodeAt(i - 1) !== 0x3a && text.charCodeAt(i - 1) !== 0x2c) i = text.indexOf(name, i + 1);
  if (i < 0 || i >= eol || text.charCodeAt(i + name.length) !== 0x3d || text.charCodeAt(i + name.length + 1) !== 0x22) return null;
  const v = i + name.length + 2;
  const q = text.indexOf('"', v);
  return q < 0 || q > eol ? null : text.slice(v, q);
}

/** The decimal integer at `from` (digits only). */
function intAt(text: string, from: number): number {
  let n = 0;
  for (let i = from; ; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (!(c >= 0 && c <= 9)) return n;
    n = n * 10 + c;
  }
}

/** Where the tag line after the one at `from` starts, or -1. */
function nextTag(text: string, from: number): number {
  const i = text.indexOf("\n#", from);
  return i < 0 ? -1 : i + 1;
}

function lineEnd(text: string, from: number): number {
  const i = text.indexOf("\n", from);
  return i < 0 ? text.length : i;
}

/**
 * Reads MEDIA-SEQUENCE, MAP, PRELOAD-HINT and where the parts end (§4.4.3.2, §4.4.4.9, §4.4.5.3)
 * by visiting the tag lines in place: only the URIs the client uses become strings.
 */
export function parseMediaPlaylist(text: string): PlaylistState {
  let mediaSequence = 0;
  let segments = 0;
  let trailingParts = 0;
  /** The newest part: its segment's msn offset and index. */
  let lastSegment = -1;
  let lastIndex = -1;
  let map: string | null = null;
  let hint: string | null = null;
  for (let i = text.startsWith("#") ? 0 : nextTag(text, 0); i >= 0; i = nextTag(text, i)) {
    if (text.startsWith("#EXT-X-PART:", i)) {
      lastSegment = segments;
      lastIndex = trailingParts++;
    } else if (text.startsWith("#EXTINF:", i)) {
      segments++;
      trailingParts = 0;
    } else if (text.startsWith("#EXT-X-MEDIA-SEQUENCE:", i)) mediaSequence = intAt(text, i + 22);
    else if (text.startsWith("#EXT-X-MAP:", i)) map = attr(text, i, "URI");
    else if (text.startsWith("#EXT-X-SKIP:", i)) {
      const k = text.indexOf("SKIPPED-SEGMENTS=", i);
      if (k >= 0 && k < lineEnd(text, i)) segments += intAt(text, k + 17);
    } else if (text.startsWith("#EXT-X-PRELOAD-HINT:", i)) {
      const k = text.indexOf("TYPE=PART", i);
      if (k >= 0 && k < lineEnd(text, i)) hint = attr(text, i, "URI");
    }
  }
  const lastPart = lastIndex < 0 ? null : { msn: mediaSequence + lastSegment, index: lastIndex, uri: "" };
  return { mediaSequence, map, nextMsn: mediaSequence + segments, nextPart: trailingParts, hint, lastPart, text };
}

/** The EXT-X-PARTs of the playlist after `last` (all of them for null), oldest first. */
export function partsAfter(pl: PlaylistState, last: PartRef | null): PartRef[] {
  const text = pl.text;
  const parts: PartRef[] = [];
  let segments = 0;
  let index = 0;
  for (let i = text.startsWith("#") ? 0 : nextTag(text, 0); i >= 0; i = nextTag(text, i)) {
    if (text.startsWith("#EXT-X-PART:", i)) {
      const msn = pl.mediaSequence + segments;
      if (isAfter(msn, index, last)) {
        const uri = attr(text, i, "URI");
        if (uri !== null) parts.push({ msn, index, uri });
      }
      index++;
    } else if (text.startsWith("#EXTINF:", i)) {
      segments++;
      index = 0;
    } else if (text.startsWith("#EXT-X-SKIP:", i)) {
      const k = text.indexOf("SKIPPED-SEGMENTS=", i);
      if (k >= 0 && k < lineEnd(text, i)) segments += intAt(text, k + 17);
    }
  }
  return parts;
}

export class HlsViewer extends MeasuredViewer {
  readonly scanner: CmafStampScanner;
  private stopped = false;
  private failingSinceMs = NaN;
  private arrivalMs = 0;
  private lastFailure = "";
  /** Blocking playlist reloads on one connection, parts (and the init segment) on the other. */
  private readonly playlists: HttpConnection;
  private readonly parts: HttpConnection;
  private readonly base: URL;
  /** The playlist's path, and its folder's (ending in "/"). */
  private readonly playlistPath: string;
  private readonly dirPath: string;

  constructor(readonly target: HlsViewerTarget) {
    super(target.window, target.latency);
    this.scanner = new CmafStampScanner({ onStamp: (seq, sentMs) => this.onFrame(seq, sentMs, this.arrivalMs) });
    this.playlists = target.agent.connection();
    this.parts = target.agent.connection();
    this.base = new URL(target.playlistUrl);
    this.playlistPath = this.base.pathname + this.base.search;
    this.dirPath = this.base.pathname.slice(0, this.base.pathname.lastIndexOf("/") + 1);
  }

  start(): void {
    this.phase = "connecting";
    this.requestedMs = wallMs();
    this.run().catch((e: Error) => this.fail(e.message));
  }

  stop(): void {
    this.stopped = true;
    this.playlists.close();
    this.parts.close();
    if (this.phase === "connecting" || this.phase === "idle") {
      this.phase = "failed";
      this.error ??= "not playing yet when the run ended";
    }
    if (this.phase === "playing") this.phase = "closed";
  }

  /** Keeps the scanner's counts in the shared fields the report reads. */
  sync(): void {
    this.audioFrames = this.scanner.audioFrames;
    this.unstamped = this.scanner.unstamped;
  }

  private async run(): Promise<void> {
    const t = this.target;
    // The first playlist may not exist yet (no keyframe published so far): retry until the setup limit.
    const deadline = wallMs() + t.setupTimeoutMs;
    let first = await this.playlist(null, t.setupTimeoutMs);
    while (!first) {
      if (this.stopped) return;
      if (wallMs() > deadline) throw new Error(`no media playlist within ${t.setupTimeoutMs} ms (last: ${this.lastFailure})`);
      await sleep(RETRY_MS);
      first = await this.playlist(null, t.setupTimeoutMs);
    }
    let pl = first;
    /** The newest part received. */
    let last: PartRef | null = null;
    if (pl.map) await this.get(this.parts, this.resolve(pl.map), "init", t.setupTimeoutMs);
    if (this.phase === "connecting") this.phase = "playing";
    while (!this.stopped) {
      if (!pl.hint) {
        // No hint (not a low-latency playlist, or the stream paused): poll the playlist.
        await sleep(RETRY_MS);
        pl = (await this.playlist(null, t.requestTimeoutMs)) ?? pl;
        continue;
      }
      const hinted: PartRef = { msn: pl.nextMsn, index: pl.nextPart, uri: pl.hint };
      const [got, next] = await Promise.all([this.get(this.parts, this.resolve(hinted.uri), "hint", t.requestTimeoutMs), this.playlist(pl, t.requestTimeoutMs)]);
      if (got) last = hinted;
      if (next) {
        pl = next;
        // Parts the hint did not bring: the hinted one never came (its segment was cut at a
        // keyframe, and the next segment's first part took its place), or we fell behind.
        if (pl.lastPart && isAfter(pl.lastPart.msn, pl.lastPart.index, last)) {
          const parts = partsAfter(pl, last);
          // Joining: only the newest part.
          for (let i = last === null ? parts.length - 1 : 0; i < parts.length && !this.stopped; i++) {
            const p = parts[i]!;
            if (await this.get(this.parts, this.resolve(p.uri), "part", t.requestTimeoutMs)) last = p;
          }
        }
      } else {
        // Too far ahead or behind, or an error: start over from the current playlist.
        await sleep(RETRY_MS);
        pl = (await this.playlist(null, t.requestTimeoutMs)) ?? pl;
      }
    }
  }

  /** The request target of a URI in the playlist: a plain name is resolved without URL parsing. */
  private resolve(uri: string): string {
    if (uri.charCodeAt(0) !== 0x2f && !uri.includes(":") && !uri.includes("./")) return this.dirPath + uri;
    const u = new URL(uri, this.base);
    if (u.origin !== this.base.origin) throw new Error(`${uri} is on another origin than the playlist`);
    return u.pathname + u.search;
  }

  /** The media playlist; with `after`, the blocking reload that waits for its next part. */
  private async playlist(after: PlaylistState | null, timeoutMs: number): Promise<PlaylistState | null> {
    // §6.2.5.2: _HLS_msn and _HLS_part ask for the playlist once it holds that part.
    const target = after ? `${this.playlistPath}${this.base.search ? "&" : "?"}_HLS_msn=${after.nextMsn}&_HLS_part=${after.nextPart}` : this.playlistPath;
    const sentMs = wallMs();
    const body = await this.get(this.playlists, target, "playlist", timeoutMs);
    if (body === null) return null;
    if (after && this.window.contains(wallMs())) this.target.counts.playlistWaitMs += wallMs() - sentMs;
    return parseMediaPlaylist(TEXT.decode(body));
  }

  /** GET, counted; the body (valid until the connection's next request), or null after counting the failure. */
  private async get(conn: HttpConnection, target: string, kind: "playlist" | "part" | "hint" | "init", timeoutMs: number): Promise<Uint8Array | null> {
    const counts = this.target.counts;
    const status = await conn.get(target, timeoutMs);
    if (this.stopped) return null;
    let now = wallMs();
    let reason: string;
    if (status === 0) {
      reason = `${kind}: ${conn.error}`;
    } else {
      const body = conn.body;
      this.bytes += body.length;
      if (status >= 200 && status < 300) {
        this.failingSinceMs = NaN;
        if (this.window.contains(now)) {
          if (kind === "playlist") counts.playlists++;
          else if (kind === "part" || kind === "hint") counts.parts++;
          else counts.inits++;
        }
        if (kind === "part" || kind === "hint") {
          this.arrivalMs = now;
          this.scanner.scan(body);
          this.sync();
        }
        return body;
      }
      // §6.2.6: a hinted part that never materialises is a 404; expected once per segment.
      if (kind === "hint" && status === 404) {
        if (this.window.contains(now)) counts.hintsGone++;
        return null;
      }
      reason = `${kind} ${status}`;
    }
    now = wallMs();
    counts.fail(reason, this.window.contains(now));
    this.lastFailure = reason;
    if (Number.isNaN(this.failingSinceMs)) this.failingSinceMs = now;
    if (this.phase === "playing" && now - this.failingSinceMs > GIVE_UP_MS) {
      this.phase = "closed";
      this.closedAtMs = now;
      this.error ??= `failing for ${GIVE_UP_MS / 1000} s: ${reason}`;
      this.stopped = true;
    }
    return null;
  }

  private fail(reason: string): void {
    if (this.phase === "failed" || this.phase === "closed") return;
    this.phase = "failed";
    this.error = reason;
    this.stopped = true;
  }
}

const TEXT = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
