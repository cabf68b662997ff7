/**
 * Interop with ffmpeg 5.1 (libsrt): it publishes MPEG-TS to our listener (plain, AES-128, refused)
 * and reads MPEG-TS from it; we check TS packet integrity and, with ffprobe, every frame.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanups, closeAndDrain, listener, PASS, requirePeer, spawnPeer, until } from "./interop-helpers.ts";
import type { SrtSession } from "./session.ts";
import { UdpSrtEndpoint } from "./udp-harness.ts";
import { REJ_BADSECRET, REJX_FORBIDDEN } from "./wire/constants.ts";

const FFMPEG = requirePeer("ffmpeg");
const FFPROBE = requirePeer("ffprobe");

describe("ffmpeg (libsrt) publishes MPEG-TS to our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-128", `&passphrase=${PASS}&pbkeylen=16`, PASS],
  ] as const) {
    test(`${label}: TS packets arrive whole, continuity counters intact`, async () => {
      const payloads: Uint8Array[] = [];
      const connected: SrtSession[] = [];
      const ep = await UdpSrtEndpoint.listen({ latencyMs: 120, passphrase: pass, onConnected: (s) => connected.push(s), onPayload: (p) => payloads.push(p.slice()) });
      cleanups.push(() => ep.close());
      const peer = spawnPeer([
        FFMPEG, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts",
        `srt://127.0.0.1:${ep.port}?streamid=publish:live/x&pkt_size=1316${query}`,
      ]);
      expect(await peer.proc.exited).toBe(0);
      await Bun.sleep(500);
      expect(connected.length).toBe(1);
      expect([connected[0]!.state.mode, connected[0]!.state.path]).toEqual(["publish", "live/x"]);
      expect(payloads.length).toBeGreaterThan(20);
      const cc = new Map<number, number>();
      let discontinuities = 0;
      for (const p of payloads) {
        expect(p.length % 188).toBe(0);
        for (let at = 0; at < p.length; at += 188) {
          expect(p[at]).toBe(0x47);
          const pid = ((p[at + 1]! & 0x1f) << 8) | p[at + 2]!;
          const hasPayload = (p[at + 3]! & 0x10) !== 0;
          const counter = p[at + 3]! & 0x0f;
          const prev = cc.get(pid);
          if (hasPayload && prev !== undefined && counter !== ((prev + 1) & 15)) discontinuities++;
          if (hasPayload) cc.set(pid, counter);
        }
      }
      expect(discontinuities).toBe(0);
      expect(cc.has(0)).toBe(true); // the PAT came through
    }, 30_000);
  }

  for (const [label, query, opts, code] of [
    ["a wrong passphrase (SRT_REJ_BADSECRET)", "&passphrase=not-the-secret&pbkeylen=16", { passphrase: PASS }, REJ_BADSECRET],
    ["a stream id the accept callback refuses (REJX_FORBIDDEN)", "", { accept: () => ({ reject: REJX_FORBIDDEN }) }, REJX_FORBIDDEN],
  ] as const) {
    test(`${label}: ffmpeg fails to connect`, async () => {
      const l = await listener(opts);
      const peer = spawnPeer([
        FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1",
        "-c:v", "libx264", "-f", "mpegts", `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&pkt_size=1316${query}`,
      ]);
      expect(await peer.proc.exited).not.toBe(0);
      expect(l.connected).toEqual([]);
      expect(l.closes).toMatchObject([{ reason: "rejected", code }]);
    }, 20_000);
  }
});

describe("ffmpeg (libsrt) reads MPEG-TS from our listener", () => {
  test("streamid=read: every video frame of a 2 s clip decodes on the other side (AES-128)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spate-srt-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const source = join(dir, "source.ts");
    const made = Bun.spawnSync([
      FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts", source,
    ]);
    expect(made.exitCode).toBe(0);
    const ts = new Uint8Array(readFileSync(source));
    const l = await listener({ passphrase: PASS });
    const out = join(dir, "received.ts");
    const peer = spawnPeer([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", `srt://127.0.0.1:${l.ep.port}?streamid=read:live/x&passphrase=${PASS}&pbkeylen=16`, "-c", "copy", "-f", "mpegts", out]);
    await until(() => l.connected.length === 1, 5000, `connection (${peer.stderr()})`);
    const s = l.connected[0]!;
    for (let at = 0; at < ts.length; at += 1316) {
      s.send(ts.subarray(at, Math.min(at + 1316, ts.length)), performance.now() * 1000);
      await Bun.sleep(1);
    }
    await closeAndDrain(s, peer);
    const probe = Bun.spawnSync([FFPROBE, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]);
    // One line for the program, one for the stream: the same count.
    expect(probe.stdout.toString().trim().split(/\s+/).map(Number)).toContain(50);
  }, 30_000);
});
