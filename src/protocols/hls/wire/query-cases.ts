/**
 * Case table for the Delivery Directives (RFC 8216bis §6.2.5): query strings written by hand and
 * what they parse to, or the error code they are refused with. Feeds query.test.ts and the seeds
 * of query.fuzz.ts.
 */
import type { HlsQuery, HlsRequestErrorCode } from "./query.ts";

export interface HlsQueryCase {
  name: string;
  search: string;
  query: HlsQuery;
}

export interface HlsQueryErrorCase {
  name: string;
  search: string;
  code: HlsRequestErrorCode;
}

const q = (msn: number | undefined, part: number | undefined, skip = false): HlsQuery => ({ msn, part, skip });

export const HLS_QUERY_CASES: HlsQueryCase[] = [
  { name: "no query", search: "", query: q(undefined, undefined) },
  { name: "a lone question mark", search: "?", query: q(undefined, undefined) },
  { name: "msn", search: "?_HLS_msn=273", query: q(273, undefined) },
  { name: "msn without the question mark", search: "_HLS_msn=273", query: q(273, undefined) },
  { name: "msn and part (hls.js order)", search: "?_HLS_msn=273&_HLS_part=2", query: q(273, 2) },
  { name: "part before msn", search: "?_HLS_part=0&_HLS_msn=5", query: q(5, 0) },
  { name: "msn, part and skip", search: "?_HLS_msn=273&_HLS_part=2&_HLS_skip=YES", query: q(273, 2, true) },
  { name: "skip alone", search: "?_HLS_skip=YES", query: q(undefined, undefined, true) },
  { name: "skip v2 is a segment skip (no date ranges here)", search: "?_HLS_skip=v2&_HLS_msn=9", query: q(9, undefined, true) },
  { name: "zero", search: "?_HLS_msn=0&_HLS_part=0", query: q(0, 0) },
  { name: "leading zeros", search: "?_HLS_msn=007&_HLS_part=01", query: q(7, 1) },
  { name: "2^53 - 1", search: "?_HLS_msn=9007199254740991", query: q(9007199254740991, undefined) },
  { name: "percent-encoded digits", search: "?_HLS_msn=%31%32", query: q(12, undefined) },
  { name: "other parameters ignored", search: "?token=abc&_HLS_msn=3&x=&y", query: q(3, undefined) },
  { name: "unknown _HLS_ directives ignored", search: "?_HLS_future=1&_HLS_msn=3", query: q(3, undefined) },
  { name: "names are case-sensitive: _hls_msn is not a directive", search: "?_hls_msn=abc", query: q(undefined, undefined) },
];

export const HLS_QUERY_ERROR_CASES: HlsQueryErrorCase[] = [
  { name: "part without msn (§6.2.5.2 MUST 400)", search: "?_HLS_part=1", code: "part-without-msn" },
  { name: "empty msn", search: "?_HLS_msn=", code: "bad-msn" },
  { name: "msn with no value", search: "?_HLS_msn", code: "bad-msn" },
  { name: "negative msn", search: "?_HLS_msn=-1", code: "bad-msn" },
  { name: "signed msn", search: "?_HLS_msn=%2B1", code: "bad-msn" },
  { name: "plus decodes to a space", search: "?_HLS_msn=+1", code: "bad-msn" },
  { name: "fractional msn", search: "?_HLS_msn=1.5", code: "bad-msn" },
  { name: "exponent", search: "?_HLS_msn=1e3", code: "bad-msn" },
  { name: "hex", search: "?_HLS_msn=0x10", code: "bad-msn" },
  { name: "trailing garbage", search: "?_HLS_msn=12abc", code: "bad-msn" },
  { name: "trailing space", search: "?_HLS_msn=12%20", code: "bad-msn" },
  { name: "Infinity", search: "?_HLS_msn=Infinity", code: "bad-msn" },
  { name: "2^53", search: "?_HLS_msn=9007199254740992", code: "bad-msn" },
  { name: "2^64", search: "?_HLS_msn=18446744073709551616", code: "bad-msn" },
  { name: "very long number", search: `?_HLS_msn=${"9".repeat(400)}`, code: "bad-msn" },
  { name: "non-ASCII digits", search: "?_HLS_msn=%D9%A3", code: "bad-msn" },
  { name: "bad part", search: "?_HLS_msn=1&_HLS_part=x", code: "bad-part" },
  { name: "negative part", search: "?_HLS_msn=1&_HLS_part=-2", code: "bad-part" },
  { name: "empty part", search: "?_HLS_msn=1&_HLS_part=", code: "bad-part" },
  { name: "skip NO", search: "?_HLS_skip=NO", code: "bad-skip" },
  { name: "skip lower-case yes", search: "?_HLS_skip=yes", code: "bad-skip" },
  { name: "skip V2", search: "?_HLS_skip=V2", code: "bad-skip" },
  { name: "skip empty", search: "?_HLS_skip=", code: "bad-skip" },
  { name: "msn twice", search: "?_HLS_msn=1&_HLS_msn=2", code: "repeated-directive" },
  { name: "msn twice, same value", search: "?_HLS_msn=1&_HLS_msn=1", code: "repeated-directive" },
  { name: "part twice", search: "?_HLS_msn=1&_HLS_part=1&_HLS_part=2", code: "repeated-directive" },
  { name: "skip twice", search: "?_HLS_skip=YES&_HLS_skip=YES", code: "repeated-directive" },
];
