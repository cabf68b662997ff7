/**
 * Test helper: a tiny ISO BMFF reader to check what the muxer wrote. Boxes are parsed into a tree
 * (containers known by type); fields are read with the `Fields` cursor. Not for untrusted input.
 */
export interface Box {
  type: string;
  /** Offset of the box header in the walked buffer, its total size, and a view of its body. */
  start: number;
  size: number;
  body: Uint8Array;
  children: Box[];
}

/** Containers whose body is only boxes (plus the fixed prefix of sample entries and stsd/dref). */
const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf"]);
/** Boxes with a fixed-size prefix before their child boxes. */
const PREFIXED: Record<string, number> = {
  stsd: 8, dref: 8, avc1: 78, hvc1: 78, av01: 78, vp09: 78, vp08: 78, mp4a: 28, Opus: 28,
};

export function walk(buf: Uint8Array, start = 0, end = buf.length): Box[] {
  const boxes: Box[] = [];
  let o = start;
  while (o < end) {
    if (end - o < 8) throw new Error(`${end - o} trailing bytes at ${o}`);
    const size = u32(buf, o);
    const type = String.fromCharCode(...buf.subarray(o + 4, o + 8));
    if (size < 8 || o + size > end) throw new Error(`box '${type}' at ${o} of size ${size} overruns ${end}`);
    const body = buf.subarray(o + 8, o + size);
    const box: Box = { type, start: o, size, body, children: [] };
    const prefix = CONTAINERS.has(type) ? 0 : PREFIXED[type];
    if (prefix !== undefined) box.children = walk(buf, o + 8 + prefix, o + size);
    boxes.push(box);
    o += size;
  }
  return boxes;
}

/** The first box at a path of types ("moov/trak/mdia/mdhd"), searching from `boxes`. */
export function find(boxes: Box[], path: string): Box {
  let list = boxes;
  let found: Box | undefined;
  for (const type of path.split("/")) {
    found = list.find((b) => b.type === type);
    if (!found) throw new Error(`no '${type}' in ${path} (have ${list.map((b) => b.type).join(",")})`);
    list = found.children;
  }
  return found!;
}

export function findAll(boxes: Box[], type: string): Box[] {
  return boxes.filter((b) => b.type === type);
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** A read cursor over a box body. */
export class Fields {
  o = 0;
  constructor(readonly b: Uint8Array) {}
  u8(): number {
    return this.b[this.o++]!;
  }
  u16(): number {
    const v = (this.b[this.o]! << 8) | this.b[this.o + 1]!;
    this.o += 2;
    return v;
  }
  u24(): number {
    const v = (this.b[this.o]! << 16) | (this.b[this.o + 1]! << 8) | this.b[this.o + 2]!;
    this.o += 3;
    return v;
  }
  u32(): number {
    const v = u32(this.b, this.o);
    this.o += 4;
    return v;
  }
  i32(): number {
    return this.u32() | 0;
  }
  u64(): number {
    return this.u32() * 2 ** 32 + this.u32();
  }
  fourcc(): string {
    const s = String.fromCharCode(...this.b.subarray(this.o, this.o + 4));
    this.o += 4;
    return s;
  }
  skip(n: number): this {
    this.o += n;
    return this;
  }
  rest(): Uint8Array {
    return this.b.subarray(this.o);
  }
}

export interface TrunSample {
  duration: number;
  size: number;
  flags: number | undefined;
  cto: number | undefined;
}

/** Parses a trun body: version, flags, data_offset and the samples. */
export function parseTrun(body: Uint8Array): { version: number; flags: number; dataOffset: number | undefined; samples: TrunSample[] } {
  const f = new Fields(body);
  const version = f.u8();
  const flags = f.u24();
  const count = f.u32();
  const dataOffset = flags & 1 ? f.i32() : undefined;
  if (flags & 4) f.u32(); // first_sample_flags
  const samples: TrunSample[] = [];
  for (let i = 0; i < count; i++) {
    samples.push({
      duration: flags & 0x100 ? f.u32() : 0,
      size: flags & 0x200 ? f.u32() : 0,
      flags: flags & 0x400 ? f.u32() : undefined,
      cto: flags & 0x800 ? (version === 0 ? f.u32() : f.i32()) : undefined,
    });
  }
  return { version, flags, dataOffset, samples };
}
