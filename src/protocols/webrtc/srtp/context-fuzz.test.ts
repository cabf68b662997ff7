/**
 * Mutated and random packets into unprotect: a length or a negative SrtpStatus, never a throw
 * (the libcrypto backend asserts on a bad range before a pointer reaches C, so a wrong bound in
 * context.ts would show here as a throw).
 */
import { expect, test } from "bun:test";
import { SrtpContext } from "./context.ts";
import { nodeCrypto, type SrtpCrypto } from "./crypto.ts";
import { openLibcrypto } from "./libcrypto.ts";
import { AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80 } from "./profile.ts";

const backends: SrtpCrypto[] = [nodeCrypto, ...(openLibcrypto() ? [openLibcrypto()!] : [])];
const ITERATIONS = 20_000;

for (const c of backends) {
  for (const profile of [AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80]) {
    test(`${profile.name} on ${c.name}: ${ITERATIONS} mutated SRTP/SRTCP packets, statuses only`, () => {
      const key = new Uint8Array(profile.keyBytes).fill(3);
      const salt = new Uint8Array(profile.saltBytes).fill(5);
      const tx = SrtpContext.fromMasterKey(profile, key, salt, c);
      const rx = SrtpContext.fromMasterKey(profile, key, salt, c);
      let seed = 12345;
      const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
      const seeds: Uint8Array[] = [];
      const out = new Uint8Array(1600);
      for (let i = 0; i < 16; i++) {
        const pkt = new Uint8Array(12 + rnd(300)).map(() => rnd(256));
        pkt[0] = 0x80 | (i & 0x1f);
        if (pkt[0] & 0x10 && pkt.length > 16 + 4 * (pkt[0] & 15)) pkt[12 + 4 * (pkt[0] & 15) + 2] = 0;
        const n = tx.protect(pkt, pkt.length, out, 0);
        if (n > 0) seeds.push(out.slice(0, n));
        const r = new Uint8Array(8 + 4 * rnd(20)).map(() => rnd(256));
        r[0] = 0x80;
        seeds.push(out.slice(0, tx.protectRtcp(r, r.length, out, 0)));
      }
      const back = new Uint8Array(1600);
      let ok = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const base = seeds[rnd(seeds.length)]!;
        const p = rnd(8) === 0 ? new Uint8Array(rnd(64)).map(() => rnd(256)) : base.slice(0, Math.max(0, base.length - (rnd(4) === 0 ? rnd(base.length + 1) : 0)));
        for (let k = rnd(4); k > 0 && p.length; k--) p[rnd(p.length)] = rnd(256);
        const len = rnd(16) === 0 ? p.length + rnd(8) : p.length; // a caller's wrong length too
        const inPlace = rnd(2) === 0;
        // a copy each: a failed in-place open may leave the payload garbled (context.ts)
        const q = p.slice();
        const a = rx.unprotect(p, len, inPlace ? p : back, 0);
        const b = rx.unprotectRtcp(q, len, inPlace ? q : back, 0);
        expect(Number.isInteger(a) && Number.isInteger(b)).toBe(true);
        if (a > 0 || b > 0) ok++;
      }
      expect(ok).toBeGreaterThan(0);
    });
  }
}
