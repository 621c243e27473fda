// The same seeded pipeline in Node and in headless Chromium gives the same virtual-time results
// (a simulation does not depend on its host), and in the browser the runtime's macrotask hops go
// through MessageChannel, not setTimeout(0), which browsers clamp to 4 ms once nested. The
// wall-time ratio is a benchmark figure (tests/bench/browser.bench.mjs), not asserted here.
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { pipelineBundle } from "./helpers/browser-bundle.ts";
import { CHROMIUM_ARGS, findChromium } from "./helpers/chromium.ts";
import { type PipelineResult, runPipeline } from "./helpers/pipeline.ts";

const found = findChromium();
if ("skip" in found) console.warn(`[repo] Node-versus-Chromium pipeline check skipped: ${found.skip}`);
const ENTRY = fileURLToPath(new URL("./helpers/pipeline.ts", import.meta.url));

describe("a seeded pipeline in Node and in Chromium", () => {
  it("is deterministic in Node: the same seed gives the same timeline, another seed another", async () => {
    const [a, b, c] = [await runPipeline(7, 40), await runPipeline(7, 40), await runPipeline(8, 40)];
    expect(b).toEqual(a);
    expect(c.ops).not.toEqual(a.ops);
    expect(a.callbacks).toHaveLength(40);
  });

  it.skipIf("skip" in found)(
    "gives the same virtual-time results in Chromium as in Node, with MessageChannel hops",
    async () => {
      const node = await runPipeline(42);
      const bundle = await pipelineBundle(ENTRY);
      const browser = await chromium.launch({
        executablePath: (found as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        // Counts zero-delay timers: were the runtime hopping through setTimeout(0), there would be
        // one per host callback and per simulator yield, thousands in this run.
        await page.addInitScript(() => {
          const g = globalThis as unknown as { setTimeout: (...a: unknown[]) => unknown; zeroTimers: number };
          const original = g.setTimeout;
          g.zeroTimers = 0;
          g.setTimeout = (fn: unknown, ms?: unknown, ...rest: unknown[]) => {
            if (!ms) g.zeroTimers++;
            return original(fn, ms, ...rest);
          };
        });
        await page.goto("about:blank");
        await page.addScriptTag({ content: bundle });
        const { result, zeroTimers } = await page.evaluate(async () => {
          const g = globalThis as unknown as {
            npurtPipeline: { runPipeline(seed: number): Promise<PipelineResult> };
            zeroTimers: number;
          };
          const result = await g.npurtPipeline.runPipeline(42);
          return { result, zeroTimers: g.zeroTimers };
        });
        expect(errors).toEqual([]);
        expect(result).toEqual(node);
        expect(zeroTimers).toBeLessThan(5);
      } finally {
        await browser.close();
      }
    },
  );
});
