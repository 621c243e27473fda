import { describe, expect, it } from "vitest";
import type { CallbackContext } from "../src/index.js";
import { FifoHostExecutor } from "../src/index.js";
import { BACKENDS, noop, rejection, settle, setup, thrown } from "./backends.js";

/**
 * Issue 8 "Dependencies": the cycle check covers every path of the wait-for graph — plain waits,
 * future waits, blocking host callbacks (their own waits and the serial executor's order) and
 * the legacy default stream's implicit sync — so a record or a callback wait that would close a
 * cycle is refused when issued, wherever it would deadlock, and one that would not is accepted.
 */
describe.each(BACKENDS)("cycle checks over every path of the wait-for graph on $name", (factory) => {
  it("future wait + plain wait: a record behind a plain wait on the future waiter's own later record is refused", async () => {
    const { manager } = setup(factory);
    const c = manager.create();
    const p = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    c.waitEvent(eA, { future: true }); // c waits for p's next record of eA
    c.record(eB); // ... and records eB only after it
    p.waitEvent(eB); // plain: p waits for c's record of eB
    const error = thrown(() => p.record(eA)); // would release c, but sits behind p's wait on c
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    expect(error.details).toMatchObject({ event: eA.id });
    expect((error.details as { streams: number[] }).streams).toEqual(expect.arrayContaining([c.id, p.id]));
    // Refused means not queued: another stream can still break the wait, and everything drains.
    manager.create().record(eA);
    await manager.synchronize();
    expect([c.state, p.state]).toEqual(["COMPLETED", "COMPLETED"]);
  });

  it("future wait + plain wait on an earlier record: no cycle, accepted", async () => {
    const { manager } = setup(factory);
    const c = manager.create();
    const p = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    c.launch(noop(5_000));
    c.record(eB); // before the future wait: p's wait on it does not depend on c's wait
    c.waitEvent(eA, { future: true });
    p.waitEvent(eB);
    p.record(eA);
    await manager.synchronize();
    expect([c.state, p.state]).toEqual(["COMPLETED", "COMPLETED"]);
  });

  it("future wait + a running blocking callback's wait: a record behind the callback is refused", async () => {
    const { manager } = setup(factory);
    const c = manager.create();
    const p = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    c.waitEvent(eA, { future: true });
    c.record(eB);
    let waited: string | undefined;
    p.launchHostCallback(async (ctx) => {
      waited = (await rejection(ctx.waitFor(eB)))?.code ?? "ok"; // no cycle yet: accepted
    });
    await settle(); // the callback runs and waits for c's record of eB
    expect(waited).toBeUndefined();
    const error = thrown(() => p.record(eA)); // behind p's blocking callback, which waits for c
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    expect((error.details as { streams: number[] }).streams).toEqual(expect.arrayContaining([c.id, p.id]));
    manager.create().record(eA);
    await manager.synchronize();
    expect(waited).toBe("ok");
  });

  it("future wait + the serial executor: a record behind a callback queued after a waiting one is refused", async () => {
    const { manager } = setup(factory);
    const c = manager.create();
    const r = manager.create();
    const p = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    c.waitEvent(eA, { future: true });
    c.record(eB);
    let waited: string | undefined;
    r.launchHostCallback(async (ctx) => {
      waited = (await rejection(ctx.waitFor(eB)))?.code ?? "ok";
    });
    await settle(); // r's callback runs and waits for c
    p.launchHostCallback(() => {}); // blocking, and cannot start before r's callback ends
    const error = thrown(() => p.record(eA));
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    expect((error.details as { streams: number[] }).streams).toEqual(expect.arrayContaining([c.id, p.id]));
    manager.create().record(eA);
    await manager.synchronize();
    expect(waited).toBe("ok");
  });

  it("the same program with a concurrent executor has no such path: accepted, and it completes", async () => {
    const { manager } = setup(factory, { executor: new FifoHostExecutor({ concurrency: 4 }) });
    const c = manager.create();
    const r = manager.create();
    const p = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    c.waitEvent(eA, { future: true });
    c.record(eB);
    let waited: string | undefined;
    r.launchHostCallback(async (ctx) => {
      waited = (await rejection(ctx.waitFor(eB)))?.code ?? "ok";
    });
    await settle();
    p.launchHostCallback(() => {});
    p.record(eA);
    await manager.synchronize();
    expect(waited).toBe("ok");
  });

  it("future wait + legacy implicit sync (cuda): a record on the legacy stream behind its barrier is refused", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const legacy = manager.defaultStream();
    const x = manager.create(); // a blocking stream: the legacy stream's ops wait for its work so far
    const eA = manager.createEvent();
    x.waitEvent(eA, { future: true });
    legacy.launch(noop()); // implicit sync: this kernel waits for x's future wait
    const error = thrown(() => legacy.record(eA));
    expect(error.code).toBe("CYCLE_DEPENDENCY");
    // A non-blocking stream skips the implicit sync, so its record is accepted.
    const nb = manager.create({ nonBlocking: true });
    nb.record(eA);
    await manager.synchronize();
    expect(x.state).toBe("COMPLETED");
  });

  it("a callback wait whose record sits behind a future wait on the callback's own stream is refused", async () => {
    const { manager } = setup(factory);
    const a = manager.create();
    const b = manager.create();
    const eA = manager.createEvent();
    const eB = manager.createEvent();
    let error: string | undefined;
    b.waitEvent(eA, { future: true });
    a.launchHostCallback(async (ctx) => {
      error = (await rejection(ctx.waitFor(eB)))?.code ?? "ok";
    });
    a.record(eA); // releases b's future wait, but only after a's callback
    b.record(eB); // behind b's future wait
    await manager.synchronize();
    expect(error).toBe("CYCLE_DEPENDENCY");
  });
});

describe.each(BACKENDS)(
  "a CallbackContext kept after its callback finished on $name (issue 10 defect 9)",
  (factory) => {
    it("waits like an event synchronize: no false CYCLE_DEPENDENCY for a record on its own stream", async () => {
      const { manager } = setup(factory);
      const a = manager.create();
      const ev = manager.createEvent();
      let kept: CallbackContext | undefined;
      a.launchHostCallback((ctx) => {
        kept = ctx;
      });
      await a.synchronize();
      a.launch(noop(10_000));
      a.record(ev); // on the stream the finished callback was launched on
      await expect(kept!.waitFor(ev)).resolves.toBeUndefined();
      expect(ev.query()).toBe("complete");
    });
  },
);
