/**
 * LL-HLS as a plain client sees it, for the integration tests: the media playlist parsed by
 * hls-parser (which also validates the LL-HLS rules), its preload hint, and the window downloaded
 * into files ffprobe can read (init + whole segments; init + the parts of one segment).
 */
import { writeFileSync } from "node:fs";
import HLS from "hls-parser";
import { sleep } from "./process.ts";
import type { Spate } from "./server.ts";

export interface Fetched {
  status: number;
  headers: Headers;
  text: string;
}

export async function getText(spate: Spate, path: string, init?: RequestInit): Promise<Fetched> {
  const r = await spate.request(path, init);
  return { status: r.status, headers: r.headers, text: await r.text() };
}

export async function getBytes(spate: Spate, path: string): Promise<Uint8Array> {
  const r = await spate.request(path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

export interface MediaPlaylist {
  text: string;
  parsed: HLS.types.MediaPlaylist;
  hint: { msn: number; part: number };
  /** Complete segments: msn and URI. */
  segments: { msn: number; uri: string; parts: string[] }[];
}

export async function mediaPlaylist(spate: Spate, base: string, query = ""): Promise<MediaPlaylist> {
  const r = await getText(spate, `${base}/stream.m3u8${query}`);
  if (r.status !== 200) throw new Error(`stream.m3u8${query}: ${r.status} ${r.text}`);
  const parsed = HLS.parse(r.text) as HLS.types.MediaPlaylist;
  const m = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.(\d+)\.m4s"/.exec(r.text);
  if (!m) throw new Error(`no preload hint in\n${r.text}`);
  const segments: MediaPlaylist["segments"] = [];
  parsed.segments.forEach((s, i) => {
    if (!s.uri) return;
    segments.push({ msn: parsed.mediaSequenceBase! + i, uri: s.uri, parts: s.parts.map((p) => p.uri) });
  });
  return { text: r.text, parsed, hint: { msn: Number(m[1]), part: Number(m[2]) }, segments };
}

/** Polls until the playlist lists at least `n` complete segments. */
export async function waitSegments(spate: Spate, base: string, n: number, timeoutMs = 15_000): Promise<MediaPlaylist> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pl = await mediaPlaylist(spate, base).catch(() => null);
    if (pl && pl.segments.length >= n) return pl;
    if (Date.now() > until) throw new Error(`fewer than ${n} segments in ${base}/stream.m3u8 after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** init.mp4 + every complete segment of the playlist, as one file; returns its path. */
export async function downloadSegments(spate: Spate, base: string, pl: MediaPlaylist, file: string): Promise<string> {
  const chunks = [await getBytes(spate, `${base}/init.mp4`)];
  for (const s of pl.segments) chunks.push(await getBytes(spate, `${base}/${s.uri}`));
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** init.mp4 + the parts of the newest complete segment that lists its parts, as one file. */
export async function downloadParts(spate: Spate, base: string, pl: MediaPlaylist, file: string): Promise<{ file: string; msn: number; parts: number }> {
  const seg = [...pl.segments].reverse().find((s) => s.parts.length > 0);
  if (!seg) throw new Error(`no complete segment with parts in\n${pl.text}`);
  const chunks = [await getBytes(spate, `${base}/init.mp4`)];
  for (const uri of seg.parts) chunks.push(await getBytes(spate, `${base}/${uri}`));
  writeFileSync(file, Buffer.concat(chunks));
  return { file, msn: seg.msn, parts: seg.parts.length };
}

/** Waits until the API shows the stream live with a sized video track. */
export async function waitLive(spate: Spate, path: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await spate.request(`/api/v1/streams/${path}`);
    if (r.ok) {
      const s = (await r.json()) as any;
      if (s.state === "live" && s.tracks.length >= 2) return;
    } else await r.arrayBuffer();
    await sleep(100);
  }
  throw new Error(`${path} not live within ${timeoutMs} ms`);
}
