/**
 * CRC-32 as in ISO-HDLC / zlib / Ethernet (reflected polynomial 0xEDB88320, initial and final XOR
 * 0xFFFFFFFF), which RFC 8489 §14.7 names for the STUN FINGERPRINT. Not the MPEG-2 CRC of
 * src/formats/mpegts/crc32.ts: that one is unreflected and has no final XOR.
 */
const TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[i] = c >>> 0;
}

export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
