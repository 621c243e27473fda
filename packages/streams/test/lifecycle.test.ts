import { createDevice, type InstrumentationEvent, type NpuError } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { createStreamManager, Stream, StreamManager } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, outcome, setup, thrown } from "./backends.js";

function expectCode(fn: () => unknown, code: string): NpuError {
  const error = thrown(fn);
  expect(error.code).toBe(code);
  return error;
}

describe.each(BACKENDS)("stream lifecycle on $name", (factory) => {
  it("creates READY streams with increasing ids and reports stats", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    expect(a).toBeInstanceOf(Stream);
    expect(a.state).toBe("READY");
    expect(a.query()).toBe("complete");
    expect(b.id).toBeGreaterThan(a.id);
    expect(a.device).toBe(0);
    expect(a.failureMode).toBe("continue");
    expect(manager.stats()).toMatchObject({ created: 2, active: 2, pooled: 0, peak: 2, queues: 0 });
    a.launch(noop());
    expect(manager.stats().queues).toBe(1); // acquired on first use
    await a.destroy();
    expect(manager.stats()).toMatchObject({ active: 1, pooled: 1, peak: 2 });
    await b.destroy();
  });

  it("reuses pooled streams, and a destroyed handle stays INVALID_HANDLE after its slot is reused", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    a.launch(noop());
    await a.synchronize();
    await a.destroy();
    expect(a.state).toBe("DESTROYED");
    const b = manager.create();
    expect(manager.stats()).toMatchObject({ reused: 1, pooled: 0 });
    expect(b.slot).toBe(a.slot);
    expect(b.generation).toBeGreaterThan(a.generation);
    const e = expectCode(() => a.launch(noop()), "INVALID_HANDLE");
    expect(e.message).toMatch(/reused/);
    expectCode(() => a.query(), "INVALID_HANDLE");
    expectCode(() => a.id, "INVALID_HANDLE");
    await expect(a.synchronize()).rejects.toMatchObject({ code: "INVALID_HANDLE" });
    expectCode(() => manager.destroy(a), "INVALID_HANDLE");
    b.launch(noop());
    await b.synchronize();
    expect(b.state).toBe("COMPLETED");
    await b.destroy();
  });

  it("destroying twice is INVALID_HANDLE", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    await s.destroy();
    expectCode(() => s.destroy(), "INVALID_HANDLE");
  });

  it("refuses handles of another manager and forged objects", () => {
    const { manager } = setup(factory);
    const other = setup(factory).manager.create();
    expectCode(() => manager.destroy(other), "INVALID_HANDLE");
    expectCode(() => manager.destroy({} as Stream), "INVALID_HANDLE"); // not issued by npurt
    expect(() => manager.destroy(42 as unknown as Stream)).toThrow(TypeError);
  });

  it("prewarms the pool, respects its bound, and can pool nothing", async () => {
    const { manager } = setup(factory, { pool: { prewarm: 3, bound: 4 } });
    expect(manager.stats()).toMatchObject({ pooled: 3, queues: 3, created: 0 });
    expect(manager.prewarm(5)).toBe(1);
    const streams = Array.from({ length: 6 }, () => manager.create());
    expect(manager.stats()).toMatchObject({ reused: 4, pooled: 0, active: 6 });
    for (const s of streams) s.launch(noop());
    await Promise.all(streams.map((s) => s.destroy()));
    expect(manager.stats()).toMatchObject({ pooled: 4, active: 0, queues: 4 });

    const unpooled = setup(factory, { pool: { bound: 0 } }).manager;
    const s = unpooled.create();
    s.launch(noop());
    await s.destroy();
    expect(unpooled.stats()).toMatchObject({ pooled: 0, queues: 0 });
  });

  it("pools per priority: a create at another priority does not take a pooled queue", async () => {
    const { manager } = setup(factory);
    const hi = manager.create({ priority: 0 });
    hi.launch(noop());
    await hi.destroy();
    const lo = manager.create({ priority: 7 });
    expect(manager.stats().reused).toBe(0);
    const hi2 = manager.create({ priority: 0 });
    expect(manager.stats().reused).toBe(1);
    await lo.destroy();
    await hi2.destroy();
  });

  it("applies the device's stream limit: one more is NO_STREAM_RESOURCE; pooled queues make room", async () => {
    const { manager } = setup(factory, {}, { maxQueues: 3 });
    const s = [manager.create(), manager.create(), manager.create()];
    const e = expectCode(() => manager.create(), "NO_STREAM_RESOURCE");
    expect(e.message).toMatch(/3/);
    s[0]!.launch(noop());
    await s[0]!.destroy();
    expect(manager.stats().pooled).toBe(1);
    // another priority cannot reuse the pooled queue, but evicting it makes room
    const t = manager.create({ priority: 5 });
    expect(manager.stats().pooled).toBe(0);
    expectCode(() => manager.create(), "NO_STREAM_RESOURCE");
    await t.destroy();
    expect(manager.resourceStats().streams).toMatchObject({ created: 6, succeeded: 4, released: 2 });
  });

  it("chooses a device explicitly or the least loaded one", async () => {
    const { manager } = setup(factory, {}, { devices: 3 });
    const on2 = manager.create({ device: 2 });
    expect(on2.device).toBe(2);
    on2.launch(noop(50_000));
    const busy0 = manager.create({ device: 0 });
    busy0.launch(noop(50_000));
    busy0.launch(noop(50_000));
    const least = manager.create({ device: "least-loaded" });
    expect(least.device).toBe(1);
    least.launch(noop());
    least.launch(noop());
    const next = manager.create({ device: "least-loaded" });
    expect(next.device).toBe(2);
    expectCode(() => manager.create({ device: 3 }), "INVALID_PARAM");
    expectCode(() => manager.create({ device: "busiest" as never }), "INVALID_PARAM");
    await manager.synchronize();
  });

  it("supports await using (Symbol.asyncDispose)", async () => {
    const { manager } = setup(factory);
    let id = 0;
    {
      await using s = manager.create();
      id = s.id;
      s.launch(noop());
    }
    expect(id).toBeGreaterThan(0);
    expect(manager.stats().active).toBe(0);
    const t = manager.create();
    await t.destroy();
    await t[Symbol.asyncDispose](); // already destroyed: nothing to do
  });

  it("emits stream.created, stream.state and stream.destroyed on the device's bus", async () => {
    const { manager, device } = setup(factory);
    const seen: InstrumentationEvent[] = [];
    const off = device.instrumentation.subscribe((e) => seen.push(e));
    const s = manager.create({ priority: 3 });
    s.launch(noop());
    await s.synchronize();
    await s.destroy();
    off();
    const mine = seen.filter((e) => e.type.startsWith("stream."));
    expect(mine[0]).toMatchObject({ type: "stream.created", stream: 1, device: 0, priority: 3 });
    const states = mine.filter((e) => e.type === "stream.state").map((e) => (e as { to: string }).to);
    expect(states).toEqual(["READY", "RUNNING", "COMPLETED", "DESTROYED"]);
    expect(mine.at(-1)).toMatchObject({ type: "stream.destroyed" });
  });

  it("close() reports leaked streams, events and allocations with their ids, then refuses work", async () => {
    const { manager } = setup(factory);
    const kept = manager.create();
    const gone = manager.create();
    await gone.destroy();
    const ev = manager.createEvent();
    const buf = manager.allocate(64, { tag: "leak" });
    const freed = manager.allocate(64);
    manager.release(freed);
    kept.launch(noop(1e9));
    const keptId = kept.id;
    const report = manager.close();
    expect(report.streams).toEqual([keptId]);
    expect(report.events).toEqual([1]);
    expect(report.allocations).toEqual([String(buf)]);
    expect(report.stats.allocations).toEqual({ created: 2, succeeded: 2, released: 1, releaseSucceeded: 1 });
    expect(kept.state).toBe("DESTROYED");
    expectCode(() => ev.query(), "INVALID_HANDLE");
    expectCode(() => manager.create(), "DEVICE_CLOSED");
    expectCode(() => manager.createEvent(), "DEVICE_CLOSED");
    expectCode(() => manager.close(), "DEVICE_CLOSED");
    expectCode(() => manager.release(freed), "INVALID_HANDLE");
  });

  it("close() reports memory allocated through device.allocate directly as leaked too", () => {
    const { manager, device } = setup(factory);
    const direct = device.allocate(128, { tag: "direct" });
    const viaManager = manager.allocate(64);
    const released = device.allocate(32);
    device.release(released);
    const report = manager.close();
    expect(report.allocations).toEqual([String(direct), String(viaManager)]);
    // Only the calls made through the manager are counted in its statistics.
    expect(report.stats.allocations).toEqual({ created: 1, succeeded: 1, released: 0, releaseSucceeded: 0 });
  });

  it.each(BOTH_PROFILES)("validates create options (%s)", (profile) => {
    const { manager } = setup(factory, { profile });
    expect(() => manager.create("x" as never)).toThrow(TypeError);
    expectCode(() => manager.create({ failureMode: "explode" as never }), "INVALID_PARAM");
    expect(() => manager.create({ priority: "high" as never })).toThrow(TypeError);
    expectCode(() => manager.create({ priority: 1.5 }), "INVALID_PARAM");
    expectCode(() => manager.prewarm(-1), "INVALID_PARAM");
  });
});

