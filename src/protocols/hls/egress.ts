/**
 * LL-HLS over HTTP (RFC 8216bis), read from the stream's CMAF segmenter:
 *
 *   /{path}/index.m3u8    multivariant playlist
 *   /{path}/stream.m3u8   media playlist; _HLS_msn/_HLS_part block (§6.2.5.2), _HLS_skip=YES|v2 delta (§6.2.5.1)
 *   /{path}/init.mp4      muxed init segment (EXT-X-MAP)
 *   /{path}/part-N.I.m4s  part I of segment N; the hinted next part blocks until complete (§6.2.6)
 *   /{path}/seg-N.m4s     segment N; the one being cut blocks until complete
 *
 * Every request (re)starts the segmenter's idle clock. The first request of a path waits for its
 * first part (at most START_TIMEOUT_MS). Playlists are rendered once per timeline version
 * (PlaylistCache) and every client gets the same bytes; parts are served from memory as they are.
 * Status codes: 400 for bad or too-far directives (HlsRequestError, blockingDecision), 404 for an
 * unknown path or a part/segment outside the window, 503 when a blocking request times out
 * (three target durations, §6.2.5.2) or the stream has nothing to show yet.
 */
import { concatBytes } from "../../core/bytes.ts";
import type { CmafSegment } from "../cmaf/model.ts";
import { CACHE_FINISHED, CACHE_LIVE, CONTENT_TYPE, decimal, failure, respond, START_TIMEOUT_MS, waitFor } from "../cmaf/http.ts";
import type { CmafSegmenter } from "../cmaf/segmenter.ts";
import type { Segmenters } from "../cmaf/segmenters.ts";
import { blockingDecision, blockingTimeoutMs, partRequestDecision } from "./wire/blocking.ts";
import { PlaylistCache } from "./wire/playlist-cache.ts";
import { HlsRequestError, parseHlsQuery, type HlsQuery } from "./wire/query.ts";

const PART_RE = /^part-(\d{1,15})\.(\d{1,15})\.m4s$/;
const SEGMENT_RE = /^seg-(\d{1,15})\.m4s$/;

/** Is `file` one of ours (so the router sends it here)? */
export function isHlsFile(file: string): boolean {
  return file === "index.m3u8" || file === "stream.m3u8" || file === "init.mp4" || PART_RE.test(file) || SEGMENT_RE.test(file);
}

export class HlsEgress {
  private readonly playlists = new WeakMap<CmafSegmenter, PlaylistCache>();
  /** Whole segments, concatenated on first request (parts stay the only copy otherwise). */
  private readonly segmentBytes = new WeakMap<CmafSegment, Uint8Array>();
  /** Requests answered, by kind, and blocking requests that timed out (for the API). */
  readonly counts = { playlist: 0, blocked: 0, part: 0, segment: 0, timeouts: 0, badRequests: 0 };

  constructor(private readonly segmenters: Segmenters) {}

  async handle(req: Request, path: string, file: string, url: URL): Promise<Response> {
    let query: HlsQuery | undefined;
    if (file === "stream.m3u8") {
      try {
        query = parseHlsQuery(url.searchParams);
      } catch (e) {
        if (!(e instanceof HlsRequestError)) throw e;
        this.counts.badRequests++;
        return failure(req, e.status, e.message);
      }
    }
    const stream = this.segmenters.resolve(path);
    if (!stream) return failure(req, 404, `stream ${path} not found`);
    const seg = this.segmenters.acquire(stream);
    if (!(await waitFor(seg, START_TIMEOUT_MS, () => seg.ready || undefined))) {
      return seg.closed ? failure(req, 404, `stream ${path} ended`) : failure(req, 503, `stream ${path} has no media yet`, { "retry-after": "1" });
    }
    if (file === "stream.m3u8") return this.mediaPlaylist(req, seg, query!);
    if (file === "index.m3u8") {
      this.counts.playlist++;
      const c = this.cache(seg);
      const body = c.multivariant(seg.timeline);
      seg.playlistRenders = c.renders;
      return respond(req, body, CONTENT_TYPE.playlist, CACHE_LIVE);
    }
    if (file === "init.mp4") return respond(req, seg.init, CONTENT_TYPE.init, CACHE_LIVE);
    let m = PART_RE.exec(file);
    if (m) return this.part(req, seg, decimal(m[1]!), decimal(m[2]!));
    m = SEGMENT_RE.exec(file);
    if (m) return this.segment(req, seg, decimal(m[1]!));
    return failure(req, 404, `${file} not found`);
  }

