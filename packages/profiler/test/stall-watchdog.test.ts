import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { type StallReport, StallWatchdog } from "../src/index.js";
import { pipeline, simDevice } from "./fixtures.js";

describe("StallWatchdog", () => {
  it("names the wait-for cycle of two queues that wait on each other (a deadlock)", async () => {
    const device = createDevice(new MockDeviceBackend());
    const stalls: StallReport[] = [];
    const found = new Promise<StallReport>((resolve) => {
      new StallWatchdog({
        timeoutNs: 1_000_000,
        onStall: (r) => {
          stalls.push(r);
          resolve(r);
        },
      }).attach(device);
    });
    const a = device.createQueue();
    const b = device.createQueue();
    const c1 = device.createCounter();
    const c2 = device.createCounter();
    device.enqueue(a, { kind: "wait", counter: c1, value: 1 });
    device.enqueue(a, { kind: "signal", counter: c2, value: 1 });
    device.enqueue(b, { kind: "wait", counter: c2, value: 1 });
    device.enqueue(b, { kind: "signal", counter: c1, value: 1 });
    const report = await found;
    expect(report.cycle).toHaveLength(3);
    expect(report.cycle![0]).toBe(report.cycle![2]);
    expect(new Set(report.cycle)).toEqual(new Set([device.queueId(a), device.queueId(b)]));
    expect(report.pendingOps).toBe(4);
    expect(report.idleNs).toBeGreaterThanOrEqual(1_000_000);
    expect(report.blocked.map((q) => q.waitingFor?.kind)).toEqual(["record", "record"]);
    expect(report.description).toMatch(/^deadlock: queue \d+ → queue \d+ → queue \d+/);
    expect(stalls).toHaveLength(1);
  });

  it("reports a stream waiting for a record that never comes, naming the stream (device-sim)", async () => {
    const device = simDevice();
    const manager = new StreamManager(device);
    const found = new Promise<StallReport>((resolve) => {
      new StallWatchdog({ timeoutNs: 5_000_000, onStall: resolve }).attach(device);
    });
    const s = manager.create();
    const never = manager.createEvent();
    s.launch({ name: "add" });
    s.waitEvent(never, { future: true });
    s.launch({ name: "mul" });
    const report = await found;
    expect(report.cycle).toBeUndefined();
    expect(report.blocked).toHaveLength(1);
    expect(report.blocked[0]).toMatchObject({
      stream: 1,
      pendingOps: 2,
      waitingFor: { kind: "unsignalled" },
    });
    expect(report.description).toMatch(
      /^stall: no progress for \d+ ns with 2 ops pending\n {2}stream 1 \(queue \d+\): 2 pending, waits for c\d+=1, which no enqueued op records/,
    );
  });

  it("reports a hung kernel as running, at the same virtual instant on every run", async () => {
    const run = async () => {
      const mock = new MockDeviceBackend();
      const device = createDevice(mock);
      mock.hangNext("stuck");
      const found = new Promise<StallReport>((resolve) => {
        new StallWatchdog({ timeoutNs: 2_000_000, onStall: resolve }).attach(device);
      });
      const q = device.createQueue();
      device.enqueue(q, { kind: "kernel", name: "fine" });
      device.enqueue(q, { kind: "kernel", name: "stuck" });
      return found;
    };
    const first = await run();
    expect(first.blocked[0]).toMatchObject({ head: "stuck", pendingOps: 1, waitingFor: undefined });
    expect(first.description).toContain("running stuck");
    expect((await run()).atNs).toBe(first.atNs);
  });

  it("reports nothing for a run that finishes, and polls with check()", async () => {
    const device = simDevice();
    const stalls: StallReport[] = [];
    const watchdog = new StallWatchdog({ timeoutNs: 1_000_000, onStall: (r) => stalls.push(r) }).attach(
      device,
    );
    await pipeline(device, 3);
    expect(stalls).toEqual([]);
    expect(watchdog.reports()).toEqual([]);
    expect(watchdog.check()).toBeUndefined();
    expect(watchdog.check(Number.MAX_SAFE_INTEGER)).toBeUndefined(); // nothing pending
    watchdog.detach();
  });

  it("refuses bad options", () => {
    expect(() => new StallWatchdog(undefined as never)).toThrow(TypeError);
    expect(() => new StallWatchdog({ timeoutNs: 0 })).toThrow(TypeError);
    expect(() => new StallWatchdog({ timeoutNs: 10, onStall: "log" as never })).toThrow(TypeError);
    const bare = new StallWatchdog({ timeoutNs: 10 }).attach(simDevice().instrumentation);
    expect(() => bare.check()).toThrow(TypeError);
  });
});
