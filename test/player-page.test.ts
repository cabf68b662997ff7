/**
 * The player page and its assets without a browser: routing, status codes, headers, escaping,
 * and that `bun build --compile` embeds hls.js and dash.js (served byte for byte from a binary run
 * far from node_modules).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { handlePlayer } from "../src/server/player.ts";
import { makeTempDir } from "./helpers/ffmpeg.ts";
import { describeExit, spawnBounded } from "./helpers/process.ts";
import { ROOT } from "./helpers/server.ts";

const HLS_JS = join(ROOT, "node_modules/hls.js/dist/hls.min.js");
const DASH_JS = join(ROOT, "node_modules/dashjs/dist/modern/umd/dash.all.min.js");

const live = new Set(["live/cam1", "a/b/c"]);
const exists = (p: string) => live.has(p);
const get = (path: string, init?: RequestInit) => handlePlayer(new Request(`http://spate.test${path}`, init), exists);

describe("player page", () => {
  test("GET /{path}/ tries WHEP first (hls.js only on a fallback); ?player=whep|hls|dash forces one", async () => {
    const res = get("/live/cam1/")!;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toContain("worker-src 'self' blob:");
    const html = await res.text();
    const config = (page: string) => JSON.parse(/<script type="application\/json" id="spate-config">(.*?)<\/script>/s.exec(page)![1]!);
    // No player library up front: a WHEP viewer never loads hls.js; the fallback loads it from here.
    expect(html).not.toMatch(/<script src="\/_spate\/(hls|dash)\.js/);
    expect(html).toMatch(/<script src="\/_spate\/player\.js\?v=\w+"><\/script>/);
    expect(config(html)).toMatchObject({
      player: "auto",
      whep: { url: "whep" },
      hls: { url: "index.m3u8" },
      api: "/api/v1/streams/live/cam1",
      assets: { hls: `/_spate/hls.js?v=${pkg.dependencies["hls.js"]}` },
    });
    expect(html).toContain('<a href="./" aria-current="page"');
    expect(html).toContain('<a href="./?player=whep">WebRTC (WHEP)</a>');
    expect(html).not.toContain("{{");

    const hls = await get("/live/cam1/?player=hls")!.text();
    expect(hls).toContain(`<script src="/_spate/hls.js?v=${pkg.dependencies["hls.js"]}"></script>`);
    expect(config(hls).player).toBe("hls");
    expect(hls).toContain('<a href="./?player=hls" aria-current="page">LL-HLS</a>');

    const whep = await get("/live/cam1/?player=whep")!.text();
    expect(whep).not.toMatch(/<script src="\/_spate\/(hls|dash)\.js/);
    expect(config(whep).player).toBe("whep");

    const dash = await get("/live/cam1/?player=dash")!.text();
    expect(dash).toContain(`<script src="/_spate/dash.js?v=${pkg.dependencies.dashjs}"></script>`);
    expect(dash).not.toContain('<script src="/_spate/hls.js');
    expect(config(dash)).toMatchObject({ player: "dash", dash: { url: "index.mpd" } });
    const abc = await get("/a/b/c/")!.text();
    expect(abc).toContain("<h1>a/b/c</h1>");
    expect(config(abc).api).toBe("/api/v1/streams/a/b/c");
  });

  test("a path with nothing live gets a 404 page that reloads itself", async () => {
    const res = get("/live/nothing/")!;
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('http-equiv="refresh"');
    expect(html).toContain("live/nothing");
  });

  test("HEAD has the headers and no body", async () => {
    const res = get("/live/cam1/", { method: "HEAD" })!;
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(1000);
    expect(await res.text()).toBe("");
  });

  test("an unknown ?player= is a 400", async () => {
    const res = get("/live/cam1/?player=flash")!;
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("?player=whep, ?player=hls, ?player=dash");
  });

  test("anything else is not the player's (null)", () => {
    for (const path of ["/", "/live/cam1", "/live/cam1/index.m3u8", "/live/cam1/whep", "/api/v1/streams", "/%E0%A4%A/", "//"]) {
      expect(get(path)).toBeNull();
    }
    expect(get("/live/cam1/", { method: "POST", body: "x" })).toBeNull();
  });
});

describe("player assets", () => {
  test("hls.js, dash.js and player.js: JavaScript, immutable, byte for byte", async () => {
    for (const [name, file] of [["hls.js", HLS_JS], ["dash.js", DASH_JS]] as const) {
      const res = get(`/_spate/${name}?v=1`)!;
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file))).toBe(true);
    }
    const player = await get("/_spate/player.js")!.text();
    expect(player).toContain("window.spate = state");
  });

  test("gzip when accepted; 304 on a matching ETag; 404 for unknown assets", async () => {
    const res = get("/_spate/hls.js", { headers: { "accept-encoding": "gzip, br" } })!;
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const gz = new Uint8Array(await res.arrayBuffer());
    expect(gz.byteLength).toBeLessThan(readFileSync(HLS_JS).byteLength / 2);
    expect(Buffer.from(Bun.gunzipSync(gz)).equals(readFileSync(HLS_JS))).toBe(true);

    const etag = res.headers.get("etag")!;
    expect(etag).toBe(`"${pkg.dependencies["hls.js"]}"`);
    expect(get("/_spate/hls.js", { headers: { "if-none-match": etag } })!.status).toBe(304);
    expect(get("/_spate/hls.min.js")!.status).toBe(404);
    // URL parsing resolves the dots before routing: no way out of the asset table.
    expect(get("/_spate/../package.json")).toBeNull();
  });
});

describe("compiled binary", () => {
  test("bun build --compile embeds the page and the player libraries", async () => {
    const dir = makeTempDir("spate-player-compile-");
    const entry = join(dir, "entry.ts");
    await Bun.write(
      entry,
      `import { handlePlayer } from ${JSON.stringify(join(ROOT, "src/server/player.ts"))};
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => handlePlayer(req, (p) => p === "live/cam1") ?? new Response("not found", { status: 404 }) });
console.log(JSON.stringify({ port: server.port }));
`,
    );
    const bin = join(dir, "player-bin");
    const build = await spawnBounded([process.execPath, "build", "--compile", entry, "--outfile", bin], { timeoutMs: 60_000, cwd: ROOT }).done;
    expect(build.code, describeExit("bun build", build)).toBe(0);

    // Run it from / so nothing can be read from the repository's node_modules.
    let onPort!: (port: number) => void;
    const portP = new Promise<number>((resolve) => (onPort = resolve));
    const child = spawnBounded([bin], { timeoutMs: 30_000, cwd: "/", onStdoutLine: (line) => line.startsWith("{") && onPort(JSON.parse(line).port) });
    try {
      const port = await Promise.race([portP, child.done.then((e) => Promise.reject(new Error(describeExit("player-bin", e))))]);
      const base = `http://127.0.0.1:${port}`;
      for (const [name, file] of [["hls.js", HLS_JS], ["dash.js", DASH_JS]] as const) {
        const res = await fetch(`${base}/_spate/${name}`, { headers: { "accept-encoding": "identity" } });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
        expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file))).toBe(true);
      }
      expect((await fetch(`${base}/_spate/player.js`)).status).toBe(200);
      const page = await fetch(`${base}/live/cam1/?player=dash`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("/_spate/dash.js");
    } finally {
      await child.stop(1000);
    }
  }, 90_000);
});
