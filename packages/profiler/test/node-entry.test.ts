import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryTracker, TraceRecorder, toChromeTrace } from "../src/index.js";
import { nodeHeapUsed, writeHeapSnapshot, writeHtmlTimelineFile, writeTraceFile } from "../src/node/index.js";
import { pipeline, simDevice } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "npurt-node-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const src = fileURLToPath(new URL("../src/", import.meta.url));

/** Files reachable from `entry` through relative imports. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(entry, "utf8");
  for (const m of text.matchAll(/from "(\.[^"]+)"/g))
    reachable(resolve(dirname(entry), m[1]!.replace(/\.js$/, ".ts")), seen);
  return seen;
}

describe("entries", () => {
  it("the main entry reaches no node: module (browser-safe); ./node does", () => {
    const main = reachable(join(src, "index.ts"));
    expect(main.size).toBeGreaterThan(10);
    for (const file of main) {
      expect(file).not.toContain(`${join(src, "node")}`);
      expect(readFileSync(file, "utf8"), file).not.toMatch(/^import .*from "node:/m);
    }
    const node = [...reachable(join(src, "node", "index.ts"))].filter((f) =>
      /^import .*from "node:/m.test(readFileSync(f, "utf8")),
    );
    expect(node.length).toBeGreaterThan(0);
  });

  it("writes the trace file (the same bytes as toChromeTrace) and the timeline file", async () => {
    const device = simDevice();
    const recorder = new TraceRecorder().attach(device);
    await pipeline(device, 3);
    const rec = recorder.recording();
    const trace = join(tmp, "out", "trace.json");
    await writeTraceFile(trace, rec);
    expect(readFileSync(trace, "utf8")).toBe(toChromeTrace(rec));
    const html = join(tmp, "out", "timeline.html");
    await writeHtmlTimelineFile(html, rec);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>/);
    await expect(writeTraceFile("", rec)).rejects.toThrow(TypeError);
    await expect(writeTraceFile(join(tmp, "x.json"), {} as never)).rejects.toThrow(TypeError);
  });

  it("samples the host heap for callback checkpoints and writes a heap snapshot", async () => {
    expect(nodeHeapUsed()).toBeGreaterThan(0);
    const memory = new MemoryTracker({ hostMemory: nodeHeapUsed });
    expect(memory.checkpoints()).toEqual([]);
    const path = writeHeapSnapshot(join(tmp, "heap.heapsnapshot"));
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(tmp)).toContain("heap.heapsnapshot");
    expect(() => writeHeapSnapshot(3 as never)).toThrow(TypeError);
  });
});
