import type { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, noop, outcome, setup } from "./backends.js";

describe.each(BACKENDS)("failure modes on $name", (factory) => {
  it("continue on failure (CANN default): later work runs, the next synchronize reports the error once", async () => {
    const { manager, bed, device } = setup(factory, { profile: "cann" });
    const errors: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type === "error") errors.push(`${e.source}:${e.code}`);
    });
    const s = manager.create();
    const other = manager.create();
    bed.failNext("bad");
    s.launch({ name: "bad" });
    let later = false;
    s.launchHostCallback(() => {
      later = true;
    });
    other.launch(noop());
    const r = await outcome(s.synchronize());
    expect(r.ok).toBe(false);
    const error = (r as { error: NpuError }).error;
    expect(error.code).toBe("KERNEL_FAILED");
    expect(error.message).toContain(`stream ${s.id}`);
    expect(later).toBe(true);
    expect(errors).toEqual([`stream:${s.id}:KERNEL_FAILED`]);
    await s.synchronize(); // reported once
    await other.synchronize();
    s.launch(noop());
    await s.synchronize();
    expect(s.state).toBe("COMPLETED");
  });

  it("stop on failure: every stream of the device stops, new work is refused, synchronize returns the stored error", async () => {
    const { manager, bed } = setup(factory, { profile: "cann" }, { devices: 2 });
    const a = manager.create({ failureMode: "stop" });
    const b = manager.create(); // continue, but on a device with a stop-on-failure stream
    const c = manager.create({ device: 1 });
    expect(a.failureMode).toBe("stop");
    bed.failNext("bad");
    a.launch(noop(10_000));
    a.launch({ name: "bad" });
    let bRan = false;
    b.launch(noop(1_000_000));
    b.launchHostCallback(() => {
      bRan = true;
    });
    c.launch(noop(1_000));
    const ra = await outcome(a.synchronize());
    const rb = await outcome(b.synchronize());
    expect((ra as { error: NpuError }).error.code).toBe("KERNEL_FAILED");
    expect((rb as { error: NpuError }).error).toBe((ra as { error: NpuError }).error);
    expect(bRan).toBe(false);
    expect([a.state, b.state]).toEqual(["ABORTED", "ABORTED"]);
    await c.synchronize();
    expect(c.state).toBe("COMPLETED");
    for (const s of [a, b]) {
      const refused = (() => {
        try {
          s.launch(noop());
        } catch (e) {
          return e as NpuError;
        }
      })();
      expect(refused?.code).toBe("STOPPED_ON_FAILURE");
      expect(refused?.cause).toBe((ra as { error: NpuError }).error);
      expect(() => s.query()).toThrow(expect.objectContaining({ code: "KERNEL_FAILED" }));
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    }
    await expect(manager.synchronize({ device: 0 })).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    await manager.synchronize({ device: 1 });
    const late = manager.create();
    expect(() => late.launch(noop())).toThrow(expect.objectContaining({ code: "STOPPED_ON_FAILURE" }));
    manager.resetDevice(0);
    manager.resetDevice(0); // idempotent
    expect(a.state).toBe("COMPLETED");
    a.launch(noop());
    b.launch(noop());
    await manager.synchronize();
    expect(() => manager.resetDevice(9)).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
  });

  it("sticky errors (CUDA): one failure poisons the device; every later launch and synchronize fails with it", async () => {
    const { manager, bed } = setup(factory, { profile: "cuda" });
    const s = manager.create();
    const t = manager.create();
    bed.failNext("bad");
    t.launch(noop(1_000_000));
    s.launch({ name: "bad" });
    const first = await outcome(s.synchronize());
    const error = (first as { error: NpuError }).error;
    expect(error.code).toBe("KERNEL_FAILED");
    await expect(t.synchronize()).rejects.toBe(error);
    await expect(s.synchronize()).rejects.toBe(error);
    expect(() => t.launch(noop())).toThrow(error);
    expect(() => manager.create()).toThrow(error);
    expect(t.state).toBe("ABORTED");
  });

  it("sticky errors can be turned off under the cuda profile, and on under cann", async () => {
    const off = setup(factory, { profile: "cuda", stickyErrors: false });
    off.bed.failNext("bad");
    const s = off.manager.create();
    s.launch({ name: "bad" });
    await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    s.launch(noop());
    await s.synchronize();

    const on = setup(factory, { profile: "cann", stickyErrors: true });
    on.bed.failNext("bad");
    const u = on.manager.create();
    u.launch({ name: "bad" });
    await expect(u.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    expect(() => u.launch(noop())).toThrow(expect.objectContaining({ code: "KERNEL_FAILED" }));
  });

  it("an event whose record is discarded by a stop rejects its synchronize", async () => {
    const { manager, bed } = setup(factory, { profile: "cann" });
    const a = manager.create({ failureMode: "stop" });
    const ev = manager.createEvent();
    bed.failNext("bad");
    a.launch({ name: "bad" });
    a.launch(noop(1_000_000));
    a.record(ev);
    const r = await outcome(ev.synchronize());
    expect(r.ok).toBe(false);
    // CANN's context in abort state: event query and synchronize fail with the stored error
    expect(() => ev.query()).toThrow(expect.objectContaining({ code: "KERNEL_FAILED" }));
    await expect(ev.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    manager.resetDevice();
    expect(ev.query()).toBe("not-ready"); // its record was discarded
  });

  it("sticky errors (CUDA): event query and synchronize, even of completed records, and stream creation fail too", async () => {
    const { manager, bed } = setup(factory, { profile: "cuda" }, { devices: 2 });
    const s = manager.create();
    const done = manager.createEvent();
    s.launch(noop());
    s.record(done);
    await done.synchronize();
    bed.failNext("bad");
    s.launch({ name: "bad" });
    const error = (await outcome(s.synchronize())) as { error: NpuError };
    expect(error.error.code).toBe("KERNEL_FAILED");
    expect(() => done.query()).toThrow(error.error);
    await expect(done.synchronize()).rejects.toBe(error.error);
    expect(() => manager.create()).toThrow(error.error);
    expect(manager.create({ device: 1 }).device).toBe(1); // another device has its own context
    manager.resetDevice();
    expect(done.query()).toBe("complete");
    await manager.create().synchronize();
  });
});
