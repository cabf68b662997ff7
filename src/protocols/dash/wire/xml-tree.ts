/**
 * For tests: a strict reader of the XML subset our renderers write (a declaration, elements,
 * attributes with double-quoted values, whitespace between tags, the five predefined entities and
 * numeric references). It throws on anything not well-formed — unbalanced or misnested tags,
 * duplicate attributes, a raw `<` or a bare `&` in a value, text content — so a test can check an
 * MPD without xmllint or a DOMParser, then query the tree.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const NAME = "[A-Za-z_][A-Za-z0-9_.:-]*";
const TAG = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"]*")*)\\s*(/?)>`);
const ATTR = new RegExp(`(${NAME})\\s*=\\s*"([^"]*)"`, "g");
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
const DECODE: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (raw.includes("<")) throw new Error(`raw '<' in attribute ${where}`);
  if (raw.replace(ENTITY, "").includes("&")) throw new Error(`bare '&' in attribute ${where}`);
  return raw.replace(ENTITY, (e) => {
    const body = e.slice(1, -1);
    if (body[0] !== "#") return DECODE[body]!;
    return String.fromCodePoint(body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10));
  });
}

/** Parses `text` and returns its root element, or throws with what is wrong and where. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  const decl = /^<\?xml\s[^?]*\?>/.exec(text);
  if (decl) pos = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (pos < text.length) {
    const ws = /^\s*/.exec(text.slice(pos))![0].length;
    pos += ws;
    if (pos >= text.length) break;
    if (text[pos] !== "<") throw new Error(`text content at ${pos}: ${JSON.stringify(text.slice(pos, pos + 20))}`);
    const m = TAG.exec(text.slice(pos));
    if (!m) throw new Error(`malformed tag at ${pos}: ${JSON.stringify(text.slice(pos, pos + 40))}`);
    const [whole, close, name, rawAttrs, selfClose] = m as unknown as [string, string, string, string, string];
    pos += whole.length;
    if (close) {
      if (rawAttrs || selfClose) throw new Error(`end tag </${name}> with attributes at ${pos}`);
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? "nothing"}> at ${pos}`);
      continue;
    }
    if (root && stack.length === 0) throw new Error(`second root element <${name}> at ${pos}`);
    const el: XmlElement = { name, attrs: {}, children: [] };
    for (const a of rawAttrs.matchAll(ATTR)) {
      if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      el.attrs[a[1]!] = decode(a[2]!, `${name}@${a[1]}`);
    }
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    if (!selfClose) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> never closed`);
  if (!root) throw new Error("no root element");
  return root;
}

/** Every element named `name` below `el` (depth first, document order). */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}

export function findOne(el: XmlElement, name: string): XmlElement {
  const all = findAll(el, name);
  if (all.length !== 1) throw new Error(`expected one <${name}>, found ${all.length}`);
  return all[0]!;
}
