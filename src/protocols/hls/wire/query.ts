/**
 * The Delivery Directives of a playlist request (RFC 8216bis §6.2.5): `_HLS_msn`, `_HLS_part`,
 * `_HLS_skip`. Anything malformed is an HlsRequestError, answered with 400 Bad Request; other
 * parameters (and `_HLS_` names this spec does not define yet) are ignored.
 */
import { ProtocolError } from "../../../core/errors.ts";

/** 2^53 - 1 has 16 digits: longer values are refused before any arithmetic. */
export const MAX_DECIMAL_DIGITS = 16;
/** How much of a bad value an error message quotes. */
const MAX_QUOTED_CHARS = 24;

export type HlsRequestErrorCode = "bad-msn" | "bad-part" | "part-without-msn" | "bad-skip" | "repeated-directive";

/** A request the server refuses with `status` (400 Bad Request). */
export class HlsRequestError extends ProtocolError {
  readonly status = 400;
  constructor(code: HlsRequestErrorCode, message: string) {
    super("hls", code, message);
    this.name = "HlsRequestError";
  }
}

export interface HlsQuery {
  /** `_HLS_msn`: block until this Media Sequence Number exists. */
  msn: number | undefined;
  /** `_HLS_part`: with `msn`, block until this part of it exists. */
  part: number | undefined;
  /** `_HLS_skip=YES` or `v2`: answer with a Playlist Delta Update. */
  skip: boolean;
}

const quote = (value: string) => JSON.stringify(value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}...` : value);

/** §4.2 decimal-integer: digits only, no sign, no fraction, no spaces; capped at 2^53 - 1. */
function decimalInteger(name: string, value: string, code: HlsRequestErrorCode): number {
  if (value.length === 0) throw new HlsRequestError(code, `${name} is empty`);
  if (value.length > MAX_DECIMAL_DIGITS) throw new HlsRequestError(code, `${name} has ${value.length} characters > max ${MAX_DECIMAL_DIGITS}`);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw new HlsRequestError(code, `${name} ${quote(value)} is not a decimal-integer`);
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) throw new HlsRequestError(code, `${name} ${value} > max ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

export function parseHlsQuery(search: string | URLSearchParams): HlsQuery {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  let msn: number | undefined;
  let part: number | undefined;
  let skip: boolean | undefined;
  for (const [name, value] of params) {
    if (name === "_HLS_msn") {
      if (msn !== undefined) throw new HlsRequestError("repeated-directive", "_HLS_msn given twice");
      msn = decimalInteger(name, value, "bad-msn");
    } else if (name === "_HLS_part") {
      if (part !== undefined) throw new HlsRequestError("repeated-directive", "_HLS_part given twice");
      part = decimalInteger(name, value, "bad-part");
    } else if (name === "_HLS_skip") {
      if (skip !== undefined) throw new HlsRequestError("repeated-directive", "_HLS_skip given twice");
      // §6.2.5.1: YES skips segments, v2 also skips old date ranges. There are no date ranges
      // here, so a v2 delta update is the YES one. Values are enumerated-strings: case matters.
      if (value !== "YES" && value !== "v2") throw new HlsRequestError("bad-skip", `_HLS_skip ${quote(value)} is neither YES nor v2`);
      skip = true;
    }
  }
  // §6.2.5.2: _HLS_part without _HLS_msn MUST be answered with Bad Request.
  if (part !== undefined && msn === undefined) throw new HlsRequestError("part-without-msn", "_HLS_part without _HLS_msn");
  return { msn, part, skip: skip ?? false };
}
