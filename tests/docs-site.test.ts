// The docs site as a reader meets it: built by the same task CI runs (`turbo run //#docs`,
// cached when the site is up to date), then the index, a guide and an API page opened in
// headless Chromium (served over http, as a reader gets them), each rendering its content with no console error or failed request.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, findChromium } from "./helpers/chromium.ts";
import { REPO } from "./helpers/repo.ts";
import { serveDirectory } from "./helpers/static-server.ts";

const SITE = join(REPO, "docs-site");
const found = findChromium();
if ("skip" in found) console.warn(`[repo] docs site browser check skipped: ${found.skip}`);

beforeAll(() => {
  const require = createRequire(join(REPO, "package.json"));
  const manifest = require.resolve("turbo/package.json");
  const turbo = join(dirname(manifest), "bin", "turbo");
  execFileSync(process.execPath, [turbo, "run", "//#docs", "--output-logs=errors-only"], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
}, 300_000);

describe("the docs site", () => {
  it("has the user's index page, a page per guide and the API reference", () => {
    for (const page of [
      "index.html",
      "documents/Getting_started.html",
      "documents/Streams_and_events.html",
      "documents/Host_callbacks.html",
      "documents/Writing_a_backend.html",
      "documents/Profiling.html",
      "classes/_npurt_streams.StreamManager.html",
      "media/timeline.png",
    ])
      expect(existsSync(join(SITE, page)), page).toBe(true);
  });

  it.skipIf("skip" in found)(
    "renders the index, a guide and an API page in Chromium without errors",
    async () => {
      const server = await serveDirectory(SITE);
      const browser = await chromium.launch({
        executablePath: (found as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
      try {
        const pages = [
          { path: "index.html", heading: "npurt", text: "Getting started" },
          { path: "documents/Streams_and_events.html", heading: "Streams and events", text: "CANN" },
          { path: "classes/_npurt_streams.StreamManager.html", heading: "StreamManager", text: "create" },
          { path: "documents/Profiling.html", heading: "Profiling", text: "critical path" },
        ];
        for (const { path, heading, text } of pages) {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on("pageerror", (e) => errors.push(`${path}: ${e.message}`));
          page.on("console", (m) => {
            if (m.type() === "error") errors.push(`${path}: console: ${m.text()}`);
          });
          page.on("requestfailed", (r) => errors.push(`${path}: failed to load ${r.url()}`));
          page.on("response", (r) => {
            if (r.status() >= 400) errors.push(`${path}: ${r.status()} for ${r.url()}`);
          });
          await page.goto(server.url + path, { waitUntil: "load" });
          // The site's own script builds the navigation; wait until it has.
          await page.waitForSelector(".tsd-navigation a", { timeout: 10_000 });
          expect(await page.locator("h1").first().textContent(), path).toContain(heading);
          expect(await page.locator("main, .col-content").first().textContent(), path).toContain(text);
          // Every image on the page loaded (the timeline screenshot on the profiling guide).
          const broken = await page
            .locator("img")
            .evaluateAll((images) =>
              (images as unknown as { complete: boolean; naturalWidth: number; src: string }[])
                .filter((img) => !img.complete || img.naturalWidth === 0)
                .map((img) => img.src),
            );
          expect(broken, path).toEqual([]);
          expect(errors).toEqual([]);
          await page.close();
        }
      } finally {
        await browser.close();
        await server.close();
      }
    },
  );
});
