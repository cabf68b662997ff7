/**
 * The built-in player page: `GET /{path}/` plays the stream over WebRTC (WHEP) and falls back to
 * LL-HLS with hls.js when WHEP fails; `?player=whep`, `?player=hls` and `?player=dash` (low-latency
 * DASH with dash.js) force one. It shows which it uses and how far behind live it is. The player libraries come from npm and are served by spate under `/_spate/` (no CDN);
 * they are imported as files, so `bun build --compile` embeds them in the single binary.
 */
import { readFileSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { isValidPath } from "../core/path-table.ts";
import { CMAF_URLS } from "../protocols/cmaf/model.ts";
// @ts-ignore: a file import gives the file's path (on disk, or inside the compiled binary)
import hlsJsFile from "../../node_modules/hls.js/dist/hls.min.js" with { type: "file" };
// @ts-ignore: as above
import dashJsFile from "../../node_modules/dashjs/dist/modern/umd/dash.all.min.js" with { type: "file" };
// Text imports: the page template and the browser script are inlined as strings.
import pageHtml from "./player/page.html" with { type: "text" };
// @ts-ignore: as above (a plain browser script, no declarations)
import playerJsText from "./player/player.js" with { type: "text" };

const pageTemplate = pageHtml as unknown as string;
const playerJs = playerJsText as string;

/** Where the page's scripts are served from; no stream path may shadow it. */
export const PLAYER_ASSET_PREFIX = "/_spate/";

/** hls.js tuning: ~1 s behind the newest part, up to 3 s before it seeks, catch-up at up to 1.5x. */
const HLS_SETTINGS = { liveSyncSec: 1.0, liveMaxLatencySec: 3.0, maxLiveSyncPlaybackRate: 1.5 };

/** "auto" (no ?player=): WHEP first, then LL-HLS. */
const PLAYERS = ["auto", "whep", "hls", "dash"] as const;
const FORCED = PLAYERS.filter((p) => p !== "auto");

/** WHEP gives up (and the page falls back) when no video frame is decoded this long after the POST. */
const WHEP_FRAME_TIMEOUT_MS = 6000;
type PlayerKind = (typeof PLAYERS)[number];

interface Asset {
  /** The name under PLAYER_ASSET_PREFIX. */
  name: string;
  /** Cache-busting token in the page's URL for it (the asset is immutable under it). */
  version: string;
  load(): Uint8Array;
  bytes?: Uint8Array;
  gzipped?: Uint8Array;
}

const encoder = new TextEncoder();
const ASSETS = new Map<string, Asset>(
  [
    { name: "hls.js", version: pkg.dependencies["hls.js"], load: () => readFileSync(hlsJsFile as string) },
    { name: "dash.js", version: pkg.dependencies.dashjs, load: () => readFileSync(dashJsFile as string) },
    { name: "player.js", version: Bun.hash(playerJs).toString(36), load: () => encoder.encode(playerJs) },
  ].map((a) => [a.name, a]),
);

const assetUrl = (name: string) => `${PLAYER_ASSET_PREFIX}${name}?v=${ASSETS.get(name)!.version}`;

const ASSET_HEADERS = {
  "content-type": "text/javascript; charset=utf-8",
  "cache-control": "public, max-age=31536000, immutable",
  "x-content-type-options": "nosniff",
  vary: "accept-encoding",
};

// hls.js runs its demuxer in a blob: worker and both players feed <video> from blob: MediaSource URLs.
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; worker-src 'self' blob:; media-src 'self' blob:; " +
  "connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'self'";

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
};

/**
 * Answers player page and player asset requests; null for anything else (the caller routes it on).
 * `pathExists` says whether a stream is known at a path: an unknown one gets a 404 page that
 * reloads itself until the stream shows up.
 */
