import { ResourceManager } from "@npurt/callbacks";
import { NpuError } from "@npurt/core";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { formatLeakReport, formatResourceStatistics, type LeakReport, LeakTracker } from "../src/index.js";
import { mockDevice, pipeline, simDevice } from "./fixtures.js";

describe("LeakTracker", () => {
  it("reports nothing after a clean run (on device-sim and on the mock)", async () => {
    for (const device of [simDevice(), mockDevice()]) {
      const leaks = new LeakTracker().attach(device);
      const manager = await pipeline(device);
      manager.close();
      const report = leaks.report();
      expect(report.leaks).toEqual([]);
      expect(report.clean).toBe(true);
      expect(report.stats.stream).toEqual({ created: 2, released: 2, live: 0, peak: 2 });
      expect(report.stats.allocation).toMatchObject({ created: 2, released: 2, live: 0 });
      expect(() => leaks.assertNoLeaks()).not.toThrow();
      expect(formatLeakReport(report)).toMatch(/^no leaks/);
    }
  });

  it("names a leaked stream, event and tagged allocation, with the user's creation site when asked", async () => {
    const device = simDevice();
    const leaks = new LeakTracker({ captureStacks: true }).attach(device);
    const manager = new StreamManager(device);
    const stream = manager.create();
    manager.createEvent();
    const kv = manager.allocate(4096, { tag: "kv-cache" });
    stream.launch({ name: "add", outputs: [kv] });
    await stream.synchronize();
    const report = leaks.report();
    const kinds = report.leaks.map((l) => l.kind);
    expect(kinds).toEqual(["stream", "event", "allocation", "queue"]);
    const alloc = report.leaks.find((l) => l.kind === "allocation")!;
    expect(alloc.description).toContain('4096 B, tag "kv-cache"');
    expect(alloc.stack).toMatch(/leak-tracker\.test\.ts/);
    expect(report.liveBytes[0]).toBe(4096);
    let thrown: unknown;
    try {
      leaks.assertNoLeaks({ allow: ["queue"] });
    } catch (error) {
      thrown = error;
    }
    expect(NpuError.isInstance(thrown, "ILLEGAL_STATE")).toBe(true);
    expect((thrown as Error).message).toMatch(/3 resource\(s\) leaked/);
    expect((thrown as Error).message).toContain('tag "kv-cache"');
    expect((thrown as NpuError).details?.leaks).toHaveLength(3);
  });

  it("logs the resource statistics per type when the device finalizes (closes), as CANN's aclFinalize does", async () => {
    for (const device of [simDevice(), mockDevice()]) {
      const finalized: LeakReport[] = [];
      const leaks = new LeakTracker({ onFinalize: (r) => finalized.push(r) }).attach(device);
      const manager = await pipeline(device);
      device.allocate(64, { tag: "left" }); // never released: the statistics show it
      expect(finalized).toEqual([]);
      manager.close();
      device.close();
      expect(finalized).toHaveLength(1);
      const text = formatResourceStatistics(finalized[0]!);
      expect(text).toContain(
        "The ResourceType:stream, applyTotal = 2, applySucc = 2, releaseTotal = 2, releaseSucc = 2",
      );
      expect(text).toContain(
        "The ResourceType:event, applyTotal = 2, applySucc = 2, releaseTotal = 2, releaseSucc = 2",
      );
      expect(text).toMatch(
        /The ResourceType:allocation, applyTotal = 3, applySucc = 3, releaseTotal = 2, releaseSucc = 2, live = 1/,
      );
      expect(finalized[0]!.leaks.map((l) => l.tag)).toEqual(["left"]);
      expect(text.trim().split("\n")).toHaveLength(6);
      leaks.detach();
    }
    // Detached before the close: nothing is logged.
    const device = mockDevice();
    const finalized: LeakReport[] = [];
    new LeakTracker({ onFinalize: (r) => finalized.push(r) }).attach(device).detach();
    device.close();
    expect(finalized).toEqual([]);
    expect(() => new LeakTracker({ onFinalize: "log" as never })).toThrow(TypeError);
  });

  it("follows resources still held", async () => {
    const device = mockDevice();
    const leaks = new LeakTracker().attach(device);
    const resources = new ResourceManager({ instrumentation: device.instrumentation, clock: device.clock });
    resources.define("weights", { create: () => ({ bytes: 1 }) });
    resources.acquire("weights", "decode");
    resources.acquire("weights", "encode");
    resources.release("weights", "decode");
    expect(leaks.report().leaks.map((l) => l.description)).toEqual(['resource "weights" (still held)']);
    resources.release("weights", "encode");
    expect(leaks.report().clean).toBe(true);
    expect(leaks.report().stats.resource).toEqual({ created: 1, released: 1, live: 0, peak: 1 });
  });

  it("refuses a second attach, bad options and bad targets", () => {
    const device = mockDevice();
    const leaks = new LeakTracker().attach(device);
    let thrown: unknown;
    try {
      leaks.attach(device);
    } catch (error) {
      thrown = error;
    }
    expect(NpuError.isInstance(thrown, "ILLEGAL_STATE")).toBe(true);
    leaks.detach();
    leaks.detach();
    expect(() => leaks.attach({} as never)).toThrow(TypeError);
    expect(() => new LeakTracker({ captureStacks: 1 as never })).toThrow(TypeError);
    expect(() => leaks.assertNoLeaks({ allow: "queue" as never })).toThrow(TypeError);
    leaks.attach(device.instrumentation);
    device.allocate(8, { tag: "x" });
    expect(leaks.report().leaks).toHaveLength(1);
  });
});