describe("StreamManager construction", () => {
  it("checks its arguments", () => {
    const device = createDevice(new MockDeviceBackend());
    expect(() => new StreamManager({} as never)).toThrow(TypeError);
    expect(() => new StreamManager(device, { profile: "rocm" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new StreamManager(device, { stickyErrors: "yes" as never })).toThrow(TypeError);
    expect(() => new StreamManager(device, { apiModel: "maybe" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new StreamManager(device, { pool: { bound: -1 } })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new StreamManager(device, { executor: {} as never })).toThrow(TypeError);
    expect(() => new StreamManager(device, { crossDeviceWaits: "maybe" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new StreamManager(device, { defaultStream: "global" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(createStreamManager(device).behaviours).toEqual({
      destroyWaitsForWork: true,
      apiModel: "cann",
      priorityScale: "cann",
      priorityOutOfRange: "clamp",
      stickyErrors: false,
      defaultStream: "per-context",
      crossDeviceWaits: "refuse",
      mallocPadding: "cann",
      freeNull: "error",
      allocationSynchronizes: false,
    });
    expect(createStreamManager(device, { profile: "cuda", stickyErrors: false }).behaviours).toMatchObject({
      destroyWaitsForWork: false,
      apiModel: "cuda",
      stickyErrors: false,
    });
  });

  it("rejects a sync of a destroyed stream as a promise, not a throw", async () => {
    const manager = new StreamManager(createDevice(new MockDeviceBackend()));
    const s = manager.create();
    await s.destroy();
    const r = await outcome(s.synchronize());
    expect(r.ok).toBe(false);
  });
});
