/**
 * Low-latency DASH over HTTP (DASH-IF IOP v5 low-latency live, CMAF chunks), read from the stream's
 * CMAF segmenter — the same parts LL-HLS serves, one track's range of each:
 *
 *   /{path}/index.mpd          dynamic MPD (MpdCache: rendered once per timeline version)
 *   /{path}/init-T.mp4         track T's init segment
 *   /{path}/chunk-T-N.m4s      track T of segment N: a complete segment at once; the segment being
 *                              cut with chunked transfer, each CMAF chunk sent the moment its part
 *                              is complete, the response ending with the segment
 *   /time                      the UTCTiming clock (http-iso), served by the router (timeResponse)
 *
 * The MPD is not served before the first part exists (a first request waits for it). A request
 * for the segment after the newest one (a player whose clock runs a little ahead) waits for it to
 * start, at most a target duration.
 */
import { concatBytes } from "../../core/bytes.ts";
import { wallMs } from "../../core/errors.ts";
import { CACHE_FINISHED, CACHE_LIVE, CACHE_NONE, CONTENT_TYPE, decimal, failure, respond, START_TIMEOUT_MS, waitFor } from "../cmaf/http.ts";
import type { CmafSegment } from "../cmaf/model.ts";
import type { CmafSegmenter } from "../cmaf/segmenter.ts";
import type { Segmenters } from "../cmaf/segmenters.ts";
import { MpdCache } from "./wire/mpd.ts";

const INIT_RE = /^init-(\d{1,9})\.mp4$/;
const CHUNK_RE = /^chunk-(\d{1,9})-(\d{1,15})\.m4s$/;
/** MPDs rendered per segmenter for this many distinct request origins (the UTCTiming URL is absolute). */
const MAX_ORIGINS = 8;

export function isDashFile(file: string): boolean {
  return file === "index.mpd" || INIT_RE.test(file) || CHUNK_RE.test(file);
}

export interface DashOptions {
  targetLatencyMs: number;
}

export class DashEgress {
  private readonly mpds = new WeakMap<CmafSegmenter, Map<string, MpdCache>>();
  /** One track's bytes of a complete segment, concatenated on first request. */
  private readonly trackBytes = new WeakMap<CmafSegment, Uint8Array[]>();
  readonly counts = { mpd: 0, chunked: 0, segment: 0 };

  constructor(
    private readonly segmenters: Segmenters,
    private readonly opts: DashOptions,
  ) {}

  async handle(req: Request, path: string, file: string, url: URL): Promise<Response> {
    const stream = this.segmenters.resolve(path);
    if (!stream) return failure(req, 404, `stream ${path} not found`);
    const seg = this.segmenters.acquire(stream);
    if (!(await waitFor(seg, START_TIMEOUT_MS, () => seg.ready || undefined))) {
      return seg.closed ? failure(req, 404, `stream ${path} ended`) : failure(req, 503, `stream ${path} has no media yet`, { "retry-after": "1" });
    }
    if (file === "index.mpd") return this.mpd(req, seg, url);
    let m = INIT_RE.exec(file);
    if (m) {
      const init = seg.trackInits[decimal(m[1]!) - 1];
      return init ? respond(req, init, CONTENT_TYPE.init, CACHE_LIVE) : failure(req, 404, `no track ${m[1]}`);
    }
    m = CHUNK_RE.exec(file);
    if (m) return this.chunk(req, seg, decimal(m[1]!) - 1, decimal(m[2]!));
    return failure(req, 404, `${file} not found`);
  }

  private mpd(req: Request, seg: CmafSegmenter, url: URL): Response {
    let byOrigin = this.mpds.get(seg);
    if (!byOrigin) this.mpds.set(seg, (byOrigin = new Map()));
    let cache = byOrigin.get(url.origin);
    if (!cache) {
      if (byOrigin.size >= MAX_ORIGINS) byOrigin.clear();
      byOrigin.set(url.origin, (cache = new MpdCache()));
    }
    const text = cache.render(seg.timeline, { nowMs: wallMs(), timeUrl: `${url.origin}/time`, targetLatencyMs: this.opts.targetLatencyMs });
    this.counts.mpd++;
    return respond(req, text, CONTENT_TYPE.mpd, CACHE_LIVE);
  }

  private async chunk(req: Request, seg: CmafSegmenter, track: number, msn: number): Promise<Response> {
    const tl = seg.timeline;
    if (track < 0 || track >= tl.tracks.length) return failure(req, 404, `no track ${track + 1}`);
    let s = seg.findSegment(msn);
    if (!s && msn === tl.nextMsn) {
      // the next segment has not started yet: it will within a target duration
      s = await waitFor(seg, tl.targetDurationSec * 1000, () => seg.findSegment(msn));
    }
    if (!s) return failure(req, 404, `segment ${msn} is not in the window`);
    if (s.complete) {
      let per = this.trackBytes.get(s);
      if (!per) this.trackBytes.set(s, (per = []));
      const bytes = (per[track] ??= concatBytes(s.parts.map((p) => p.bytes.subarray(p.trackOffset[track]!, p.trackOffset[track]! + p.trackLength[track]!))));
      this.counts.segment++;
      return respond(req, bytes, CONTENT_TYPE.media, CACHE_FINISHED);
    }
    this.counts.chunked++;
    return respond(req, chunkedSegment(seg, s, track), CONTENT_TYPE.media, CACHE_NONE);
  }
}

/**
 * The segment being cut as a stream: each part's range of `track` as soon as the part is complete,
 * closed when the segment is (or errored when the segmenter stops or stalls past a timeout).
 */
function chunkedSegment(seg: CmafSegmenter, s: CmafSegment, track: number): ReadableStream<Uint8Array> {
  let next = 0; // next part to send
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        const p = s.parts[next];
        if (p && p.complete) {
          next++;
          const len = p.trackLength[track]!;
          if (len > 0) {
            ctrl.enqueue(p.bytes.subarray(p.trackOffset[track]!, p.trackOffset[track]! + len));
            return;
          }
          continue;
        }
        if (s.complete) return ctrl.close();
        if (seg.closed) return ctrl.error(new Error("stream ended"));
        const ok = await waitFor(seg, 3 * seg.timeline.targetDurationSec * 1000, () => (s.complete || s.parts[next]?.complete ? true : undefined));
        if (!ok) {
          if (seg.closed) return ctrl.close();
          return ctrl.error(new Error(`segment ${s.msn} stalled`));
        }
      }
    },
  });
}

/** GET /time: the UTCTiming clock (urn:mpeg:dash:utc:http-iso:2014). */
export function timeResponse(req: Request): Response {
  return respond(req, new Date().toISOString(), CONTENT_TYPE.text, CACHE_NONE);
}
