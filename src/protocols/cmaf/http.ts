/**
 * HTTP details shared by the LL-HLS and DASH front ends: content types, cache policy, CORS (players
 * on other origins), HEAD, and the wait for a timeline change that blocking requests are built on.
 *
 * Cache policy: playlists, MPDs, init segments (they change when the tracks do) and anything still
 * being produced are `no-cache`; a finished part or segment never changes under its name
 * (segmenters.ts never reuses a media sequence number), so it is `immutable`.
 */
import type { CmafSegmenter } from "./segmenter.ts";

export const CONTENT_TYPE = {
  playlist: "application/vnd.apple.mpegurl",
  mpd: "application/dash+xml",
  init: "video/mp4",
  media: "video/iso.segment",
  text: "text/plain; charset=utf-8",
} as const;

/** How long a first request waits for the stream's first part (a pull connecting, a publisher's first GOP). */
export const START_TIMEOUT_MS = 5000;

export const CACHE_LIVE = "no-cache";
export const CACHE_FINISHED = "public, max-age=600, immutable";
export const CACHE_NONE = "no-store";

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "content-length, content-type, cache-control, date, age",
};

/** A body (or, for HEAD, only its headers) with the front ends' common headers. */
export function respond(req: Request, body: Uint8Array | string | ReadableStream<Uint8Array>, type: string, cache: string, status = 200, extra?: Record<string, string>): Response {
  const headers: Record<string, string> = { "content-type": type, "cache-control": cache, ...CORS_HEADERS, ...extra };
  if (req.method === "HEAD") {
    if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
    else if (body instanceof Uint8Array) headers["content-length"] = String(body.length);
    else void body.cancel();
    return new Response(null, { status, headers });
  }
  return new Response(body, { status, headers });
}

/** An error answer: short text, never cached. */
export function failure(req: Request, status: number, message: string, extra?: Record<string, string>): Response {
  return respond(req, message + "\n", CONTENT_TYPE.text, CACHE_NONE, status, extra);
}

/** CORS preflight for any media URL. */
export function preflight(req: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      "access-control-allow-methods": "GET, HEAD, OPTIONS",
      "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "*",
      "access-control-max-age": "86400",
    },
  });
}

/**
 * Re-runs `check` after every change of the segmenter's timeline until it returns a value, the
 * segmenter stops, or `timeoutMs` passes (then the last `check()`, possibly undefined). One timer
 * per waiting request; each change costs one continuation per waiter.
 */
export async function waitFor<T>(seg: CmafSegmenter, timeoutMs: number, check: () => T | undefined): Promise<T | undefined> {
  let v = check();
  if (v !== undefined || seg.closed) return v;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, timeoutMs);
  });
  try {
    for (;;) {
      await Promise.race([seg.changed.next(), timeout]);
      v = check();
      if (v !== undefined || seg.closed || timedOut) return v;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Unsigned decimal of at most 15 digits (a URL's msn, part index, track id), else -1. */
export function decimal(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

