/**
 * What a caller asks for in its stream id (DESIGN.md "The surface"): `publish:live/cam1`,
 * `read:live/cam1`, or libsrt's access-control syntax `#!::r=live/cam1,m=publish` (docs/features/
 * access-control.md: `m` is request (read, the default), publish or bidirectional).
 */
import type { SrtMode } from "./session-state.ts";

export interface StreamIdRequest {
  mode: SrtMode;
  path: string;
  /** `u=` in the #! form. */
  user: string;
}

const ACCESS_CONTROL_PREFIX = "#!::";

export function parseStreamId(streamId: string): StreamIdRequest | null {
  if (streamId.startsWith(ACCESS_CONTROL_PREFIX)) {
    let path = "";
    let user = "";
    let mode: SrtMode = "read";
    for (const pair of streamId.slice(ACCESS_CONTROL_PREFIX.length).split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) return null;
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (key === "r") path = value;
      else if (key === "u") user = value;
      else if (key === "m") {
        if (value === "publish") mode = "publish";
        else if (value === "request") mode = "read";
        else return null;
      }
    }
    return path ? { mode, path, user } : null;
  }
  const colon = streamId.indexOf(":");
  if (colon < 0) return null;
  const verb = streamId.slice(0, colon);
  const path = streamId.slice(colon + 1);
  if (!path || (verb !== "publish" && verb !== "read")) return null;
  return { mode: verb, path, user: "" };
}
