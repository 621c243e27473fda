import type { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { CANN_EVENT_FLAGS } from "../src/index.js";
import { BACKENDS, noop, outcome, setup, thrown } from "./backends.js";

const code = (fn: () => unknown): string => thrown(fn).code;

describe.each(BACKENDS)("events on $name", (factory) => {
  it("record, query, synchronize; a waiting stream is BLOCKED until the record completes", async () => {
    const { manager, device } = setup(factory);
    const seen: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type.startsWith("event.")) seen.push(e.type);
    });
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent();
    expect(ev.timing).toBe(true);
    a.launch(noop(1_000_000));
    a.record(ev);
    expect(ev.query()).toBe("not-ready");
    b.waitEvent(ev);
    b.launch(noop());
    expect(b.state).toBe("BLOCKED");
    expect(b.query()).toBe("not-ready");
    await ev.synchronize();
    expect(ev.query()).toBe("complete");
    await b.synchronize();
    expect(b.state).toBe("COMPLETED");
    ev.destroy();
    expect(seen).toEqual(["event.created", "event.recorded", "event.waited", "event.destroyed"]);
  });

  it("a wait captures the record current at call time; a later re-record does not change it", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent();
    const bDone = manager.createEvent();
    a.launch(noop(1_000_000));
    a.record(ev); // record 1
    b.waitEvent(ev); // captures record 1
    b.record(bDone);
    a.launch(noop(5_000_000));
    a.record(ev); // record 2: b does not wait for it
    await manager.synchronize();
    // b finished about 5 ms before record 2
    expect(bDone.elapsedTime(ev)).toBeGreaterThanOrEqual(4.9);
  });

  it("skips the wait when the record already completed or was made on the same stream", async () => {
    const { manager, device } = setup(factory);
    const a = manager.create();
    const ev = manager.createEvent();
    a.launch(noop());
    a.record(ev);
    let waits = 0;
    device.instrumentation.subscribe((e) => {
      if (e.type === "event.waited") waits++;
    });
    a.waitEvent(ev); // same stream: FIFO order already covers it
    await a.synchronize();
    const b = manager.create();
    b.waitEvent(ev); // already complete
    expect(b.query()).toBe("complete");
    expect(waits).toBe(0);
  });

  it("'cuda' profile: a never-recorded event is empty work: wait is a no-op, query is complete", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const s = manager.create();
    const ev = manager.createEvent();
    expect(ev.query()).toBe("complete");
    s.waitEvent(ev);
    s.launch(noop());
    await s.synchronize({ timeoutMs: 1 });
    await ev.synchronize();
  });

  it("'cann' profile: waiting on a never-recorded event is INVALID_PARAM and query is not ready", async () => {
    const { manager } = setup(factory, { profile: "cann" });
    const s = manager.create();
    const ev = manager.createEvent();
    expect(ev.query()).toBe("not-ready");
    expect(code(() => s.waitEvent(ev))).toBe("INVALID_PARAM");
    expect(s.query()).toBe("complete");
    await ev.synchronize(); // nothing to wait for
    const ex = setup(factory, { profile: "cann" }).manager;
    const e2 = ex.createEvent({ api: "ex", flags: CANN_EVENT_FLAGS.SYNC });
    ex.create().waitEvent(e2);
    expect(e2.query()).toBe("complete");
  });

  it("times out an event synchronize with EVENT_SYNC_TIMEOUT on the device clock", async () => {
    const { manager, bed, device } = setup(factory);
    const s = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    s.launch({ name: "stuck" });
    s.record(ev);
    const t0 = device.clock.now();
    const r = await outcome(ev.synchronize({ timeoutMs: 3 }));
    expect((r as { error: NpuError }).error.code).toBe("EVENT_SYNC_TIMEOUT");
    if (device.clock.mode === "virtual") {
      // at the timer's instant (plus whatever host-side cost a backend charges for the call)
      expect(device.clock.now() - t0).toBeGreaterThanOrEqual(3_000_000);
      expect(device.clock.now() - t0).toBeLessThan(3_100_000);
    }
    await expect(ev.synchronize({ timeoutMs: -2 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
    s.abort();
    await expect(ev.synchronize()).rejects.toMatchObject({ code: "STREAM_ABORT" });
  });

  it("elapsed time in ms, and its error cases: timing off, never recorded, not complete", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const start = manager.createEvent();
    const end = manager.createEvent();
    const untimed = manager.createEvent({ timing: false });
    expect(untimed.timing).toBe(false);
    expect(code(() => start.elapsedTime(end))).toBe("EVENT_NOT_RECORDED");
    s.record(start);
    s.launch(noop(2_000_000));
    s.record(end);
    expect(code(() => start.elapsedTime(end))).toBe("EVENT_NOT_COMPLETE");
    await s.synchronize();
    // 2 ms of kernel, plus the launch's host-side cost on backends that charge one
    const ms = start.elapsedTime(end);
    expect(ms).toBeGreaterThanOrEqual(2);
    expect(ms).toBeLessThan(2.1);
    expect(end.elapsedTime(start)).toBe(-ms);
    s.record(untimed);
    await s.synchronize();
    expect(code(() => start.elapsedTime(untimed))).toBe("EVENT_TIMESTAMP_INVALID");
    expect(code(() => untimed.elapsedTime(end))).toBe("EVENT_TIMESTAMP_INVALID");
    expect(() => start.elapsedTime({} as never)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    // a record that never completes (hung) is not complete
    bed.hangNext("stuck");
    s.launch({ name: "stuck" });
    s.record(end);
    expect(code(() => start.elapsedTime(end))).toBe("EVENT_NOT_COMPLETE");
    s.abort();
  });

  it("§1.2 Reset: a reset task returns the event to never-recorded; issued waits keep their record", async () => {
    const { manager } = setup(factory, { profile: "cann" });
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent({
      api: "with-flag",
      flags: CANN_EVENT_FLAGS.SYNC | CANN_EVENT_FLAGS.TIME_LINE,
    });
    a.launch(noop(1_000_000));
    a.record(ev);
    b.waitEvent(ev);
    const reset = b.resetEvent(ev);
    expect(reset.kind).toBe("reset");
    expect(code(() => ev.elapsedTime(ev))).toBe("EVENT_NOT_RECORDED");
    expect(b.state).toBe("BLOCKED");
    await b.synchronize(); // its wait still completes with a's record
    expect(reset.status).toBe("done");
    expect(ev.query()).toBe("not-ready");
    a.record(ev);
    await ev.synchronize();
    expect(ev.query()).toBe("complete");
  });

  it("destroy before completion is allowed; the counter is freed when the record completes", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const ev = manager.createEvent();
    const id = ev.id;
    a.launch(noop(1_000_000));
    a.record(ev);
    b.waitEvent(ev);
    ev.destroy();
    expect(code(() => ev.query())).toBe("INVALID_HANDLE");
    expect(code(() => ev.destroy())).toBe("INVALID_HANDLE");
    expect(code(() => a.record(ev))).toBe("INVALID_HANDLE");
    // Counted at the call, as CANN's releaseTotal/releaseSucc: the second destroy was refused.
    expect(manager.resourceStats().events).toEqual({
      created: 1,
      succeeded: 1,
      released: 2,
      releaseSucceeded: 1,
    });
    await manager.synchronize();
    expect(id).toBe(1);
    const never = manager.createEvent();
    never.destroy();
    expect(manager.resourceStats().events).toMatchObject({ released: 3, releaseSucceeded: 2 });
  });

  it("validates createEvent options", () => {
    const { manager } = setup(factory);
    expect(() => manager.createEvent({ timing: 1 as never })).toThrow(TypeError);
    expect(() => manager.createEvent({ device: 4 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => manager.createEvent(7 as never)).toThrow(TypeError);
  });
});
