import { describe, expect, it } from "vitest";
import { StreamManager } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, settle, setup } from "./backends.js";

describe.each(BACKENDS)("issue 10 regressions in streams on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "defect 7: after manager.close() a force-destroyed stream's callback never runs (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const ran: string[] = [];
      const s = manager.create();
      s.launch(noop(10_000));
      const queued = s.launchHostCallback(() => ran.push("queued"));
      const t = manager.create();
      const reached = t.launchHostCallback(() => ran.push("reached"));
      manager.close();
      await settle(50);
      expect(ran).toEqual([]);
      expect([queued.status, reached.status]).toEqual(["aborted", "aborted"]);
    },
  );

  it.each(BOTH_PROFILES)(
    "defect 2: abort() discards a host callback queued just before, even when device time ran ahead (%s)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile });
      const s = manager.create();
      // Let device time run ahead of the host: the host awaits a wall timer while the device idles.
      s.launch(noop(1_000));
      await s.synchronize();
      await new Promise((r) => setTimeout(r, 5));
      const ran: string[] = [];
      const cb = s.launchHostCallback(() => ran.push("cb"));
      s.abort();
      await settle(50);
      expect(ran).toEqual([]);
      expect(cb.status).toBe("aborted");
      expect(device.closed).toBe(false);
    },
  );

  it.each(BOTH_PROFILES)(
    "defect 1: a record issued while a future wait is pending does not release waits on the earlier record (%s)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile });
      const [producer, consumer, future, other] = [
        manager.create(),
        manager.create(),
        manager.create(),
        manager.create(),
      ];
      const ev = manager.createEvent();
      const slow = producer.launch(noop(1_000_000));
      producer.record(ev);
      consumer.waitEvent(ev); // captures the producer's record
      const consumed = consumer.launch(noop(10));
      future.waitEvent(ev, { future: true }); // waits for the next record
      const next = future.launch(noop(10));
      const record2 = other.record(ev); // the next record, on an idle stream: completes at once
      await manager.synchronize();
      expect(consumed.startNs!).toBeGreaterThanOrEqual(slow.endNs!);
      expect(next.startNs!).toBeGreaterThanOrEqual(record2.endNs!);
      // The future wait needed only record 2 (where queues run side by side).
      if (device.capabilities.concurrentQueues) expect(next.startNs!).toBeLessThan(slow.endNs!);
    },
  );
});

describe.each(BACKENDS)("issue 10 defect 9: two managers on one device on $name", (factory) => {
  it("emit distinct stream and callback ids on the device's shared instrumentation bus", async () => {
    const { device, manager: first } = setup(factory);
    const second = new StreamManager(device);
    const seen: { type: string; stream?: number; callback?: number }[] = [];
    const off = device.instrumentation.subscribe((e) => {
      seen.push(e as never);
    });
    const a = first.create();
    const b = second.create();
    expect(a.id).not.toBe(b.id);
    a.launchHostCallback(() => {});
    b.launchHostCallback(() => {});
    await Promise.all([a.synchronize(), b.synchronize()]);
    off();
    const created = seen.filter((e) => e.type === "stream.created").map((e) => e.stream);
    expect(new Set(created).size).toBe(2);
    const callbacks = new Set(seen.filter((e) => e.type === "callback.enqueued").map((e) => e.callback));
    expect(callbacks.size).toBe(2);
    first.close();
    second.close();
  });

  it("emit distinct event ids on the shared bus too", () => {
    const { device, manager: first } = setup(factory);
    const second = new StreamManager(device);
    const seen: number[] = [];
    const off = device.instrumentation.subscribe((e) => {
      if (e.type === "event.created") seen.push(e.event);
    });
    const [a, b] = [first.createEvent(), second.createEvent()];
    off();
    expect(a.id).not.toBe(b.id);
    expect(new Set(seen).size).toBe(2);
    first.close();
    second.close();
  });
});

describe.each(BACKENDS)(
  "a destroyed stream's record is pooled once on $name (found by the soak, seed 104668)",
  (factory) => {
    it("a failing callback that stops the device while its stream drains does not hand the record to two new streams", async () => {
      const { manager } = setup(factory);
      const s = manager.create({ failureMode: "stop" });
      s.launch(noop(30_000));
      s.launchHostCallback(
        () => {
          throw new Error("fails on purpose");
        },
        { blocking: false },
      );
      s.launchHostCallback(async () => {}, { blocking: false });
      s.destroy().catch(() => {});
      await settle(30);
      manager.resetDevice(0);
      const a = manager.create();
      const b = manager.create();
      expect(a.id).not.toBe(b.id);
      expect([a.state, b.state]).toEqual(["READY", "READY"]);
      expect(manager.stats()).toMatchObject({ active: 2 });
      expect(() => manager.close()).not.toThrow();
    });
  },
);
