import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
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
        { ph: "X", pid: 1, tid: 4, ts: 1, dur: 1, name: "out", bind_id: 3, flow_out: true },
        { ph: "X", pid: 1, tid: 5, ts: 0, dur: 1, name: "in", bind_id: 4, flow_in: true },
        { ph: "X", pid: 1, tid: 4, ts: 9, dur: 1, name: "out", bind_id: 4, flow_out: true },
        { ph: "X", pid: 1, tid: 6, ts: 2, dur: 1, name: "no direction", bind_id: 5 },
      ],
    };
    const problems = traceProblems(JSON.stringify(bad));
    expect(problems).toHaveLength(7);
    expect(problems.join("\n")).toMatch(
      /before 5.*\n.*no dur.*\n.*without flow_in or flow_out.*\n.*B without E.*\n.*1 starts, 0 ends.*\n.*bind_id 3: 1 flow_out, 0 flow_in.*\n.*bind_id 4: flow_in at 0 before/s,
    );
  });

  it("has a process per device, a track per stream, engine and host, flows and counters", async () => {
    const { json, recording } = await traceOf();
    const events = JSON.parse(json).traceEvents as {
      ph: string;
      name: string;
      pid: number;
      tid?: number;
      args?: { name?: string; op?: number; status?: string };
      cat?: string;
      bind_id?: number;
      flow_in?: boolean;
      flow_out?: boolean;
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
    // One launch flow per kernel and copy (4 per request), from the host call to the op's queue slice.
    const launches = events.filter((e) => e.flow_out === true);
    expect(launches).toHaveLength(20);
    for (const e of launches)
      expect([e.pid, e.tid, e.name]).toEqual([0, 1, expect.stringMatching(/^(launch|copy) /)]);
    const launched = events.filter((e) => e.flow_in === true);
    expect(launched.map((e) => e.bind_id).sort()).toEqual(launches.map((e) => e.bind_id).sort());
    for (const e of launched) {
      expect(e.pid).toBe(1);
      expect(threadNames).toContain(
        `stream ${recording.streams.find((s) => 10_000 + s.queue! === e.tid)?.stream} (queue ${e.tid! - 10_000})`,
      );
      expect(e.args).toEqual({ op: expect.any(Number) }); // an ok op's status is left out
    }
    const counters = new Set(events.filter((e) => e.ph === "C").map((e) => e.name));
    expect(counters).toEqual(new Set(["device memory", "queue", "host utilisation"]));
    const busy = events
      .filter((e) => e.ph === "C" && e.name === "host utilisation")
      .map((e) => (e.args as { busy: number }).busy);
    expect(busy).toHaveLength(200);
    expect(Math.max(...busy)).toBeGreaterThan(0);
    expect(Math.max(...busy)).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.ph === "X" && e.name === "post 3")).toHaveLength(1);
  });

  it("writes an op's status only when it is not ok, and keeps the launch flow of a failed op", async () => {
    const backend = new MockDeviceBackend({ opDurationNs: 1000 });
    const device = createDevice(backend);
    const recorder = new TraceRecorder().attach(device);
    const q = device.createQueue();
    backend.failNext("bad");
    device.enqueue(q, { kind: "kernel", name: "good" });
    device.enqueue(q, { kind: "kernel", name: "bad" });
    await device.drain(q).catch(() => undefined);
    const json = toChromeTrace(recorder.recording());
    expect(traceProblems(json)).toEqual([]);
    const slices = (
      JSON.parse(json).traceEvents as { ph: string; pid: number; tid: number; name: string; args?: object }[]
    ).filter((e) => e.ph === "X" && e.pid === 1 && e.tid >= 10_000);
    expect(slices.map((e) => [e.name, e.args])).toEqual([
      ["good", { op: expect.any(Number) }],
      ["bad", { op: expect.any(Number), status: "error" }],
    ]);
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
    expect(lean.filter((e: { bind_id?: number }) => e.bind_id !== undefined)).toEqual([]);
    expect(
      lean.filter(
        (e: { name: string; args?: { name?: string } }) =>
          e.name === "thread_name" && /engine|AI core/.test(e.args!.name!),
      ),
    ).toEqual([]);
    expect(
      lean.filter((e: { tid?: number }) => e.tid !== undefined && e.tid >= 10 && e.tid < 10_000),
    ).toEqual([]);
  });
});
