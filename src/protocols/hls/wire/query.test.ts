import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { fuzz } from "../../../core/fuzz.ts";
import { HLS_QUERY_CASES, HLS_QUERY_ERROR_CASES } from "./query-cases.ts";
import { target } from "./query.fuzz.ts";
import { HlsRequestError, parseHlsQuery } from "./query.ts";

function refusal(search: string | URLSearchParams): HlsRequestError {
  try {
    parseHlsQuery(search);
  } catch (e) {
    if (e instanceof HlsRequestError) return e;
    throw e;
  }
  throw new Error(`${String(search)} was accepted`);
}

describe("HLS delivery directives case table", () => {
  for (const c of HLS_QUERY_CASES) {
    test(`parses: ${c.name}`, () => {
      expect(parseHlsQuery(c.search)).toEqual(c.query);
      expect(parseHlsQuery(new URLSearchParams(c.search))).toEqual(c.query);
    });
  }
  for (const c of HLS_QUERY_ERROR_CASES) {
    test(`refuses with 400: ${c.name}`, () => {
      const e = refusal(c.search);
      expect(e.code).toBe(c.code);
      expect(e.status).toBe(400);
      expect(e).toBeInstanceOf(ProtocolError);
      expect(e.protocol).toBe("hls");
      expect(refusal(new URLSearchParams(c.search)).code).toBe(c.code);
    });
  }
});

test("the result always has the same shape", () => {
  for (const c of HLS_QUERY_CASES) expect(Object.keys(parseHlsQuery(c.search))).toEqual(["msn", "part", "skip"]);
});

test("error messages carry the numbers and quote at most a short prefix", () => {
  expect(refusal("_HLS_msn=9007199254740992").message).toBe("hls: _HLS_msn 9007199254740992 > max 9007199254740991");
  expect(refusal(`_HLS_msn=${"9".repeat(400)}`).message).toBe("hls: _HLS_msn has 400 characters > max 16");
  expect(refusal(`_HLS_part=x&_HLS_msn=1&_HLS_skip=${"n".repeat(100)}`).message.length).toBeLessThan(80);
});

test("fuzz hls/query: 3,000 mutated query strings, only HlsRequestError escapes", () => {
  const r = fuzz(target, { iterations: 3000, seed: 0x5eed });
  expect(r.crashes.map((c) => String(c.error))).toEqual([]);
  expect(r.hangs).toEqual([]);
  expect(r.iterations).toBe(3000);
});
