import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { TraceRecorder, toHtmlTimeline } from "../src/index.js";
import { CHROMIUM_ARGS, findChromium } from "./chromium.js";
import { pipeline, simDevice } from "./fixtures.js";

const found = findChromium();
if ("skip" in found) console.warn(`[profiler] HTML timeline browser test skipped: ${found.skip}`);
const dir = mkdtempSync(join(tmpdir(), "npurt-timeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("HTML timeline", () => {
  it("is one self-contained file: no external script, style or fetch", async () => {
    const device = simDevice();
    const recorder = new TraceRecorder().attach(device);
    await pipeline(device, 2);
    const html = toHtmlTimeline(recorder.recording(), { title: "a </script> title" });
    expect(html).not.toMatch(/<script[^>]+src=|<link |https?:\/\/|fetch\(/);
    expect(html).toContain("a &lt;/script&gt; title");
    expect(() => toHtmlTimeline(recorder.recording(), { title: 3 as unknown as string })).toThrow(TypeError);
    expect(() => toHtmlTimeline(recorder as never)).toThrow(TypeError);
  });

  it.skipIf("skip" in found)(
    "draws every stream's lane and the ops in headless Chromium; writes the README screenshot",
    async () => {
      const device = simDevice();
      const recorder = new TraceRecorder().attach(device);
      await pipeline(device, 6);
      const rec = recorder.recording();
      const file = join(dir, "timeline.html");
      writeFileSync(
        file,
        toHtmlTimeline(rec, { title: "producer → consumer pipeline, 6 requests (device-sim, tiny preset)" }),
      );
      const browser = await chromium.launch({
        executablePath: (found as { path: string }).path,
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 300 } });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        await page.goto(pathToFileURL(file).href);
        const state = await page.evaluate(
          () => (globalThis as unknown as { __npurtTimeline: Record<string, unknown> }).__npurtTimeline,
        );
        expect(errors).toEqual([]);
        const streamLanes = rec.streams.map((s) => `stream ${s.stream} (queue ${s.queue})`);
        expect(state.lanes).toEqual([...streamLanes, "host callbacks", "host waits"]);
        const completed = rec.ops.length; // every op of the pipeline completed
        expect(rec.hostWaits.length).toBeGreaterThan(0);
        expect(state.ops).toBe(completed + rec.callbacks.length + rec.hostWaits.length);
        expect(state.opsDrawn).toBe(state.ops);
        expect(state.arrowsDrawn).toBeGreaterThanOrEqual(6);
        // Zooming in (wheel over the middle) draws fewer ops than the whole view.
        await page.mouse.move(700, 120);
        await page.mouse.wheel(0, -1500);
        const zoomed = await page.evaluate(
          () => (globalThis as unknown as { __npurtTimeline: { opsDrawn: number } }).__npurtTimeline.opsDrawn,
        );
        expect(zoomed).toBeLessThan(state.opsDrawn as number);
        await page.mouse.dblclick(700, 120);
        const legend = await page.locator("#legend span").allTextContents();
        expect(legend).toEqual(["matmul", "softmax", "copy", "record", "wait", "failed or aborted"]);
        const screenshot = fileURLToPath(new URL("../docs/timeline.png", import.meta.url));
        await page.screenshot({ path: screenshot, fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );
});

describe.skipIf("skip" in found)("HTML timeline with 1e5 ops", () => {
  it("draws every op of 1e5 on 10 queues, and a zoomed view fewer", async () => {
    const device = createDevice(new MockDeviceBackend({ opDurationNs: 100 }));
    const recorder = new TraceRecorder().attach(device);
    const queues = Array.from({ length: 10 }, () => device.createQueue());
    for (let i = 0; i < 100_000; i++)
      device.enqueue(queues[i % 10]!, { kind: "kernel", name: i % 3 ? "add" : "mul" });
    await device.idle();
    const file = join(dir, "big.html");
    writeFileSync(file, toHtmlTimeline(recorder.recording()));
    const browser = await chromium.launch({
      executablePath: (found as { path: string }).path,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 400 } });
      await page.goto(pathToFileURL(file).href);
      const read = () =>
        page.evaluate(
          () =>
            (globalThis as unknown as { __npurtTimeline: { opsDrawn: number; lanes: string[] } })
              .__npurtTimeline,
        );
      const all = await read();
      expect(all.lanes).toHaveLength(10);
      expect(all.opsDrawn).toBe(100_000);
      await page.mouse.move(600, 100);
      await page.mouse.wheel(0, -3000);
      expect((await read()).opsDrawn).toBeLessThan(100_000);
    } finally {
      await browser.close();
    }
  });
});
