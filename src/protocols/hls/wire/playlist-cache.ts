/**
 * Renders each playlist at most once per timeline version and keeps its UTF-8 bytes, so every
 * viewer polling the same version gets the same bytes (STYLE.md hot path rule 3). One cache per
 * stream; a new version drops everything rendered for the old one.
 */
import type { CmafTimeline } from "../../cmaf/model.ts";
import { renderMediaPlaylist } from "./media-playlist.ts";
import { renderMultivariant, type MultivariantOptions } from "./multivariant.ts";

const encoder = new TextEncoder();

export class PlaylistCache {
  private version = -1;
  private full: Uint8Array | null = null;
  private delta: Uint8Array | null = null;
  private multivariantBytes: Uint8Array | null = null;
  /** How many playlists were rendered (for tests and metrics). */
  renders = 0;

  constructor(private readonly multivariantOpts: MultivariantOptions = {}) {}

  /** The media playlist (a Playlist Delta Update when `skip`) of the timeline's current version. */
  media(timeline: CmafTimeline, skip: boolean): Uint8Array {
    this.sync(timeline);
    if (skip) return (this.delta ??= this.render(renderMediaPlaylist(timeline, { skip: true })));
    return (this.full ??= this.render(renderMediaPlaylist(timeline)));
  }

  multivariant(timeline: CmafTimeline): Uint8Array {
    this.sync(timeline);
    return (this.multivariantBytes ??= this.render(renderMultivariant(timeline, this.multivariantOpts)));
  }

  private sync(timeline: CmafTimeline): void {
    if (timeline.version === this.version) return;
    this.version = timeline.version;
    this.full = null;
    this.delta = null;
    this.multivariantBytes = null;
  }

  private render(text: string): Uint8Array {
    this.renders++;
    return encoder.encode(text);
  }
}
