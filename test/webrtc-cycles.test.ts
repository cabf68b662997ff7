/**
 * WHEP and WHIP sessions that come and go leave nothing behind: 200 WHEP POST/DELETE cycles on a
 * live RTMP stream (recorded Chromium offer) end with no session, no reader and no RTP writer; a
 * refused offer leaves none either; WHIP POST/DELETE cycles with a recorded OBS offer free the path
 * for the next publisher each time.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { waitFor } from "./helpers/webrtc.ts";

const offer = (name: string) => readFileSync(join(import.meta.dir, "../src/protocols/webrtc/sdp/testdata", name), "utf8");
const PATH = "live/cycles";

let spate: Spate;
let ff: Publisher;

beforeAll(async () => {
  spate = await startSpate();
  ff = publishLavfi(spate.rtmpUrl(PATH), { gop: 30, tone: false });
  await waitFor("RTMP stream live", async () => {
    const r = await spate.request(`/api/v1/streams/${PATH}`);
    return r.ok && ((await r.json()) as { tracks: unknown[] }).tracks.length > 0;
  }, 15_000);
});

afterAll(async () => {
  await ff?.stop(1000);
  await spate?.stop();
});

const post = (path: string, kind: string, body: string) => spate.request(`/${path}/${kind}`, { method: "POST", headers: { "content-type": "application/sdp" }, body });

test("200 WHEP join/leave cycles leave no session, reader or RTP writer behind", async () => {
  const whep = offer("chromium-whep.sdp");
  for (let i = 0; i < 200; i++) {
    const r = await post(PATH, "whep", whep);
    expect(r.status).toBe(201);
    await r.text();
    const location = r.headers.get("location")!;
    if (i === 0) {
      const s = await spate.api(`/api/v1/streams/${PATH}`);
      expect(s.readers).toEqual({ webrtc: 1 });
      expect(s.writers).toContain("rtp");
    }
    const d = await spate.request(location, { method: "DELETE" });
    expect(d.status).toBe(200);
  }
  const server = await spate.api("/api/v1/server");
  expect(server.webrtc.sessions).toEqual({ whip: 0, whep: 0 });
  const s = await spate.api(`/api/v1/streams/${PATH}`);
  expect(s.readerCount).toBe(0);
  expect(s.writers).not.toContain("rtp");
  // A second DELETE of the same session: gone.
  const again = await post(PATH, "whep", whep);
  const loc = again.headers.get("location")!;
  await spate.request(loc, { method: "DELETE" });
  expect((await spate.request(loc, { method: "DELETE" })).status).toBe(404);
}, 20_000);

test("a refused WHEP offer (audio only, the stream has no audio) leaves nothing behind", async () => {
  const audioOnly = offer("chromium-whep.sdp").replace(/m=video[\s\S]*$/, "");
  const r = await post(PATH, "whep", audioOnly);
  expect(r.status).toBe(400);
  expect(await r.text()).toContain("audio");
  const s = await spate.api(`/api/v1/streams/${PATH}`);
  expect(s.readerCount).toBe(0);
  expect(s.writers).not.toContain("rtp");
});

test("WHIP POST/DELETE cycles: each DELETE frees the path for the next publisher", async () => {
  const whip = offer("obs-whip-h264.sdp");
  for (let i = 0; i < 20; i++) {
    const r = await post("live/whip-cycles", "whip", whip);
    expect(r.status).toBe(201);
    expect(await r.text()).toContain("a=ice-lite");
    expect((await spate.request(r.headers.get("location")!, { method: "DELETE" })).status).toBe(200);
  }
  expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 0, whep: 0 });
});
