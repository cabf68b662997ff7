/**
 * CRC_32 of PSI sections (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, MSB first, initial
 * 0xFFFFFFFF, no final XOR ("CRC-32/MPEG-2"). A section whose CRC_32 field is included checks to 0.
 */
const TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  TABLE[i] = c >>> 0;
}

export function crc32Mpeg(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ buf[i]!) & 0xff]!;
  return crc >>> 0;
}
