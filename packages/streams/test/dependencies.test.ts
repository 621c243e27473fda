import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, settle, setup, thrown } from "./backends.js";

describe.each(BACKENDS)("dependencies on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "a future wait holds the stream until the event's next record (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const a = manager.create();
      const b = manager.create();
      const ev = manager.createEvent();
      a.record(ev);
      await a.synchronize();
      b.waitEvent(ev, { future: true }); // the completed record does not count
      b.launch(noop());
      await settle();
      expect(b.state).toBe("BLOCKED");
      expect(manager.findDeadlocks()).toEqual([]); // a record may still come
      a.launch(noop(1_000));
      a.record(ev);
      await b.synchronize();
      expect(b.state).toBe("COMPLETED");
    },
  );

  it("refuses a record that closes a cycle of two streams, naming both", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const c = manager.create();
    const e1 = manager.createEvent();
    const e2 = manager.createEvent();
    a.waitEvent(e1, { future: true });
    a.record(e2);
    b.waitEvent(e2, { future: true }); // waits for a record after the one just made
    a.record(e2); // satisfies b's wait, but sits behind a's wait on e1
    const error = thrown(() => b.record(e1));
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    expect(error.message).toContain(`stream ${a.id}`);
    expect(error.message).toContain(`stream ${b.id}`);
    expect(error.details).toMatchObject({ streams: [a.id, b.id], event: e1.id });
    // the refused record was not queued; another stream can still break the wait
    c.record(e1);
    await manager.synchronize();
    expect([a.state, b.state]).toEqual(["COMPLETED", "COMPLETED"]);
  });

  it("refuses a stream recording the event its own earlier future wait needs", () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const ev = manager.createEvent();
    a.waitEvent(ev, { future: true });
    const error = thrown(() => a.record(ev));
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    expect(error.message).toContain(`${a.id} → ${a.id}`);
    a.abort();
  });

  it("finds cycles through three streams, and none when the record comes before the wait", async () => {
    const { manager } = setup(factory);
    const [x, y, z] = [manager.create(), manager.create(), manager.create()];
    const [ex, ey, ez] = [manager.createEvent(), manager.createEvent(), manager.createEvent()];
    x.waitEvent(ex, { future: true });
    y.waitEvent(ey, { future: true });
    z.waitEvent(ez, { future: true });
    y.record(ex); // x ← y
    z.record(ey); // y ← z
    const error = thrown(() => x.record(ez)); // z ← x closes x ← y ← z ← x
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    for (const s of [x, y, z]) expect(error.message).toContain(`stream ${s.id}`);
    for (const s of [x, y, z]) s.abort();

    // b waits for a's next record; a records first and only then waits for b: no cycle.
    const a = manager.create();
    const b = manager.create();
    const e1 = manager.createEvent();
    const e2 = manager.createEvent();
    b.waitEvent(e2, { future: true });
    a.record(e2);
    a.waitEvent(e1, { future: true });
    b.record(e1);
    await a.synchronize();
    await b.synchronize();
  });

  it("findDeadlocks: a wait on a producer that was aborted, and what waits on it", async () => {
    const { manager, bed } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const c = manager.create();
    const ev = manager.createEvent();
    const evB = manager.createEvent();
    bed.hangNext("stuck");
    a.launch({ name: "stuck" });
    a.record(ev);
    b.waitEvent(ev);
    b.record(evB);
    c.waitEvent(evB);
    await settle();
    expect(manager.findDeadlocks()).toEqual([]); // a is only slow as far as anyone knows
    a.abort();
    await a.synchronize();
    await settle();
    const found = manager.findDeadlocks();
    expect(found).toEqual([
      expect.objectContaining({ stream: b.id, reason: "producer-aborted", event: ev.id, waitsFor: [] }),
      expect.objectContaining({
        stream: c.id,
        reason: "waits-on-deadlocked",
        event: evB.id,
        waitsFor: [b.id],
      }),
    ]);
    expect(found[0]!.message).toContain(`stream ${a.id}`);
    expect(b.state).toBe("BLOCKED");
    // a later record releases it: the counter only grows
    a.record(ev);
    await manager.synchronize();
    expect(manager.findDeadlocks()).toEqual([]);
  });

  it("a stream reusing a force-destroyed producer's pooled slot still waits for its discarded record", async () => {
    const { manager, bed } = setup(factory);
    const a = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    a.launch({ name: "stuck" });
    a.record(ev);
    const aId = a.id;
    await a.destroy({ force: true });
    await manager.synchronize();
    const b = manager.create();
    const c = manager.create();
    expect(manager.stats().reused).toBe(1); // one of them took a's pooled record
    b.waitEvent(ev);
    c.waitEvent(ev);
    // the same wait behaves the same on both: the capture is of a record that was discarded
    expect([b.state, c.state]).toEqual(["BLOCKED", "BLOCKED"]);
    expect(manager.findDeadlocks().map((d) => [d.stream, d.reason])).toEqual([
      [b.id, "producer-destroyed"],
      [c.id, "producer-destroyed"],
    ]);
    expect(manager.findDeadlocks()[0]!.message).toContain(`stream ${aId}`);
    b.abort();
    c.abort();
  });

  it("findDeadlocks: a wait on a producer that was force-destroyed", async () => {
    const { manager, bed } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    a.launch({ name: "stuck" });
    a.record(ev);
    b.waitEvent(ev);
    await a.destroy({ force: true });
    await settle();
    expect(manager.findDeadlocks()).toEqual([
      expect.objectContaining({ stream: b.id, reason: "producer-destroyed", event: ev.id }),
    ]);
    b.abort();
  });

  it("findDeadlocks: a wait for a record that can no longer come (event destroyed)", async () => {
    const { manager } = setup(factory);
    const b = manager.create();
    const ev = manager.createEvent();
    const wait = b.waitEvent(ev, { future: true });
    ev.destroy();
    await settle();
    const [report] = manager.findDeadlocks();
    expect(report).toMatchObject({ stream: b.id, device: 0, reason: "record-never-comes", event: 1 });
    b.abort();
    await b.synchronize();
    expect(wait.status).toBe("aborted");
    expect(manager.findDeadlocks()).toEqual([]);
  });
});
