import { describe, expect, it } from "vitest";
import { BACKENDS, noop, setup } from "./backends.js";

// runtime-semantics §1.2 "Wait with timeout": aclrtStreamWaitEventWithTimeout; an expired wait
// surfaces as an error from a later sync call.
describe.each(BACKENDS)("stream waits with a timeout on $name", (factory) => {
  it("§1.2 Wait with timeout: a record in time releases the wait, no error", async () => {
    const { manager } = setup(factory);
    const producer = manager.create();
    const consumer = manager.create();
    const ev = manager.createEvent();
    const k1 = producer.launch(noop(100_000)); // 0.1 ms
    producer.record(ev);
    const wait = consumer.waitEvent(ev, { timeoutMs: 50 });
    const k2 = consumer.launch(noop());
    await consumer.synchronize();
    expect(wait.status).toBe("done");
    expect(k2.startNs!).toBeGreaterThanOrEqual(k1.endNs!);
  });

  it("§1.2 Wait with timeout: an expired wait lets the stream go on and its next synchronize reports TASK_TIMEOUT", async () => {
    const { manager, bed } = setup(factory);
    const producer = manager.create();
    const consumer = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    producer.launch(noop(1_000, "stuck")); // never finishes until aborted
    producer.record(ev);
    consumer.waitEvent(ev, { timeoutMs: 2 });
    const after = consumer.launch(noop());
    await expect(consumer.synchronize()).rejects.toMatchObject({ code: "TASK_TIMEOUT" });
    expect(after.status).toBe("done");
    await consumer.synchronize(); // reported once
    producer.abort();
  });

  it("refuses a bad timeout and a future wait with a timeout; an aborted timed wait reports no timeout", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const t = manager.create();
    const ev = manager.createEvent();
    t.launch(noop());
    t.record(ev);
    expect(() => s.waitEvent(ev, { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => s.waitEvent(ev, { timeoutMs: Number.NaN })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => s.waitEvent(ev, { timeoutMs: "5" as never })).toThrow(TypeError);
    expect(() => s.waitEvent(ev, { future: true, timeoutMs: 5 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    await t.synchronize();
    bed.hangNext("stuck");
    t.launch(noop(1_000, "stuck"));
    t.record(ev);
    const wait = s.waitEvent(ev, { timeoutMs: 1 });
    s.abort();
    t.abort();
    await expect(s.synchronize()).resolves.toBeUndefined();
    expect(wait.status).toBe("aborted");
    await new Promise((r) => setTimeout(r, 5));
    await expect(s.synchronize()).resolves.toBeUndefined();
  });
});

// runtime-semantics §1.2 "Wait-status query": aclrtQueryEventWaitStatus.
describe.each(BACKENDS)("event wait status on $name", (factory) => {
  it("§1.2 Wait-status query: not ready while a wait on the event is pending, complete once all are done", async () => {
    const { manager } = setup(factory);
    const producer = manager.create();
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent();
    expect(ev.waitStatus()).toBe("complete"); // no wait issued
    producer.launch(noop(100_000));
    producer.record(ev);
    a.waitEvent(ev);
    b.waitEvent(ev, { timeoutMs: 50 });
    producer.waitEvent(ev); // same stream: FIFO covers it, still a wait until the record is done
    expect(ev.waitStatus()).toBe("not-ready");
    await manager.synchronize();
    expect(ev.waitStatus()).toBe("complete");
    const gate = manager.createEvent();
    a.waitEvent(gate, { future: true });
    expect(gate.waitStatus()).toBe("not-ready");
    a.abort(); // a discarded wait counts as completed
    await a.synchronize().catch(() => {});
    expect(gate.waitStatus()).toBe("complete");
  });
});
