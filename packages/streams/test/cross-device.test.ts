import { describe, expect, it } from "vitest";
import { BACKENDS, noop, setup } from "./backends.js";

// runtime-semantics §1.2 "Cross-device".
describe.each(BACKENDS)("events across devices on $name", (factory) => {
  it("§1.2 Cross-device (cuda): a stream may wait on another device's event and is ordered by it", async () => {
    const { manager } = setup(factory, { profile: "cuda" }, { devices: 2 });
    const s0 = manager.create({ device: 0 });
    const s1 = manager.create({ device: 1 });
    const ev = manager.createEvent({ device: 0 });
    const k0 = s0.launch(noop(100_000));
    s0.record(ev);
    s1.waitEvent(ev);
    const k1 = s1.launch(noop());
    await manager.synchronize();
    expect(k1.startNs!).toBeGreaterThanOrEqual(k0.endNs!);
  });

  it("§1.2 Cross-device (cann): a wait across devices is INVALID_PARAM", () => {
    const { manager } = setup(factory, { profile: "cann" }, { devices: 2 });
    const s0 = manager.create({ device: 0 });
    const s1 = manager.create({ device: 1 });
    const ev = manager.createEvent({ device: 0 });
    s0.launch(noop());
    s0.record(ev);
    expect(() => s1.waitEvent(ev)).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
  });

  it.each(["cann", "cuda"] as const)(
    "§1.2 Cross-device: a record across devices is INVALID_HANDLE (%s)",
    (profile) => {
      const { manager } = setup(factory, { profile }, { devices: 2 });
      const s1 = manager.create({ device: 1 });
      const ev = manager.createEvent({ device: 0 });
      expect(() => s1.record(ev)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
      expect(s1.query()).toBe("complete"); // nothing was queued
    },
  );
});
