// The same seeded pipeline (tests/helpers/pipeline.ts: 200 requests over 4 streams on the
// simulated NPU, a host callback per request) in Node and in headless Chromium, and in Chromium
// with the macrotask hop the runtime used before (setTimeout(0), which browsers clamp to 4 ms
// once nested), measured in the same run. Virtual-time results are compared by
// tests/browser-pipeline.test.ts; here only wall time. Skips (no figures) without Chromium.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { figure, medianSeconds, quick } from "../../scripts/bench-kit.mjs";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];
if (!existsSync(CHROMIUM)) {
  console.log(`skipped: no Chromium at ${CHROMIUM}`);
  process.exit(0);
}
const entry = fileURLToPath(new URL("../helpers/pipeline.ts", import.meta.url));
const requests = quick ? 50 : 200;
const runs = quick ? 2 : 5;

const bundle = async (platform, format) =>
  (
    await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform,
      format,
      target: "es2022",
      globalName: format === "iife" ? "npurtPipeline" : undefined,
      logLevel: "silent",
    })
  ).outputFiles[0].text;

// Node runs the very bundle the browser gets (built for Node), so both run the same code.
const dir = mkdtempSync(join(tmpdir(), "npurt-browser-bench-"));
const nodeFile = join(dir, "pipeline.mjs");
writeFileSync(nodeFile, await bundle("node", "esm"));
const { runPipeline } = await import(pathToFileURL(nodeFile).href);
const nodeSeconds = await medianSeconds(() => runPipeline(42, requests), { runs, warmup: 1 });

const browserCode = await bundle("browser", "iife");
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
async function inChromium({ withoutMessageChannel }) {
  const page = await browser.newPage();
  if (withoutMessageChannel) await page.addInitScript(() => delete globalThis.MessageChannel);
  await page.goto("about:blank");
  await page.addScriptTag({ content: browserCode });
  const seconds = await page.evaluate(
    async ({ requests, runs }) => {
      const times = [];
      await globalThis.npurtPipeline.runPipeline(42, requests); // warm-up
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await globalThis.npurtPipeline.runPipeline(42, requests);
        times.push((performance.now() - t0) / 1e3);
      }
      return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    },
    { requests, runs: withoutMessageChannel ? Math.min(runs, 3) : runs },
  );
  await page.close();
  return seconds;
}
try {
  const channel = await inChromium({ withoutMessageChannel: false });
  const timeout = await inChromium({ withoutMessageChannel: true });
  const what = `seeded pipeline, ${requests} requests over 4 streams (device-sim tiny)`;
  figure({
    name: `${what}: headless Chromium wall time (MessageChannel hop) vs Node`,
    unit: "s",
    value: channel,
    baseline: { name: "Node 20, the same bundle (setImmediate hop)", value: nodeSeconds },
    ratio: nodeSeconds / channel,
  });
  figure({
    name: `${what}: headless Chromium, MessageChannel hop vs setTimeout(0) hop (the hop before)`,
    unit: "s",
    value: channel,
    baseline: { name: "Chromium with setTimeout(0) hops", value: timeout },
    ratio: timeout / channel,
  });
  figure({ name: `${what}: Chromium / Node wall-time ratio`, unit: "×", value: channel / nodeSeconds });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
