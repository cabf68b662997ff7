import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { SdpError } from "./sdp-error.ts";
import { formatRestartFragment, MAX_SDPFRAG_BYTES, parseTrickleFragment } from "./trickle.ts";
import { TRICKLE_CASES } from "./trickle.cases.ts";

describe("parseTrickleFragment", () => {
  for (const c of TRICKLE_CASES) {
    test(c.name, () => {
      if (c.want) {
        const f = parseTrickleFragment(c.text);
        expect({
          ufrag: f.ufrag,
          pwd: f.pwd,
          mids: f.sections.map((s) => s.mid),
          candidates: f.candidates.length,
          badCandidates: f.badCandidates,
          endOfCandidates: f.endOfCandidates,
        }).toEqual(c.want);
      } else {
        let err: unknown;
        try {
          parseTrickleFragment(c.text);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SdpError);
        expect((err as SdpError).code).toBe(c.error!);
        expect((err as SdpError).status).toBe(c.error === "too-large" ? 413 : 400);
      }
    });
  }

  test("a body over MAX_SDPFRAG_BYTES is refused before it is split", () => {
    expect(() => parseTrickleFragment("a=x".padEnd(MAX_SDPFRAG_BYTES + 1, "y"))).toThrow(ProtocolError);
  });

  test("candidates keep their fields", () => {
    const f = parseTrickleFragment(TRICKLE_CASES[0]!.text);
    expect(f.candidates[1]).toMatchObject({ type: "srflx", address: "198.51.100.7", port: 61225, relatedAddress: "192.0.2.2", relatedPort: 53118 });
  });
});

describe("formatRestartFragment", () => {
  test("new credentials, the request's first section echoed with our candidates; parses back", () => {
    const req = parseTrickleFragment(TRICKLE_CASES[1]!.text);
    const text = formatRestartFragment("Abcd1234", "x".repeat(24), [{ address: "127.0.0.1", port: 8189 }], req.sections[0]);
    expect(text).toBe(
      ["a=ice-lite", "a=ice-ufrag:Abcd1234", `a=ice-pwd:${"x".repeat(24)}`, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 8189 typ host", "a=end-of-candidates", ""].join("\r\n"),
    );
    const back = parseTrickleFragment(text);
    expect(back.ufrag).toBe("Abcd1234");
    expect(back.candidates).toHaveLength(1);
    expect(back.endOfCandidates).toBe(true);
  });

  test("without a section in the request: credentials only", () => {
    expect(formatRestartFragment("Abcd1234", "y".repeat(24), [{ address: "127.0.0.1", port: 1 }], undefined)).toBe(`a=ice-lite\r\na=ice-ufrag:Abcd1234\r\na=ice-pwd:${"y".repeat(24)}\r\n`);
  });
});
