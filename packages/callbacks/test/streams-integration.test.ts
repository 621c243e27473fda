// CallbackScheduler as the HostExecutor behind @npurt/streams' host callbacks (a devDependency:
// src/ never imports streams; the user wires the two together through core's port). Vitest
// fails the run on any unhandled rejection, so these tests also show that none escapes.
import { createDevice, NpuError } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { CallbackScheduler } from "../src/index.js";

function setup(scheduler: CallbackScheduler) {
  const device = createDevice(new MockDeviceBackend());
  const manager = new StreamManager(device, { executor: scheduler });
  return { device, manager };
}

describe("CallbackScheduler as a stream's HostExecutor", () => {
  it("runs blocking host callbacks in stream order, between the stream's kernels", async () => {
    const scheduler = new CallbackScheduler();
    const { manager } = setup(scheduler);
    expect(manager.executor).toBe(scheduler);
    const s = manager.create();
    const log: string[] = [];
    s.launch({ name: "produce", cost: { durationNs: 1_000 } });
    s.launchHostCallback(() => log.push("after produce"), { label: "first" });
    s.launch({ name: "consume", cost: { durationNs: 1_000 } });
    s.launchHostCallback(async () => {
      await Promise.resolve();
      log.push("after consume");
    });
    await s.synchronize();
    expect(log).toEqual(["after produce", "after consume"]);
    expect(scheduler.stats()).toMatchObject({ submitted: 2, succeeded: 2, failed: 0 });
    await s.destroy();
    manager.close();
  });

  it("reports a failing callback to the stream (CALLBACK_FAILED at synchronize)", async () => {
    const scheduler = new CallbackScheduler();
    const { manager } = setup(scheduler);
    const s = manager.create();
    s.launchHostCallback(
      () => {
        throw new Error("host side broke");
      },
      { label: "broken" },
    );
    const error = await s.synchronize().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(NpuError.isInstance(error, "CALLBACK_FAILED")).toBe(true);
    expect(scheduler.stats().failed).toBe(1);
    manager.close();
  });

  it("gives the callbacks of a more urgent stream the scheduler's priority", async () => {
    const scheduler = new CallbackScheduler({ concurrency: 1, adaptive: false });
    const { manager } = setup(scheduler);
    const { greatest, least } = manager.priorityRange;
    const background = manager.create({ priority: least });
    const urgent = manager.create({ priority: greatest });
    // Occupy the scheduler's one slot so both streams' callbacks wait in its ready queue.
    let release!: () => void;
    const blocker = scheduler.run(() => new Promise<void>((resolve) => (release = resolve)));
    const ran: string[] = [];
    for (let i = 0; i < 3; i++) {
      background.launchHostCallback(() => ran.push("background"), { blocking: false });
      urgent.launchHostCallback(() => ran.push("urgent"), { blocking: false });
    }
    for (let i = 0; i < 50 && scheduler.stats().queued < 6; i++) await new Promise((r) => setImmediate(r));
    expect(scheduler.stats().queued).toBe(6);
    release();
    await blocker;
    await Promise.all([background.synchronize(), urgent.synchronize()]);
    expect(ran).toEqual(["urgent", "urgent", "urgent", "background", "background", "background"]);
    manager.close();
  });

  it("batches many ready callbacks into few turns", async () => {
    const scheduler = new CallbackScheduler({ batchSize: 16, concurrency: 1 });
    const { manager } = setup(scheduler);
    const s = manager.create();
    let release!: () => void;
    const blocker = scheduler.run(() => new Promise<void>((resolve) => (release = resolve)));
    let count = 0;
    for (let i = 0; i < 64; i++) s.launchHostCallback(() => count++, { blocking: false });
    for (let i = 0; i < 2000 && scheduler.stats().queued < 64; i++) await new Promise((r) => setImmediate(r));
    expect(scheduler.stats().queued).toBe(64);
    const turnsBefore = scheduler.stats().turns;
    release();
    await blocker;
    await s.synchronize();
    expect(count).toBe(64);
    expect(scheduler.stats().turns - turnsBefore).toBeLessThanOrEqual(5);
    manager.close();
  });
});
