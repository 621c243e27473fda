import type { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, rejection, settle, setup } from "./backends.js";

describe.each(BACKENDS)("waits from inside host callbacks on $name", (factory) => {
  it("ctx.waitFor waits for another stream's record, and the stream's later work waits for the callback", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const c = manager.create();
    const ready = manager.createEvent();
    const after = manager.createEvent();
    const order: string[] = [];
    c.launch(noop(2_000_000));
    c.record(ready);
    a.launchHostCallback(async (ctx) => {
      expect(ctx).toMatchObject({ stream: a.id, callback: 1 });
      await ctx.waitFor(ready);
      order.push("callback");
    });
    a.record(after);
    await a.synchronize();
    order.push("synchronized");
    expect(order).toEqual(["callback", "synchronized"]);
    expect(ready.elapsedTime(after)).toBeGreaterThanOrEqual(0);
  });

  it.each(BOTH_PROFILES)(
    "ctx.waitFor on a never-recorded, a completed or a foreign event (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const s = manager.create();
      const never = manager.createEvent();
      const done = manager.createEvent();
      s.record(done);
      await s.synchronize();
      const results: string[] = [];
      s.launchHostCallback(async (ctx) => {
        for (const ev of [never, done, {} as never]) {
          results.push((await rejection(ctx.waitFor(ev)))?.code ?? "ok");
        }
      });
      await s.synchronize();
      expect(results).toEqual([profile === "cann" ? "INVALID_PARAM" : "ok", "ok", "INVALID_HANDLE"]);
    },
  );

  it("ctx.waitFor times out on the device clock with EVENT_SYNC_TIMEOUT", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const h = manager.createEvent();
    const hung = manager.create();
    bed.hangNext("stuck");
    hung.launch({ name: "stuck" });
    hung.record(h);
    let code: string | undefined;
    s.launchHostCallback(async (ctx) => {
      code = (await rejection(ctx.waitFor(h, { timeoutMs: 2 })))?.code;
    });
    await s.synchronize();
    expect(code).toBe("EVENT_SYNC_TIMEOUT");
    hung.abort();
  });

  it("refuses, with CYCLE_DEPENDENCY, a callback wait for a record queued behind the callback itself", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const evA = manager.createEvent();
    const evB = manager.createEvent();
    let error: NpuError | undefined;
    a.launchHostCallback(async (ctx) => {
      error = await rejection(ctx.waitFor(evB));
    });
    a.record(evA); // behind the blocking callback
    b.waitEvent(evA);
    b.record(evB); // behind b's wait on a's record
    await manager.synchronize();
    expect(error?.code).toBe("CYCLE_DEPENDENCY");
    expect(error?.message).toContain(`streams ${a.id} → ${b.id} → ${a.id}`);
    expect(error?.details).toMatchObject({ streams: [a.id, b.id], event: evB.id });
  });

  it("refuses, with CYCLE_DEPENDENCY, a callback wait for a record behind a callback queued after it in the serial executor", async () => {
    // Issue 8 "Dependencies": the check sees the executor's order too. b's blocking callback
    // cannot start before a's ends (one callback at a time), and b's record sits behind it: a's
    // wait for that record would never end. Refused when issued, even before b's callback was
    // handed to the executor; findDeadlocks then has nothing to find.
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const evB = manager.createEvent();
    let error: NpuError | undefined;
    a.launchHostCallback(async (ctx) => {
      error = await rejection(ctx.waitFor(evB));
    });
    b.launchHostCallback(() => {}); // queues behind a's callback: the executor runs one at a time
    b.record(evB);
    await manager.synchronize();
    expect(error?.code).toBe("CYCLE_DEPENDENCY");
    expect(error?.details).toMatchObject({ streams: [a.id, b.id], event: evB.id });
    expect(manager.findDeadlocks()).toEqual([]);
  });

  it("a concurrent executor has no such queue: the same program completes", async () => {
    const { FifoHostExecutor } = await import("../src/index.js");
    const { manager } = setup(factory, { executor: new FifoHostExecutor({ concurrency: 4 }) });
    const a = manager.create();
    const b = manager.create();
    const evB = manager.createEvent();
    a.launchHostCallback(async (ctx) => {
      await ctx.waitFor(evB);
    });
    b.launchHostCallback(() => {});
    b.record(evB);
    await manager.synchronize({ timeoutMs: 10 });
  });
});

describe.each(BACKENDS)("callback waits and lost records on $name", (factory) => {
  it("a callback wait learns that its record was discarded, before or while it waits", async () => {
    const { manager, bed } = setup(factory);
    const a = manager.create();
    const p = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    p.launch({ name: "stuck" });
    p.record(ev);
    let code: string | undefined;
    a.launchHostCallback(async (ctx) => {
      code = (await rejection(ctx.waitFor(ev)))?.code;
    });
    await settle();
    p.abort();
    await p.synchronize();
    await a.synchronize();
    expect(code).toBe("STREAM_ABORT"); // the wait learns its record is gone
    expect(manager.findDeadlocks()).toEqual([]);
    let late: string | undefined;
    a.launchHostCallback(async (ctx) => {
      late = (await rejection(ctx.waitFor(ev)))?.code;
    });
    await a.synchronize();
    expect(late).toBe("STREAM_ABORT");
  });
});
