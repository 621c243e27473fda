import { describe, expect, it } from "vitest";
import type { OpHandle } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, setup } from "./backends.js";

/** Whether `later` started only after `earlier` ended (device times of settled handles). */
function startsAfter(later: OpHandle, earlier: OpHandle): boolean {
  return later.startNs! >= earlier.endNs!;
}

// runtime-semantics §1.8 "Default stream".
describe.each(BACKENDS)("default streams on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "§1.8 Kinds: one default stream per device, the same on every call (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile }, { devices: 2 });
      const d0 = manager.defaultStream();
      expect(manager.defaultStream(0)).toBe(d0);
      const d1 = manager.defaultStream(1);
      expect(d1).not.toBe(d0);
      expect([d0.device, d1.device]).toEqual([0, 1]);
      expect(d0.isDefault).toBe(true);
      expect(manager.create().isDefault).toBe(false);
      expect(d0.priority).toBe(manager.priorityRange.default);
      const op = d0.launch(noop());
      await d0.synchronize();
      expect(op.status).toBe("done");
      expect(() => manager.defaultStream(2)).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
      expect(() => manager.defaultStream("0" as never)).toThrow(TypeError);
    },
  );

  it.each(BOTH_PROFILES)(
    "§1.8 Lifetime: destroy refuses it; close takes it without a leak (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const d = manager.defaultStream();
      expect(() => d.destroy()).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
      d.launch(noop());
      const report = manager.close();
      expect(report.streams).toEqual([]);
      expect(d.state).toBe("DESTROYED");
      expect(() => manager.defaultStream()).toThrow(expect.objectContaining({ code: "DEVICE_CLOSED" }));
    },
  );

  it("§1.8 Lifetime: it counts against the device's stream limit", () => {
    const { manager } = setup(factory, {}, { maxQueues: 2 });
    manager.defaultStream();
    manager.create();
    expect(() => manager.create()).toThrow(expect.objectContaining({ code: "NO_STREAM_RESOURCE" }));
  });

  it("§1.8 Implicit sync (CANN): the default stream does not synchronize with created streams", async () => {
    const { manager } = setup(factory, { profile: "cann" });
    const s = manager.create();
    const d = manager.defaultStream();
    const gate = manager.createEvent();
    s.waitEvent(gate, { future: true }); // s is held until the gate is recorded
    const k1 = s.launch(noop());
    const k2 = d.launch(noop());
    await d.synchronize(); // would never finish if d waited for s
    expect([k2.status, k1.status]).toEqual(["done", "pending"]);
    manager.create().record(gate);
    await manager.synchronize();
    expect(k1.status).toBe("done");
  });

  it("§1.8 Implicit sync (CUDA legacy): k_1<<<s>>>; k_2<<<legacy>>>; k_3<<<s>>> — k_2 waits for k_1, k_3 for k_2", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const s = manager.create();
    const legacy = manager.defaultStream();
    const k1 = s.launch(noop(100_000));
    const k2 = legacy.launch(noop(50_000));
    const k3 = s.launch(noop(1_000));
    await manager.synchronize();
    expect(startsAfter(k2, k1)).toBe(true);
    expect(startsAfter(k3, k2)).toBe(true);
  });

  it("§1.8 Implicit sync (CUDA legacy): a legacy op waits for every blocking stream, not for non-blocking ones", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const a = manager.create();
    const b = manager.create();
    const free = manager.create({ nonBlocking: true });
    expect([a.nonBlocking, free.nonBlocking]).toEqual([false, true]);
    const legacy = manager.defaultStream();
    const gate = manager.createEvent();
    const ka = a.launch(noop(80_000));
    const kb = b.launch(noop(120_000));
    free.waitEvent(gate, { future: true }); // held until the gate is recorded
    const kf = free.launch(noop());
    const kl = legacy.launch(noop(1_000));
    await legacy.synchronize(); // would never finish if the legacy stream waited for `free`
    expect(startsAfter(kl, ka) && startsAfter(kl, kb)).toBe(true);
    expect(kf.status).toBe("pending");
    manager.create({ nonBlocking: true }).record(gate);
    await manager.synchronize();
    expect(kf.status).toBe("done");
  });

  it("§1.8 Implicit sync (CUDA per-thread): the default stream is an ordinary blocking stream", async () => {
    const { manager } = setup(factory, { profile: "cuda", defaultStream: "per-thread" });
    const s = manager.create();
    const d = manager.defaultStream();
    expect(d.nonBlocking).toBe(false);
    const gate = manager.createEvent();
    s.waitEvent(gate, { future: true });
    const k1 = s.launch(noop());
    const k2 = d.launch(noop());
    await d.synchronize(); // would never finish if it waited for s
    expect([k2.status, k1.status]).toEqual(["done", "pending"]);
    manager.create().record(gate);
    await manager.synchronize();
  });

  it("a stream aborted while the legacy stream waits on it does not hold the legacy stream forever", async () => {
    const { manager, bed } = setup(factory, { profile: "cuda", stickyErrors: false });
    const s = manager.create();
    const legacy = manager.defaultStream();
    bed.hangNext("stuck");
    s.launch(noop(1_000, "stuck"));
    const kl = legacy.launch(noop(1_000));
    s.abort();
    await legacy.synchronize();
    expect(kl.status).toBe("done");
  });
});
