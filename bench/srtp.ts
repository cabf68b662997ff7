/**
 * SRTP protect of a 1,200-byte RTP packet into a viewer's preallocated buffer: AEAD_AES_128_GCM
 * and AES_CM_128_HMAC_SHA1_80 on the libcrypto backend (bun:ffi, what spate uses), and on the
 * node:crypto fallback (a cipher object per packet) for comparison. Reports ns per packet and heap
 * objects per packet (JSC heap census over a window too short for a GC). `bun bench/srtp.ts --json`
 * prints the figures for bench/run.ts.
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { objectsPerCall } from "./alloc.ts";
import { SrtpContext } from "../src/protocols/webrtc/srtp/context.ts";
import { nodeCrypto, type SrtpCrypto } from "../src/protocols/webrtc/srtp/crypto.ts";
import { openLibcrypto } from "../src/protocols/webrtc/srtp/libcrypto.ts";
import { AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, type SrtpProfile } from "../src/protocols/webrtc/srtp/profile.ts";

const PACKET_BYTES = 1200;

function fixture(profile: SrtpProfile, crypto: SrtpCrypto) {
  const ctx = SrtpContext.fromMasterKey(profile, new Uint8Array(profile.keyBytes).fill(7), new Uint8Array(profile.saltBytes).fill(9), crypto);
  const pkt = new Uint8Array(PACKET_BYTES).map((_, i) => i & 0xff);
  pkt[0] = 0x80;
  pkt[1] = 96;
  const out = new Uint8Array(1500);
  let seq = 0;
  return () => {
    seq = (seq + 1) & 0xffff;
    pkt[2] = seq >> 8;
    pkt[3] = seq & 0xff;
    return ctx.protect(pkt, PACKET_BYTES, out, 0);
  };
}

/** Objects per call, less what the census itself allocates. */
function objectsPerPacket(protect: () => number, packets = 1000): number {
  return objectsPerCall(protect, packets, 2000);
}

const lib = openLibcrypto();
const cases: { key: string; name: string; protect: () => number }[] = [];
if (lib) {
  cases.push({ key: "gcm", name: "protect 1200 B, GCM, libcrypto", protect: fixture(AEAD_AES_128_GCM, lib) });
  cases.push({ key: "cm", name: "protect 1200 B, AES-CM+HMAC, libcrypto", protect: fixture(AES_CM_128_HMAC_SHA1_80, lib) });
}
cases.push({ key: "gcmNode", name: "protect 1200 B, GCM, node:crypto", protect: fixture(AEAD_AES_128_GCM, nodeCrypto) });
cases.push({ key: "cmNode", name: "protect 1200 B, AES-CM+HMAC, node:crypto", protect: fixture(AES_CM_128_HMAC_SHA1_80, nodeCrypto) });

summary(() => {
  for (const c of cases) bench(c.name, () => do_not_optimize(c.protect()));
});

const json = process.argv.includes("--json");
const result = await run({ format: json ? "quiet" : "mitata", colors: !json });
const figures = cases.map((c, i) => ({
  key: c.key,
  name: c.name,
  nsPerPacket: Math.round(result.benchmarks[i]!.runs[0]!.stats!.avg),
  objectsPerPacket: objectsPerPacket(c.protect),
}));
if (json) console.log(JSON.stringify({ srtp: figures }));
else for (const f of figures) console.log(`${f.name}: ${(f.nsPerPacket / 1000).toFixed(2)} µs/packet, ${f.objectsPerPacket} heap objects/packet`);
