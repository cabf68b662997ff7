/**
 * Headless Chromium as a real peer, driven by playwright-core. Never downloads a browser: it runs
 * the system one (/usr/bin/chromium, Debian package `chromium`, installed by scripts/ensure-peers.sh;
 * SPATE_CHROMIUM names another). Each launch gets a fresh profile in a temp dir, every step has a
 * bounded timeout, and close() always ends the browser and removes the profile.
 *
 *   const browser = await launchChromium();
 *   try { const page = await browser.open(url); ... } finally { await browser.close(); }
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.SPATE_CHROMIUM ?? "/usr/bin/chromium";

/** The flags every test browser runs with (playwright adds --user-data-dir and its pipe). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
];

export interface LaunchOptions {
  /** For the launch itself (default 30 s). */
  launchTimeoutMs?: number;
  /** Default for every page action and wait (default 15 s). */
  actionTimeoutMs?: number;
  /** For close(); the browser process is killed after it (default 10 s). */
  closeTimeoutMs?: number;
}

export interface Browser {
  context: BrowserContext;
  /** A new tab at `url` (waits for the load event). */
  open(url: string): Promise<Page>;
  /** Console messages and uncaught page errors of every tab, for failure messages. */
  log: string[];
  /** The last `n` lines of `log`, one string. */
  logTail(n?: number): string;
  /** Closes the browser and removes its profile. Safe to call twice. */
  close(): Promise<void>;
}

export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "spate-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: opts.launchTimeoutMs ?? 30_000,
      // Let the test's own handlers and close() end the browser; playwright still kills it on exit.
      handleSIGINT: false,
      handleSIGTERM: false,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not launch ${CHROMIUM_PATH} (install the Debian package chromium): ${(e as Error).message}`);
  }
  context.setDefaultTimeout(opts.actionTimeoutMs ?? 15_000);
  context.setDefaultNavigationTimeout(opts.actionTimeoutMs ?? 15_000);

  const log: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => log.push(`[pageerror] ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) log.push(`[http ${r.status()}] ${r.url()}`);
    });
    page.on("requestfailed", (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ""}`));
  };
  context.on("page", watch);
  // A persistent context opens with one blank tab.
  for (const page of context.pages()) watch(page);

  let closed: Promise<void> | undefined;
  return {
    context,
    log,
    logTail: (n = 40) => log.slice(-n).join("\n"),
    async open(url) {
      const blank = context.pages().find((p) => p.url() === "about:blank");
      const page = blank ?? (await context.newPage());
      await page.goto(url, { waitUntil: "load" });
      return page;
    },
    close() {
      closed ??= (async () => {
        let timer: Timer | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), opts.closeTimeoutMs ?? 10_000)));
        const hung = await Promise.race([context.close().then(() => false, () => false), timedOut]);
        clearTimeout(timer);
        // A browser that does not close in time is left to playwright, which kills it when this process exits.
        if (hung) log.push(`[helper] browser did not close within ${opts.closeTimeoutMs ?? 10_000} ms`);
        rmSync(profile, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
