// Host waits on the trace's host process: each synchronize the host awaited (a stream's, the
// device's, an event's) is a span on the "host waits" track from the call to when it settled,
// on the device clock, with its outcome — on the simulated NPU and on core's mock backend.
import { createDevice, type Device, NpuError } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { type HostWaitInfo, TraceRecorder, toChromeTrace } from "../src/index.js";
import { mockDevice, simDevice } from "./fixtures.js";
import { traceProblems } from "./trace-format.js";

interface TraceEvent {
  ph: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  name: string;
  args?: { name?: string; outcome?: string; code?: string };
}

function traceOf(recorder: TraceRecorder): { events: TraceEvent[]; json: string } {
  const json = toChromeTrace(recorder.recording());
  return { json, events: JSON.parse(json).traceEvents as TraceEvent[] };
}

/** The host-process tracks named `host waits…`, by track id. */
function waitTracks(events: TraceEvent[]): Map<number, string> {
  return new Map(
    events
      .filter(
        (e) => e.ph === "M" && e.name === "thread_name" && e.pid === 0 && /^host waits/.test(e.args!.name!),
      )
      .map((e) => [e.tid!, e.args!.name!]),
  );
}

function waitSpans(events: TraceEvent[]): TraceEvent[] {
  const tracks = waitTracks(events);
  return events.filter((e) => e.ph === "X" && e.pid === 0 && tracks.has(e.tid!));
}

/** `[begin, end]` of `fn`'s synchronize on the device clock, as the host saw it. */
async function timed(device: Device, fn: () => Promise<void>): Promise<[number, number]> {
  const begin = device.clock.now();
  await fn();
  return [begin, device.clock.now()];
}

