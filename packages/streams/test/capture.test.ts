import { describe, expect, it } from "vitest";
import { BACKENDS, noop, settle, setup } from "./backends.js";

describe.each(BACKENDS)("capture at call time across streams on $name", (factory) => {
  it("a wait keeps the record it captured when a faster stream re-records the event", async () => {
    const { manager } = setup(factory);
    const slow = manager.create();
    const fast = manager.create();
    const waiter = manager.createEvent();
    const ev = manager.createEvent();
    const slowDone = manager.createEvent();
    const c = manager.create();
    slow.launch(noop(5_000_000));
    slow.record(ev); // record 1: after 5 ms of work
    slow.record(slowDone);
    c.waitEvent(ev); // captures record 1
    c.record(waiter);
    fast.record(ev); // record 2 on another stream: done at once
    await manager.synchronize();
    // c's wait ended when slow's work did, not when fast re-recorded the event
    expect(slowDone.elapsedTime(waiter)).toBeGreaterThanOrEqual(0);
  });

  it("an event synchronize keeps the record current at the call", async () => {
    const { manager, bed } = setup(factory);
    const slow = manager.create();
    const fast = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    slow.launch({ name: "stuck" });
    slow.record(ev);
    let synced: string | undefined;
    const sync = ev.synchronize().then(
      () => {
        synced = "resolved";
      },
      (e: { code: string }) => {
        synced = e.code;
      },
    );
    fast.record(ev);
    await fast.synchronize();
    await settle();
    // fast's record (the event's latest) completed; slow's, which the synchronize captured, not
    expect(ev.query()).toBe("complete");
    expect(synced).toBeUndefined();
    slow.abort();
    await sync;
    expect(synced).toBe("STREAM_ABORT");
  });

  it("a device-side wait stays BLOCKED on its captured record while another stream re-records", async () => {
    const { manager, bed } = setup(factory);
    const slow = manager.create();
    const fast = manager.create();
    const c = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    slow.launch({ name: "stuck" });
    slow.record(ev);
    c.waitEvent(ev);
    fast.record(ev);
    c.waitEvent(ev); // captures fast's record, already done or about to be
    await fast.synchronize();
    await settle();
    expect(c.state).toBe("BLOCKED");
    expect(manager.findDeadlocks()).toEqual([]); // slow is only slow, as far as anyone knows
    slow.abort();
    await slow.synchronize();
    await settle();
    expect(manager.findDeadlocks()).toEqual([
      expect.objectContaining({ stream: c.id, reason: "producer-aborted", event: ev.id }),
    ]);
    c.abort();
    await manager.synchronize();
  });

  it("the capture holds on an event that served a future wait before", async () => {
    const { manager, bed } = setup(factory);
    const [a, b, slow, fast, c] = Array.from({ length: 5 }, () => manager.create());
    const ev = manager.createEvent();
    b!.waitEvent(ev, { future: true });
    a!.record(ev); // satisfies b's future wait
    bed.hangNext("stuck");
    slow!.launch({ name: "stuck" });
    slow!.record(ev);
    c!.waitEvent(ev); // captures slow's record
    fast!.record(ev);
    await fast!.synchronize();
    await b!.synchronize();
    await settle();
    expect(c!.state).toBe("BLOCKED");
    slow!.abort();
    c!.abort();
    await manager.synchronize();
  });
});