  private async mediaPlaylist(req: Request, seg: CmafSegmenter, q: HlsQuery): Promise<Response> {
    const tl = seg.timeline;
    if (q.msn !== undefined) {
      const msn = q.msn;
      const part = q.part;
      const first = blockingDecision(tl, msn, part);
      if (first === "too-far") {
        this.counts.badRequests++;
        return failure(req, 400, `_HLS_msn=${msn}${part === undefined ? "" : ` _HLS_part=${part}`} is too far ahead of the playlist (next part ${tl.nextMsn}.${tl.nextPart})`);
      }
      if (first === "wait") {
        this.counts.blocked++;
        const d = await waitFor(seg, blockingTimeoutMs(tl), () => {
          const d = blockingDecision(tl, msn, part);
          return d === "wait" ? undefined : d;
        });
        if (seg.closed) return failure(req, 404, "stream ended");
        if (d === undefined) {
          this.counts.timeouts++;
          return failure(req, 503, `_HLS_msn=${msn} not produced within ${blockingTimeoutMs(tl)} ms`);
        }
      }
    }
    this.counts.playlist++;
    const c = this.cache(seg);
    const body = c.media(tl, q.skip);
    seg.playlistRenders = c.renders;
    return respond(req, body, CONTENT_TYPE.playlist, CACHE_LIVE);
  }

  private async part(req: Request, seg: CmafSegmenter, msn: number, index: number): Promise<Response> {
    const tl = seg.timeline;
    let d = partRequestDecision(tl, msn, index);
    if (d === "wait") {
      const r = await waitFor(seg, blockingTimeoutMs(tl), () => {
        const d = partRequestDecision(tl, msn, index);
        return d === "wait" ? undefined : d;
      });
      if (r === undefined) {
        this.counts.timeouts++;
        return failure(req, seg.closed ? 404 : 503, `part ${msn}.${index} not produced in time`);
      }
      d = r;
    }
    const part = d === "ready" ? seg.findPart(msn, index) : undefined;
    if (!part || !part.complete) return failure(req, 404, `part ${msn}.${index} is not in the window`);
    this.counts.part++;
    return respond(req, part.bytes, CONTENT_TYPE.media, CACHE_FINISHED);
  }

  private async segment(req: Request, seg: CmafSegmenter, msn: number): Promise<Response> {
    let s = seg.findSegment(msn);
    // The segment being cut is complete within a target duration: wait for it rather than 404.
    if (s && !s.complete) {
      const tl = seg.timeline;
      await waitFor(seg, blockingTimeoutMs(tl), () => (s!.complete ? true : undefined));
      if (!s.complete) return failure(req, seg.closed ? 404 : 503, `segment ${msn} not complete in time`);
      s = seg.findSegment(msn);
    }
    if (!s) return failure(req, 404, `segment ${msn} is not in the window`);
    let bytes = this.segmentBytes.get(s);
    if (!bytes) {
      bytes = concatBytes(s.parts.map((p) => p.bytes));
      this.segmentBytes.set(s, bytes);
    }
    this.counts.segment++;
    return respond(req, bytes, CONTENT_TYPE.media, CACHE_FINISHED);
  }

  private cache(seg: CmafSegmenter): PlaylistCache {
    let c = this.playlists.get(seg);
    if (!c) this.playlists.set(seg, (c = new PlaylistCache()));
    return c;
  }
}
