import { type InstrumentationEvent, NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, outcome, settle, setup } from "./backends.js";

describe.each(BACKENDS)("stream ops on $name", (factory) => {
  it("runs copies and fills in order and moves the bytes", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const a = manager.allocate(16);
    const b = manager.allocate(16);
    const out = new Uint8Array(16);
    s.fill({ dst: a, value: 7 });
    s.copy({ src: a, dst: b });
    s.copy({ src: new Uint8Array(4).fill(9), dst: { buffer: b, offset: 4, bytes: 4 } });
    s.copy({ src: b, dst: out });
    expect(s.query()).toBe("not-ready");
    expect(s.state).toBe("RUNNING");
    await s.synchronize();
    expect([...out]).toEqual([7, 7, 7, 7, 9, 9, 9, 9, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(s.query()).toBe("complete");
    expect(s.state).toBe("COMPLETED");
    await s.destroy();
  });

  it("refuses malformed ops with the core's checks, without counting them", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    expect(() => s.launch(null as never)).toThrow(TypeError);
    expect(() => s.launch({ name: 3 } as never)).toThrow(TypeError);
    expect(() => s.launch({ name: "k", blockDim: 10_000 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => s.fill({ dst: manager.allocate(4), value: 300 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => s.copy({ src: new Uint8Array(2), dst: new Uint8Array(2) })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(s.query()).toBe("complete");
    await s.synchronize();
    expect(() => s.launchHostCallback("nope" as never)).toThrow(TypeError);
    expect(() => s.launchHostCallback(() => {}, { blocking: "yes" as never })).toThrow(TypeError);
    expect(() => s.waitEvent({} as never)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    await expect(s.synchronize({ timeoutMs: -2 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
    await expect(s.synchronize({ timeoutMs: -0.5 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
    await expect(s.synchronize({ timeoutMs: Number.NaN })).rejects.toMatchObject({ code: "INVALID_PARAM" });
    await expect(s.synchronize({ timeoutMs: "1" as never })).rejects.toBeInstanceOf(TypeError);
  });

  // runtime-semantics §1.7 "Stream sync timeout": aclrtSynchronizeStreamWithTimeout, -1 = forever.
  it.each(BOTH_PROFILES)(
    "§1.7: timeoutMs -1 waits forever, as CANN's *WithTimeout calls (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const s = manager.create();
      const ev = manager.createEvent();
      s.launch(noop(5e9)); // 5 s of device time
      s.record(ev);
      await s.synchronize({ timeoutMs: -1 });
      await ev.synchronize({ timeoutMs: -1 });
      await manager.synchronize({ timeoutMs: -1 });
      expect(s.query()).toBe("complete");
    },
  );

  it("issue 10 defect 4: a timeout too long for the clock (1.8e302 ms) is forever, and leaves no waiter behind", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    s.launch(noop(1_000));
    await s.synchronize({ timeoutMs: 1.8e302 });
    bed.failNext("bad");
    s.launch(noop(1_000, "bad"));
    // The failure reaches this synchronize: no stale waiter took it.
    await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
  });

  it("issue 10 defect 4: a device synchronize that times out does not consume another stream's failure", async () => {
    const { manager, bed } = setup(factory);
    const failing = manager.create();
    const slow = manager.create();
    bed.failNext("bad");
    failing.launch(noop(1_000, "bad"));
    bed.hangNext("stuck");
    slow.launch(noop(1_000, "stuck")); // runs until aborted
    await expect(manager.synchronize({ timeoutMs: 10 })).rejects.toMatchObject({
      code: "STREAM_SYNC_TIMEOUT",
    });
    // The kernel failure is still reported, at the next synchronize that covers its stream.
    await expect(failing.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    slow.abort();
  });

  it("times out a synchronize on the device clock with STREAM_SYNC_TIMEOUT, deterministically", async () => {
    const { manager, device, bed } = setup(factory);
    const s = manager.create();
    bed.hangNext("stuck");
    s.launch({ name: "stuck" });
    const t0 = device.clock.now();
    const r = await outcome(s.synchronize({ timeoutMs: 5 }));
    expect(r.ok).toBe(false);
    expect(NpuError.isInstance((r as { error: unknown }).error, "STREAM_SYNC_TIMEOUT")).toBe(true);
    if (device.clock.mode === "virtual") {
      // at the timer's instant (plus whatever host-side cost a backend charges for the call)
      expect(device.clock.now() - t0).toBeGreaterThanOrEqual(5_000_000);
      expect(device.clock.now() - t0).toBeLessThan(5_100_000);
    }
    expect(s.state).toBe("RUNNING");
    s.abort();
    await s.synchronize();
    expect(s.state).toBe("COMPLETED");
    await s.destroy();
  });

  it("a synchronize that finishes in time clears its timer and resolves", async () => {
    const { manager, device } = setup(factory);
    const s = manager.create();
    s.launch(noop(1_000));
    await s.synchronize({ timeoutMs: 1 });
    await s.synchronize({ timeoutMs: Number.POSITIVE_INFINITY });
    if (device.clock.mode === "virtual") expect(device.clock.now()).toBeLessThan(1_000_000);
  });

  it("synchronizes the whole device, with a timeout", async () => {
    const { manager, bed } = setup(factory, {}, { devices: 2 });
    const a = manager.create();
    const b = manager.create({ device: 1 });
    const c = manager.create();
    let ran = 0;
    a.launch(noop(10_000));
    b.launch(noop(20_000));
    a.launchHostCallback(() => ran++, { blocking: false });
    await manager.synchronize();
    expect(ran).toBe(1);
    expect([a.query(), b.query(), c.query()]).toEqual(["complete", "complete", "complete"]);
    await manager.synchronize({ device: 1 }); // nothing pending: resolves at once
    bed.hangNext("stuck");
    b.launch({ name: "stuck" });
    a.launch(noop());
    await manager.synchronize({ device: 0, timeoutMs: 1 });
    await expect(manager.synchronize({ timeoutMs: 2 })).rejects.toMatchObject({
      code: "STREAM_SYNC_TIMEOUT",
    });
    await expect(manager.synchronize({ device: 5 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
    b.abort();
    await manager.synchronize();
  });

  it("device synchronize waits for destroyed streams still draining, and reports a failure once", async () => {
    const { manager, bed } = setup(factory, { profile: "cuda", stickyErrors: false });
    const s = manager.create();
    s.launch(noop(50_000));
    const destroyed = s.destroy(); // cuda: resolved at once
    expect(manager.stats().draining).toBe(1);
    await destroyed;
    await manager.synchronize();
    expect(manager.stats().draining).toBe(0);
    const t = manager.create();
    bed.failNext("bad");
    t.launch({ name: "bad" });
    await expect(manager.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    await manager.synchronize();
    await t.synchronize();
  });

  it("abort() discards queued work, rejects a pending synchronize with STREAM_ABORT, then the stream works again", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    let ran = false;
    s.launch(noop(100_000));
    s.launchHostCallback(() => {
      ran = true;
    });
    s.launch(noop(100_000));
    const pending = outcome(s.synchronize());
    s.abort();
    expect(s.state).toBe("ABORTED");
    expect(() => s.launch(noop())).toThrow(expect.objectContaining({ code: "STREAM_ABORT" }));
    const r = await pending;
    expect(r.ok).toBe(false);
    expect((r as { error: NpuError }).error.code).toBe("STREAM_ABORT");
    await s.synchronize(); // a synchronize issued after the abort waits for the discarded ops
    expect(ran).toBe(false);
    expect(s.state).toBe("COMPLETED");
    expect(manager.resourceStats().callbacks).toEqual({
      created: 1,
      succeeded: 0,
      released: 1,
      releaseSucceeded: 1,
    });
    s.launch(noop());
    await s.synchronize();
    s.abort(); // nothing queued: harmless
    await s.synchronize();
    expect(s.state).toBe("COMPLETED");
  });

  it.each(BOTH_PROFILES)("maps, clamps and orders priorities (%s)", async (profile) => {
    const { manager, device } = setup(factory, { profile });
    const range = manager.priorityRange;
    const levels = device.capabilities.priorities.least - device.capabilities.priorities.greatest + 1;
    if (profile === "cann") expect(range).toEqual({ greatest: 0, least: 7, default: 0 });
    else expect(range).toEqual({ greatest: -(levels - 1), least: 0, default: 0 });
    expect(manager.create().priority).toBe(range.default);
    expect(manager.create({ priority: range.greatest - 50 }).priority).toBe(range.greatest);
    expect(manager.create({ priority: range.least + 50 }).priority).toBe(range.least);
    const queues: number[] = [];
    device.instrumentation.subscribe((e: InstrumentationEvent) => {
      if (e.type === "queue.created") queues.push(e.priority);
    });
    const urgent = manager.create({ priority: range.greatest });
    const lazy = manager.create({ priority: range.least });
    const gate = manager.create();
    const open = manager.createEvent();
    const [lazyDone, urgentDone] = [manager.createEvent(), manager.createEvent()];
    // Both wait for one gate, so their kernels become ready at the same instant; each takes
    // every compute unit, so one must go first.
    const blockDim = device.info().computeUnits;
    gate.launch(noop(50_000));
    gate.record(open);
    lazy.waitEvent(open);
    lazy.launch({ ...noop(10_000), blockDim });
    lazy.record(lazyDone);
    urgent.waitEvent(open);
    urgent.launch({ ...noop(10_000), blockDim });
    urgent.record(urgentDone);
    // queues are created on first use: the gate's, then lazy's, then urgent's
    expect(queues.slice(1)).toEqual([
      device.capabilities.priorities.least,
      device.capabilities.priorities.greatest,
    ]);
    await manager.synchronize();
    if (device.capabilities.priorities.supported) {
      // the urgent stream's ready work is dispatched first although it was submitted later
      expect(urgentDone.elapsedTime(lazyDone)).toBeGreaterThan(0);
    }
  });

  it.each(BOTH_PROFILES)("can refuse out-of-range priorities instead of clamping (%s)", (profile) => {
    const { manager } = setup(factory, { profile, priorityOutOfRange: "error" });
    expect(() => manager.create({ priority: 99 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(manager.create({ priority: manager.priorityRange.least }).priority).toBe(
      manager.priorityRange.least,
    );
  });

  it("destroy with pending work: 'cann' waits for the stream to drain", async () => {
    const { manager, device } = setup(factory, { profile: "cann" });
    const s = manager.create();
    let ran = false;
    s.launch(noop(1_000_000));
    s.launchHostCallback(() => {
      ran = true;
    });
    const t0 = device.clock.now();
    await s.destroy();
    expect(ran).toBe(true);
    if (device.clock.mode === "virtual") expect(device.clock.now() - t0).toBeGreaterThanOrEqual(1_000_000);
    expect(manager.stats()).toMatchObject({ draining: 0, active: 0, pooled: 1 });
  });

  it("destroy with pending work: 'cuda' returns at once and lets the work finish", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const s = manager.create();
    let ran = false;
    s.launch(noop(1_000_000));
    s.launchHostCallback(() => {
      ran = true;
    });
    await s.destroy();
    expect(ran).toBe(false);
    expect(s.state).toBe("DESTROYED");
    expect(() => s.launch(noop())).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    expect(manager.stats().draining).toBe(1);
    await manager.synchronize();
    expect(ran).toBe(true);
    expect(manager.stats()).toMatchObject({ draining: 0, pooled: 1 });
  });

  it.each(BOTH_PROFILES)(
    "force-destroy drops pending work and reports it as aborted (%s)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile });
      const statuses: string[] = [];
      device.instrumentation.subscribe((e) => {
        if (e.type === "op.completed") statuses.push(e.status);
        if (e.type === "callback.finished") statuses.push(`callback:${e.status}`);
      });
      const s = manager.create();
      let ran = false;
      s.launch(noop(1_000_000));
      s.launchHostCallback(() => {
        ran = true;
      });
      const sync = outcome(s.synchronize());
      await s.destroy({ force: true });
      expect(ran).toBe(false);
      expect(statuses).toContain("aborted");
      expect(statuses).toContain("callback:aborted");
      expect((await sync).ok).toBe(false);
      await settle();
      expect(manager.stats().draining).toBe(0);
    },
  );
});