describe("host waits", () => {
  for (const [name, make] of [
    ["the simulated NPU", () => simDevice()],
    ["the mock backend", () => mockDevice()],
  ] as const) {
    it(`shows stream, device and event synchronizes on the host waits track (${name})`, async () => {
      const device = make();
      const recorder = new TraceRecorder().attach(device);
      const manager = new StreamManager(device);
      const s = manager.create();
      const done = manager.createEvent();
      for (let i = 0; i < 5; i++) s.launch({ name: "add" });
      const streamSync = await timed(device, () => s.synchronize());
      s.launch({ name: "mul" });
      s.record(done);
      const eventSync = await timed(device, () => done.synchronize());
      s.launch({ name: "mul" });
      const deviceSync = await timed(device, () => manager.synchronize({ device: 0 }));
      const allSync = await timed(device, () => manager.synchronize());

      const { json, events } = traceOf(recorder);
      expect(traceProblems(json)).toEqual([]);
      expect([...waitTracks(events).values()]).toEqual(["host waits"]);
      const spans = waitSpans(events);
      expect(spans.map((e) => [e.name, e.args])).toEqual([
        [`synchronize stream ${s.id}`, { outcome: "ok" }],
        [`synchronize event ${done.id}`, { outcome: "ok" }],
        ["synchronize device 0", { outcome: "ok" }],
        ["synchronize every device", { outcome: "ok" }],
      ]);
      // From the call to when it settled, on the device clock the trace uses (µs).
      for (const [k, [begin, end]] of [streamSync, eventSync, deviceSync, allSync].entries()) {
        expect(spans[k]!.ts).toBe(begin / 1000);
        expect(spans[k]!.ts! + spans[k]!.dur!).toBeCloseTo(end / 1000, 9);
      }
      // The stream synchronize waited for the five kernels: it ends when the last one has.
      const kernels = events.filter(
        (e) => e.ph === "X" && e.pid === 1 && e.tid! >= 10_000 && e.name === "add",
      );
      expect(kernels).toHaveLength(5);
      const lastEnd = Math.max(...kernels.map((e) => e.ts! + e.dur!));
      expect(spans[0]!.dur!).toBeGreaterThan(0);
      expect(spans[0]!.ts! + spans[0]!.dur!).toBeGreaterThanOrEqual(lastEnd - 1e-9);
      expect(recorder.recording().hostWaits.map((h) => [h.target, h.outcome])).toEqual([
        ["stream", "ok"],
        ["event", "ok"],
        ["device", "ok"],
        ["device", "ok"],
      ]);
    });
  }

  it("records a timed-out synchronize with its code, lasting the timeout", async () => {
    const backend = new MockDeviceBackend({ opDurationNs: 1000 });
    const device = createDevice(backend);
    const recorder = new TraceRecorder().attach(device);
    const manager = new StreamManager(device);
    const s = manager.create();
    backend.hangNext("stuck");
    s.launch({ name: "stuck" });
    const error = await s.synchronize({ timeoutMs: 2 }).catch((e: unknown) => e);
    expect(NpuError.isInstance(error, "STREAM_SYNC_TIMEOUT")).toBe(true);
    const ev = manager.createEvent();
    s.record(ev);
    const eventError = await ev.synchronize({ timeoutMs: 1 }).catch((e: unknown) => e);
    expect(NpuError.isInstance(eventError, "EVENT_SYNC_TIMEOUT")).toBe(true);

    const { json, events } = traceOf(recorder);
    expect(traceProblems(json)).toEqual([]);
    const spans = waitSpans(events);
    expect(spans.map((e) => [e.name, e.dur, e.args])).toEqual([
      [`synchronize stream ${s.id}`, 2000, { outcome: "timeout", code: "STREAM_SYNC_TIMEOUT" }],
      [`synchronize event ${ev.id}`, 1000, { outcome: "timeout", code: "EVENT_SYNC_TIMEOUT" }],
    ]);
    const waits: readonly HostWaitInfo[] = recorder.recording().hostWaits;
    expect(waits[0]).toMatchObject({
      target: "stream",
      id: s.id,
      outcome: "timeout",
      code: "STREAM_SYNC_TIMEOUT",
    });
    expect(waits[0]!.endNs! - waits[0]!.beginNs).toBe(2e6);
  });

  it("records a failed synchronize as an error, and one still pending to the end of the recording", async () => {
    const backend = new MockDeviceBackend({ opDurationNs: 1000 });
    const device = createDevice(backend);
    const recorder = new TraceRecorder().attach(device);
    const manager = new StreamManager(device);
    const s = manager.create();
    backend.failNext("bad");
    s.launch({ name: "bad" });
    const error = await s.synchronize().catch((e: unknown) => e);
    expect(NpuError.isInstance(error)).toBe(true);
    const code = (error as NpuError).code;
    // Refused (a timeout that is not a number): the wait ends at once, with the refusal's code.
    const refused = await s.synchronize({ timeoutMs: "soon" as never }).catch((e: unknown) => e);
    expect(NpuError.isInstance(refused)).toBe(true);
    const t = manager.create();
    backend.hangNext("stuck");
    t.launch({ name: "stuck" });
    void t.synchronize(); // never settles while recorded
    s.launch({ name: "after" });
    await s.synchronize();

    const { json, events } = traceOf(recorder);
    expect(traceProblems(json)).toEqual([]);
    const spans = waitSpans(events);
    expect(spans.map((e) => [e.name, e.args])).toEqual([
      [`synchronize stream ${s.id}`, { outcome: "error", code }],
      [`synchronize stream ${s.id}`, { outcome: "error", code: (refused as NpuError).code }],
      [`synchronize stream ${t.id}`, { outcome: "pending" }],
      [`synchronize stream ${s.id}`, { outcome: "ok" }],
    ]);
    expect(spans[1]!.dur).toBe(0);
    // The pending wait overlaps the last one: each has a lane of its own.
    expect(new Set(spans.slice(2).map((e) => e.tid)).size).toBe(2);
    expect([...waitTracks(events).values()]).toEqual(["host waits", "host waits 2"]);
    const last = Math.max(
      ...events.filter((e) => e.ts !== undefined && e.ph !== "C").map((e) => e.ts! + (e.dur ?? 0)),
    );
    expect(spans[2]!.ts! + spans[2]!.dur!).toBeCloseTo(last, 9);
  });

  it("puts overlapping synchronizes on separate lanes, and stays byte-identical across runs", async () => {
    const run = async (): Promise<string> => {
      const device = simDevice(3);
      const recorder = new TraceRecorder().attach(device);
      const manager = new StreamManager(device);
      const [a, b] = [manager.create(), manager.create()];
      for (let i = 0; i < 3; i++) a.launch({ name: "add" });
      b.launch({ name: "mul" });
      await Promise.all([a.synchronize(), b.synchronize(), manager.synchronize()]);
      return toChromeTrace(recorder.recording());
    };
    const json = await run();
    expect(traceProblems(json)).toEqual([]);
    const events = JSON.parse(json).traceEvents as TraceEvent[];
    expect(waitSpans(events)).toHaveLength(3);
    expect(waitTracks(events).size).toBeGreaterThan(1);
    expect(await run()).toBe(json);
  });
});
