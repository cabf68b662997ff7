import { describe, expect, test } from "bun:test";
import { attrs, escapeAttr, frameRateAttr, isoDateTime, isoDuration } from "./xml.ts";
import { parseXml } from "./xml-tree.ts";

describe("xml helpers", () => {
  test("escapeAttr escapes markup, both quotes and whitespace a parser would normalise", () => {
    expect(escapeAttr(`a&b<c>"d"'e'\tf\ng`)).toBe("a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;&#9;f&#10;g");
    const value = `x&y="1"<\n`;
    expect(parseXml(`<a${attrs({ v: value })}/>`).attrs.v).toBe(value);
  });

  test("attrs skips undefined and keeps order", () => {
    expect(attrs({ b: 1, a: undefined, c: "x", d: false })).toBe(' b="1" c="x" d="false"');
  });

  test("isoDuration", () => {
    expect([0, 0.2, 1.5, 2, 2.0053, 120, -1].map(isoDuration)).toEqual(["PT0S", "PT0.2S", "PT1.5S", "PT2S", "PT2.005S", "PT120S", "PT0S"]);
  });

  test("isoDateTime is UTC with milliseconds", () => {
    expect(isoDateTime(1_735_689_600_123)).toBe("2025-01-01T00:00:00.123Z");
  });

  test("frameRateAttr writes FrameRateType (no decimals)", () => {
    expect([30, 25, 29.97, 23.976, 59.94, 12.5, 7.3].map(frameRateAttr)).toEqual(["30", "25", "30000/1001", "24000/1001", "60000/1001", "25/2", "73/10"]);
  });
});

describe("parseXml rejects what is not well-formed", () => {
  const bad: [string, string][] = [
    ["<a><b></a></b>", "closes"],
    ["<a>", "never closed"],
    ["</a>", "closes <nothing>"],
    ['<a x="1" x="2"/>', "duplicate attribute"],
    ['<a x="1 & 2"/>', "bare '&'"],
    ['<a x="<"/>', "raw '<'"],
    ["<a>text</a>", "text content"],
    ["<a/><b/>", "second root"],
    ["<a x=1/>", "malformed tag"],
    ["", "no root"],
  ];
  for (const [doc, why] of bad) test(JSON.stringify(doc), () => expect(() => parseXml(doc)).toThrow(why));

  test("accepts a declaration, nesting, self-closing tags and references", () => {
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="&amp;&#65;&#x42;">\n  <b/>\n  <c><d y="2"/></c>\n</a>\n');
    expect(root.attrs.x).toBe("&AB");
    expect(root.children.map((c) => c.name)).toEqual(["b", "c"]);
    expect(root.children[1]!.children[0]!.attrs).toEqual({ y: "2" });
  });
});
