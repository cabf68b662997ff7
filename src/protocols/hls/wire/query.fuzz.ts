/**
 * Fuzz target: playlist request query strings through parseHlsQuery, and whatever parses through
 * the blocking and part decisions against a live timeline. Only HlsRequestError may escape.
 */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { blockingDecision, partRequestDecision } from "./blocking.ts";
import { HLS_QUERY_CASES, HLS_QUERY_ERROR_CASES } from "./query-cases.ts";
import { parseHlsQuery } from "./query.ts";
import { liveTimeline } from "./timeline.fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // not fatal: invalid UTF-8 becomes U+FFFD, as in a request URL
const timeline = liveTimeline({ firstMsn: 100, complete: 8, openParts: 3 });

export const target: FuzzTarget = {
  name: "hls/query",
  seeds: [...HLS_QUERY_CASES, ...HLS_QUERY_ERROR_CASES].map((c) => encoder.encode(c.search)),
  maxInputBytes: 1024,
  run(input: Uint8Array): unknown {
    const query = parseHlsQuery(decoder.decode(input));
    if (query.msn === undefined) return query;
    return [blockingDecision(timeline, query.msn, query.part), partRequestDecision(timeline, query.msn, query.part ?? 0)];
  },
};
