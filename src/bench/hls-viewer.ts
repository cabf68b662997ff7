/**
 * One LL-HLS bench viewer: a client that does what a low-latency player does on the wire
 * (RFC 8216bis §6.2.5.2, §6.2.6). It loads the media playlist and the init segment, then per part
 * asks, at the same time, for the hinted part (EXT-X-PRELOAD-HINT: the server answers when the part
 * is complete) and for the playlist that holds it (a blocking reload with _HLS_msn/_HLS_part), which
 * names the next hint. The stamps in each part's video samples give the latency: the part's arrival
 * minus the frame's send time, so it includes waiting for the part to fill (up to one part), not the
 * hold-back a player adds before showing it.
 */
import { wallMs } from "../core/errors.ts";
import { CmafStampScanner } from "./cmaf-stamp-scanner.ts";
import { MeasuredViewer, type MeasureWindow } from "./measured-viewer.ts";
import type { LatencyHistogram } from "./stats.ts";

/** A viewer that keeps failing for this long while playing gives up. */
const GIVE_UP_MS = 10_000;
const RETRY_MS = 250;

/** What every viewer of a run shares, and the request counts they add to. */
export interface HlsViewerTarget {
  /** The media playlist's URL. */
  playlistUrl: string;
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
  /** Every EXT-X-PART listed, oldest first. */
  parts: PartRef[];
}

export interface PartRef {
  msn: number;
  index: number;
  uri: string;
}

/** Is part (msn, index) after `last` (null: nothing received yet)? */
const isAfter = (msn: number, index: number, last: PartRef | null) => last === null || msn > last.msn || (msn === last.msn && index > last.index);

const attr = (line: string, name: string) => new RegExp(`[:,]${name}="([^"]*)"`).exec(line)?.[1] ?? null;

/** Reads MEDIA-SEQUENCE, MAP, PRELOAD-HINT and where the parts end (§4.4.3.2, §4.4.4.9, §4.4.5.3). */
export function parseMediaPlaylist(text: string): PlaylistState {
  let mediaSequence = 0;
  let segments = 0;
  let trailingParts = 0;
  let map: string | null = null;
  let hint: string | null = null;
  const parts: PartRef[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) mediaSequence = Number(line.slice(22));
    else if (line.startsWith("#EXT-X-MAP:")) map = attr(line, "URI");
    else if (line.startsWith("#EXT-X-SKIP:")) segments += Number(/SKIPPED-SEGMENTS=(\d+)/.exec(line)?.[1] ?? 0);
    else if (line.startsWith("#EXT-X-PART:")) {
      const uri = attr(line, "URI");
      if (uri !== null) parts.push({ msn: mediaSequence + segments, index: trailingParts, uri });
      trailingParts++;
    }
    else if (line.startsWith("#EXT-X-PRELOAD-HINT:") && /TYPE=PART/.test(line)) hint = attr(line, "URI");
    else if (line.startsWith("#EXTINF:")) {
      segments++;
      trailingParts = 0;
    }
  }
  return { mediaSequence, map, nextMsn: mediaSequence + segments, nextPart: trailingParts, hint, parts };
}

export class HlsViewer extends MeasuredViewer {
  readonly scanner: CmafStampScanner;
  private stopped = false;
  private readonly abort = new AbortController();
  private failingSinceMs = NaN;
  private arrivalMs = 0;
  private lastFailure = "";

  constructor(readonly target: HlsViewerTarget) {
    super(target.window, target.latency);
    this.scanner = new CmafStampScanner({ onStamp: (seq, sentMs) => this.onFrame(seq, sentMs, this.arrivalMs) });
  }

  start(): void {
    this.phase = "connecting";
    this.requestedMs = wallMs();
    this.run().catch((e: Error) => this.fail(e.message));
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
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
    if (pl.map) await this.get(new URL(pl.map, t.playlistUrl).href, "init", t.setupTimeoutMs);
    if (this.phase === "connecting") this.phase = "playing";
    while (!this.stopped) {
      if (!pl.hint) {
        // No hint (not a low-latency playlist, or the stream paused): poll the playlist.
        await sleep(RETRY_MS);
        pl = (await this.playlist(null, t.requestTimeoutMs)) ?? pl;
        continue;
      }
      const hinted: PartRef = { msn: pl.nextMsn, index: pl.nextPart, uri: pl.hint };
      const [got, next] = await Promise.all([
        this.get(new URL(hinted.uri, t.playlistUrl).href, "hint", t.requestTimeoutMs),
        this.playlist(pl, t.requestTimeoutMs),
      ]);
      if (got) last = hinted;
      if (next) {
        pl = next;
        // Parts the hint did not bring: the hinted one never came (its segment was cut at a
        // keyframe, and the next segment's first part took its place), or we fell behind.
        for (const p of pl.parts) {
          if (this.stopped || !isAfter(p.msn, p.index, last)) continue;
          if (last === null && p !== pl.parts.at(-1)) continue; // join at the newest part
          if (await this.get(new URL(p.uri, t.playlistUrl).href, "part", t.requestTimeoutMs)) last = p;
        }
      } else {
        // Too far ahead or behind, or an error: start over from the current playlist.
        await sleep(RETRY_MS);
        pl = (await this.playlist(null, t.requestTimeoutMs)) ?? pl;
      }
    }
  }

  /** The media playlist; with `after`, the blocking reload that waits for its next part. */
  private async playlist(after: PlaylistState | null, timeoutMs: number): Promise<PlaylistState | null> {
    const url = new URL(this.target.playlistUrl);
    if (after) {
      url.searchParams.set("_HLS_msn", String(after.nextMsn));
      url.searchParams.set("_HLS_part", String(after.nextPart));
    }
    const sentMs = wallMs();
    const body = await this.get(url.href, "playlist", timeoutMs);
    if (body === null) return null;
    if (after && this.window.contains(wallMs())) this.target.counts.playlistWaitMs += wallMs() - sentMs;
    return parseMediaPlaylist(new TextDecoder().decode(body));
  }

  /** GET, counted; the body, or null after counting the failure. */
  private async get(url: string, kind: "playlist" | "part" | "hint" | "init", timeoutMs: number): Promise<Uint8Array | null> {
    const counts = this.target.counts;
    let reason: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]) });
      const body = new Uint8Array(await res.arrayBuffer());
      const now = wallMs();
      this.bytes += body.length;
      if (res.ok) {
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
      if (kind === "hint" && res.status === 404) {
        if (this.window.contains(now)) counts.hintsGone++;
        return null;
      }
      reason = `${kind} ${res.status}`;
    } catch (e) {
      if (this.stopped) return null;
      reason = `${kind}: ${(e as Error).name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : (e as Error).message}`;
    }
    const now = wallMs();
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
