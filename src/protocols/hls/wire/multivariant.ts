/**
 * The Multivariant Playlist (RFC 8216bis §4.4.6): one Variant Stream, the muxed media playlist.
 * Pure: a timeline in, text out.
 */
import { CMAF_URLS, type CmafTimeline } from "../../cmaf/model.ts";
import { HLS_VERSION } from "./media-playlist.ts";

export interface MultivariantOptions {
  /** AVERAGE-BANDWIDTH (bits/s), when the caller has measured it over whole segments. */
  averageBandwidth?: number;
}

export function renderMultivariant(timeline: CmafTimeline, opts: MultivariantOptions = {}): string {
  let bandwidth = 0;
  let codecs = "";
  for (const t of timeline.tracks) {
    bandwidth += t.bandwidth;
    // §6.2.4: CODECS lists every format present in the variant's segments.
    codecs += codecs ? `,${t.codecString}` : t.codecString;
  }
  // §4.4.6.2: BANDWIDTH is a decimal-integer; never round a peak down.
  let inf = `#EXT-X-STREAM-INF:BANDWIDTH=${Math.ceil(bandwidth)}`;
  if (opts.averageBandwidth !== undefined) inf += `,AVERAGE-BANDWIDTH=${Math.ceil(opts.averageBandwidth)}`;
  inf += `,CODECS="${codecs}"`;
  const video = timeline.tracks.find((t) => t.kind === "video");
  if (video?.width && video.height) inf += `,RESOLUTION=${video.width}x${video.height}`;
  if (video?.frameRate) inf += `,FRAME-RATE=${video.frameRate.toFixed(3)}`;
  // The same version as the media playlist's baseline, so a client that checks it here is not
  // surprised by the playlist it loads next.
  return `#EXTM3U\n#EXT-X-VERSION:${HLS_VERSION}\n#EXT-X-INDEPENDENT-SEGMENTS\n${inf}\n${CMAF_URLS.mediaPlaylist}\n`;
}
