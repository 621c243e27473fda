import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TraceRecorder, toChromeTrace, writeChromeTrace } from "../src/index.js";
import { mockDevice, pipeline, simDevice } from "./fixtures.js";
import { traceProblems } from "./trace-format.js";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "npurt-trace-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function traceOf(device = simDevice(11), requests = 5) {
  const recorder = new TraceRecorder().attach(device);
  await pipeline(device, requests);
  return { json: toChromeTrace(recorder.recording()), recording: recorder.recording() };
}

describe("Chrome trace", () => {
  it("follows the Trace Event format's rules on device-sim and on the mock backend", async () => {
    for (const device of [simDevice(), mockDevice()]) {
      const { json } = await traceOf(device);
      expect(traceProblems(json)).toEqual([]);
    }
  });

  it("the format checker catches what the rules forbid (so a clean result means something)", () => {
    const bad = {
      traceEvents: [
        { ph: "X", pid: 1, tid: 1, ts: 5, dur: 1, name: "a" },
        { ph: "X", pid: 1, tid: 1, ts: 4, dur: 1, name: "went back" },
        { ph: "B", pid: 1, tid: 2, ts: 1, name: "never ended" },
        { ph: "s", pid: 1, tid: 1, ts: 1, id: 7, name: "flow", cat: "x" },
        { ph: "X", pid: 1, tid: 3, ts: 1, name: "no dur" },
      ],
    };
    const problems = traceProblems(JSON.stringify(bad));
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/before 5.*\n.*no dur.*\n.*B without E.*\n.*1 starts, 0 ends/s);
  });

  it("has a process per device, a track per stream, engine and host, flows and counters", async () => {
    const { json, recording } = await traceOf();
    const events = JSON.parse(json).traceEvents as {
      ph: string;
      name: string;
      args?: { name?: string };
      cat?: string;
    }[];
    const threadNames = events
      .filter((e) => e.ph === "M" && e.name === "thread_name")
      .map((e) => e.args!.name);
    const processNames = events
      .filter((e) => e.ph === "M" && e.name === "process_name")
      .map((e) => e.args!.name);
    expect(processNames).toEqual(["host", "device 0"]);
    for (const s of recording.streams) expect(threadNames).toContain(`stream ${s.stream} (queue ${s.queue})`);
    expect(threadNames).toEqual(
      expect.arrayContaining([
        "host API calls",
        "host callbacks",
        "AI core group",
        "copy engine h2d",
        "copy engine d2h",
      ]),
    );
    // Five "ready" records each satisfy a consumer wait, four "consumed" records a producer wait: nine flows.
    expect(events.filter((e) => e.ph === "s" && e.cat === "dependency")).toHaveLength(9);
    // One launch flow per kernel and copy: 4 per request.
    expect(events.filter((e) => e.ph === "s" && e.cat === "launch")).toHaveLength(20);
    const counters = new Set(events.filter((e) => e.ph === "C").map((e) => e.name));
    expect(counters).toEqual(new Set(["device memory", "queue depth", "host utilisation"]));
    const busy = events
      .filter((e) => e.ph === "C" && e.name === "host utilisation")
      .map((e) => (e.args as { busy: number }).busy);
    expect(busy).toHaveLength(200);
    expect(Math.max(...busy)).toBeGreaterThan(0);
    expect(Math.max(...busy)).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.ph === "X" && e.name === "post 3")).toHaveLength(1);
  });

  it("is byte-identical across two runs with the same seed, and different with another seed", async () => {
    const a = await traceOf();
    const b = await traceOf();
    expect(a.json).toBe(b.json);
    const c = await traceOf(simDevice(12));
    expect(c.json).not.toBe(a.json);
  });

  it("is byte-identical across two processes", async () => {
    const out = join(tmp, "child.mjs");
    const built = spawnSync(
      // esbuild is a devDependency of this package: its binary is always installed here.
      join(packageRoot, "node_modules/.bin/esbuild"),
      [
        fileURLToPath(new URL("./trace-child.ts", import.meta.url)),
        "--bundle",
        "--platform=node",
        "--format=esm",
        "--conditions=npurt-source",
        `--outfile=${out}`,
        "--log-level=error",
      ],
      { encoding: "utf8" },
    );
    expect(built.stderr).toBe("");
    const run = () => spawnSync(process.execPath, [out], { encoding: "utf8", maxBuffer: 1 << 26 });
    const first = run();
    const second = run();
    expect(first.status).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(1000);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toBe((await traceOf()).json);
  });

  it("writes in chunks that join to the same JSON, and checks its arguments", async () => {
    const { json, recording } = await traceOf();
    const chunks: string[] = [];
    writeChromeTrace(recording, (c) => chunks.push(c));
    expect(chunks.join("")).toBe(json);
    expect(() => writeChromeTrace(recording, "out.json" as never)).toThrow(TypeError);
    expect(() => toChromeTrace({} as never)).toThrow(TypeError);
    expect(() => toChromeTrace(recording, { launchFlows: "yes" as never })).toThrow(TypeError);
    const lean = JSON.parse(
      toChromeTrace(recording, { launchFlows: false, engineTracks: false }),
    ).traceEvents;
    expect(lean.filter((e: { cat?: string }) => e.cat === "launch" || e.cat === "engine")).toEqual([]);
  });
});
