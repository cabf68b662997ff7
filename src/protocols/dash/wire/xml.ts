/**
 * The few XML and xs: datatype helpers the MPD needs, for plain string building (no XML library):
 * attribute escaping, xs:duration and xs:dateTime, and DASH's FrameRateType.
 */

const ATTR_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** XML 1.0 §2.4/§3.3.3: `&`, `<` and the quote must be escaped in an attribute value; tabs and newlines as references, or a parser normalises them to spaces. */
export function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ATTR_ESCAPES[c]!).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** ` name="value"` for each defined entry, in insertion order (the golden files depend on it). */
export function attrs(entries: Record<string, string | number | boolean | undefined>): string {
  let out = "";
  for (const name in entries) {
    const v = entries[name];
    if (v === undefined) continue;
    out += ` ${name}="${escapeAttr(String(v))}"`;
  }
  return out;
}

/** xs:duration in seconds with at most millisecond precision: `PT1.5S`, `PT0S`, `PT120S`. */
export function isoDuration(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  return `PT${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(3).replace(/0+$/, "")}S`;
}

/** xs:dateTime in UTC with milliseconds: `2025-01-01T00:00:00.000Z`. */
export function isoDateTime(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

/** DASH FrameRateType is `N` or `N/D` (no decimals): 30 → "30", 29.97 → "30000/1001", 12.5 → "25/2". */
export function frameRateAttr(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = Math.round(fps * 1001);
  if (ntsc % 1000 === 0 && Math.abs(ntsc / 1001 - fps) < 0.001) return `${ntsc}/1001`;
  for (const den of [2, 4, 5, 8, 10, 100, 1000]) {
    const num = Math.round(fps * den);
    if (Math.abs(num / den - fps) < 1e-6) return `${num}/${den}`;
  }
  return `${Math.round(fps * 1000)}/1000`;
}