export function handlePlayer(req: Request, pathExists: (path: string) => boolean): Response | null {
  if (req.method !== "GET" && req.method !== "HEAD") return null;
  const url = new URL(req.url);
  if (url.pathname.startsWith(PLAYER_ASSET_PREFIX)) return serveAsset(req, url.pathname.slice(PLAYER_ASSET_PREFIX.length));
  if (!url.pathname.endsWith("/") || url.pathname.length < 3) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(1, -1));
  } catch {
    return null;
  }
  if (!isValidPath(path)) return null;
  const player = url.searchParams.get("player") ?? "auto";
  if (!(PLAYERS as readonly string[]).includes(player)) {
    return text(req, 400, `unknown player ${JSON.stringify(player)}: use no ?player= (WebRTC, else LL-HLS) or ${FORCED.map((p) => `?player=${p}`).join(", ")}\n`);
  }
  if (!pathExists(path)) return respond(req, 404, PAGE_HEADERS, encoder.encode(renderWaitingPage(path)));
  return respond(req, 200, PAGE_HEADERS, encoder.encode(renderPage(path, player as PlayerKind)));
}

function serveAsset(req: Request, name: string): Response {
  const asset = ASSETS.get(name);
  if (!asset) return text(req, 404, `no player asset ${JSON.stringify(name)}\n`);
  // Read on first use: a server nobody watches in a browser never holds the 1.4 MB.
  asset.bytes ??= asset.load();
  const etag = `"${asset.version}"`;
  if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: { ...ASSET_HEADERS, etag } });
  if (/\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) {
    // Compressed once, on the first request that accepts it: hls.js 620 kB -> ~190 kB.
    asset.gzipped ??= Bun.gzipSync(asset.bytes as Uint8Array<ArrayBuffer>);
    return respond(req, 200, { ...ASSET_HEADERS, etag, "content-encoding": "gzip" }, asset.gzipped);
  }
  return respond(req, 200, { ...ASSET_HEADERS, etag }, asset.bytes);
}

function respond(req: Request, status: number, headers: Record<string, string>, body: Uint8Array): Response {
  const h = { ...headers, "content-length": String(body.byteLength) };
  return new Response(req.method === "HEAD" ? null : (body as Uint8Array<ArrayBuffer>), { status, headers: h });
}

function text(req: Request, status: number, body: string): Response {
  return respond(req, status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }, encoder.encode(body));
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
// JSON inside <script>: "<" escaped so no "</script>" or "<!--" can end or change the element.
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

function renderPage(path: string, player: PlayerKind): string {
  const config = {
    path,
    player,
    // Relative to the page's folder, /{path}/.
    hls: { url: CMAF_URLS.multivariant, ...HLS_SETTINGS },
    dash: { url: CMAF_URLS.mpd },
    whep: { url: "whep", frameTimeoutMs: WHEP_FRAME_TIMEOUT_MS },
    // The stream's tracks: why a WHEP answer has no audio (an AAC stream).
    api: `/api/v1/streams/${path.split("/").map(encodeURIComponent).join("/")}`,
    links: { hls: "./?player=hls" },
    // Loaded only on a fallback: a WHEP viewer never fetches hls.js.
    assets: { hls: assetUrl("hls.js") },
  };
  const library = player === "dash" ? assetUrl("dash.js") : player === "hls" ? assetUrl("hls.js") : null;
  const current = (p: PlayerKind) => (player === p ? ' aria-current="page"' : "");
  const fill: Record<string, string> = {
    TITLE: escapeHtml(path),
    CONFIG: scriptJson(config),
    LIBRARY: library ? `<script src="${library}"></script>` : "",
    PLAYER_JS: assetUrl("player.js"),
    AUTO_CURRENT: current("auto"),
    WHEP_CURRENT: current("whep"),
    HLS_CURRENT: current("hls"),
    DASH_CURRENT: current("dash"),
  };
  return pageTemplate.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => fill[key] ?? "");
}

function renderWaitingPage(path: string): string {
  const title = escapeHtml(path);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>${title} · spate</title><style>:root{color-scheme:dark;font:14px system-ui,sans-serif}body{background:#111;color:#ddd;padding:2em}</style></head>
<body><p>Nothing is live at <code>${title}</code> yet; this page reloads until it is.</p></body></html>
`;
}
