import {
  type HostTask,
  type HostTaskOutcome,
  Instrumentation,
  type InstrumentationEvent,
  NpuError,
  NpuTypeError,
} from "@npurt/core";
import { describe, expect, it, vi } from "vitest";
import { AdaptivePriorities, CallbackScheduler } from "../src/index.js";
import { deferred, flushMicrotasks, virtualTime } from "./helpers.js";

function task(run: () => unknown, extra: Partial<HostTask> = {}) {
  const outcomes: HostTaskOutcome[] = [];
  const t: HostTask = { run, done: (o) => outcomes.push(o), ...extra };
  return { task: t, outcomes };
}

describe("CallbackScheduler as core's HostExecutor", () => {
  it("runs every task exactly once, never inside submit, and reports through done", async () => {
    const scheduler = new CallbackScheduler();
    let ran = 0;
    const ok = task(() => {
      ran++;
      return "value";
    });
    const bad = task(() => {
      throw new Error("nope");
    });
    scheduler.submit(ok.task);
    scheduler.submit(bad.task);
    expect(ran).toBe(0);
    await scheduler.idle();
    expect(ran).toBe(1);
    expect(ok.outcomes).toEqual([{ ok: true, value: "value" }]);
    expect(bad.outcomes).toHaveLength(1);
    const outcome = bad.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(NpuError.isInstance(outcome.error, "CALLBACK_FAILED")).toBe(true);
      expect(((outcome.error as NpuError).cause as Error).message).toBe("nope");
    }
    expect(scheduler.stats()).toMatchObject({ submitted: 2, succeeded: 1, failed: 1, queued: 0, running: 0 });
  });

  it("awaits async tasks and reports rejections", async () => {
    const scheduler = new CallbackScheduler();
    const good = task(async () => 5);
    const bad = task(() => Promise.reject(new Error("async nope")));
    scheduler.submit(good.task);
    scheduler.submit(bad.task);
    await scheduler.idle();
    expect(good.outcomes).toEqual([{ ok: true, value: 5 }]);
    expect(bad.outcomes[0]!.ok).toBe(false);
  });

  it("runs queued tasks by priority (lower first), ties in submission order", async () => {
    const scheduler = new CallbackScheduler({ adaptive: false });
    const log: string[] = [];
    for (const [label, priority] of [
      ["p5", 5],
      ["p0-a", 0],
      ["p2", 2],
      ["p0-b", 0],
      ["default", undefined],
    ] as const) {
      scheduler.submit(task(() => log.push(label), priority === undefined ? {} : { priority }).task);
    }
    await scheduler.idle();
    expect(log).toEqual(["p0-a", "p0-b", "default", "p2", "p5"]);
  });

  it("batches: up to batchSize tasks per turn", async () => {
    const batched = new CallbackScheduler({ sliceMs: 1e9 }); // batchSize 16 by default
    for (let i = 0; i < 40; i++) batched.submit(task(() => {}).task);
    await batched.idle();
    expect(batched.stats().turns).toBe(3);
    const single = new CallbackScheduler({ batchSize: 1, sliceMs: 1e9 });
    for (let i = 0; i < 40; i++) single.submit(task(() => {}).task);
    await single.idle();
    expect(single.stats().turns).toBe(40);
  });

  it("keeps at most `concurrency` async tasks in flight", async () => {
    const scheduler = new CallbackScheduler({ concurrency: 2 });
    let inFlight = 0;
    let peak = 0;
    const gates = Array.from({ length: 6 }, () => deferred());
    for (const gate of gates) {
      scheduler.submit(
        task(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await gate.promise;
          inFlight--;
        }).task,
      );
    }
    await flushMicrotasks();
    expect(scheduler.stats()).toMatchObject({ running: 2, queued: 4 });
    for (const gate of gates) {
      gate.resolve(undefined);
      await flushMicrotasks();
    }
    await scheduler.idle();
    expect(peak).toBe(2);
    expect(scheduler.stats().succeeded).toBe(6);
  });

  it("times out an async task with CALLBACK_TIMEOUT and frees its slot", async () => {
    const time = virtualTime();
    const scheduler = new CallbackScheduler({ clock: time.clock, timeoutMs: 3, concurrency: 1 });
    const hung = task(() => new Promise(() => {}), { label: "hung" });
    const next = task(() => "next");
    scheduler.submit(hung.task);
    scheduler.submit(next.task);
    await flushMicrotasks();
    expect(next.outcomes).toEqual([]);
    time.advanceMs(3);
    await scheduler.idle();
    const outcome = hung.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(NpuError.isInstance(outcome.error, "CALLBACK_TIMEOUT")).toBe(true);
    expect(next.outcomes).toEqual([{ ok: true, value: "next" }]);
    expect(scheduler.stats().timedOut).toBe(1);
  });

  it("times out a synchronous task that ran too long, and clears timers of quick async ones", async () => {
    const time = virtualTime();
    const scheduler = new CallbackScheduler({ clock: time.clock, timeoutMs: 3 });
    const slow = task(() => time.spend(4));
    const quick = task(async () => "quick");
    scheduler.submit(slow.task);
    scheduler.submit(quick.task);
    await scheduler.idle();
    expect(slow.outcomes[0]!.ok).toBe(false);
    expect(quick.outcomes).toEqual([{ ok: true, value: "quick" }]);
    expect(time.clock.pendingTimers).toBe(0);
  });

  it("cancels queued and later tasks with ABORTED when its signal aborts; running ones finish", async () => {
    const controller = new AbortController();
    const scheduler = new CallbackScheduler({ signal: controller.signal, concurrency: 1 });
    const gate = deferred();
    const running = task(() => gate.promise);
    const queued = task(() => "never");
    scheduler.submit(running.task);
    scheduler.submit(queued.task);
    await flushMicrotasks();
    controller.abort(new Error("shutdown"));
    await flushMicrotasks();
    const outcome = queued.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(NpuError.isInstance(outcome.error, "ABORTED")).toBe(true);
      expect(((outcome.error as NpuError).cause as Error).message).toBe("shutdown");
    }
    const late = task(() => "late");
    scheduler.submit(late.task);
    expect(late.outcomes).toEqual([]);
    gate.resolve("finished");
    await scheduler.idle();
    expect(running.outcomes).toEqual([{ ok: true, value: "finished" }]);
    expect(late.outcomes[0]!.ok).toBe(false);
    expect(scheduler.stats().cancelled).toBe(2);
  });

  it("reports a done() that throws to onDoneError instead of the event loop", async () => {
    const onDoneError = vi.fn();
    const scheduler = new CallbackScheduler({ onDoneError });
    const t: HostTask = {
      run: () => 1,
      done: () => {
        throw new Error("bad done");
      },
    };
    scheduler.submit(t);
    await scheduler.idle();
    expect(onDoneError).toHaveBeenCalledWith(expect.objectContaining({ message: "bad done" }), t);
  });

  it("logs a throwing done() by default, and survives a throwing reporter", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const scheduler = new CallbackScheduler();
    const throwing = {
      run: () => 1,
      done: () => {
        throw new Error("x");
      },
    };
    scheduler.submit(throwing);
    await scheduler.idle();
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    const hostile = new CallbackScheduler({
      onDoneError: () => {
        throw new Error("reporter");
      },
    });
    hostile.submit(throwing);
    await hostile.idle();
    expect(hostile.stats().succeeded).toBe(1);
  });

  it("reports a result whose then getter throws through done", async () => {
    const scheduler = new CallbackScheduler();
    const hostile = task(() => ({
      // biome-ignore lint/suspicious/noThenProperty: a then getter that throws is the point
      get then(): never {
        throw new Error("then getter");
      },
    }));
    scheduler.submit(hostile.task);
    await scheduler.idle();
    expect(hostile.outcomes).toHaveLength(1);
    const outcome = hostile.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(((outcome.error as NpuError).cause as Error).message).toBe("then getter");
  });

  it("refuses what is not a task", () => {
    const scheduler = new CallbackScheduler();
    expect(() => scheduler.submit(null as unknown as HostTask)).toThrow(NpuTypeError);
    expect(() => scheduler.submit({ run: () => {} } as unknown as HostTask)).toThrow(/task.done/);
    expect(() => scheduler.submit({ run: 1, done: () => {} } as unknown as HostTask)).toThrow(/task.run/);
    expect(() =>
      scheduler.submit({ run: () => {}, done: () => {}, priority: "1" as unknown as number }),
    ).toThrow(NpuTypeError);
    expect(() => scheduler.submit({ run: () => {}, done: () => {}, label: 1 as unknown as string })).toThrow(
      NpuTypeError,
    );
    expect(() =>
      scheduler.submit({ run: () => {}, done: () => {}, expectedDurationMs: "1" as unknown as number }),
    ).toThrow(NpuTypeError);
    expect(scheduler.stats().submitted).toBe(0);
  });

  it("refuses bad options", () => {
    expect(() => new CallbackScheduler({ batchSize: -3 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new CallbackScheduler({ batchSize: 1.5 })).toThrow(/integer/);
    expect(() => new CallbackScheduler({ signal: "stop" as unknown as AbortSignal })).toThrow(NpuTypeError);
    expect(() => new CallbackScheduler({ onDoneError: 1 as unknown as () => void })).toThrow(NpuTypeError);
    expect(() => new CallbackScheduler({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it("run() resolves or rejects with the task's outcome", async () => {
    const scheduler = new CallbackScheduler();
    await expect(
      scheduler.run(() => 7, { priority: 1, label: "seven", expectedDurationMs: 1 }),
    ).resolves.toBe(7);
    await expect(scheduler.run(async () => "a")).resolves.toBe("a");
    await expect(
      scheduler.run(() => {
        throw new Error("r");
      }),
    ).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
    expect(() => scheduler.run("x" as unknown as () => void)).toThrow(NpuTypeError);
  });

  it("emits callback events on its instrumentation bus when someone listens", async () => {
    const bus = new Instrumentation();
    const events: InstrumentationEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const scheduler = new CallbackScheduler({ instrumentation: bus });
    await scheduler.run(() => 1, { label: "one" });
    await scheduler.run(() => Promise.reject(new Error("x"))).catch(() => {});
    expect(events.map((e) => [e.type, "status" in e ? e.status : undefined])).toEqual([
      ["callback.enqueued", undefined],
      ["callback.started", undefined],
      ["callback.finished", "ok"],
      ["callback.enqueued", undefined],
      ["callback.started", undefined],
      ["callback.finished", "error"],
      ["error", undefined],
    ]);
    expect(events[0]).toMatchObject({ label: "one", callback: 1 });
    expect(events[6]).toMatchObject({ code: "CALLBACK_FAILED", source: "callback:2" });
  });

  it("measures its time slices on a virtual clock: yields every sliceMs of virtual time", async () => {
    const time = virtualTime();
    const scheduler = new CallbackScheduler({ clock: time.clock, sliceMs: 3, batchSize: 1 });
    const order: string[] = [];
    for (let i = 0; i < 9; i++) {
      scheduler.submit(
        task(() => {
          order.push("t");
          time.spend(1);
        }).task,
      );
    }
    let running = true;
    const marker = (): void => {
      order.push("|");
      if (running) setImmediate(marker);
    };
    setImmediate(marker);
    await scheduler.idle();
    running = false;
    expect(order.join("").replace(/\|+$/, "")).toBe("ttt|ttt|ttt");
  });

  it("promotes a labelled task that ran longer than 1.5x expected, for its next runs", async () => {
    const time = virtualTime();
    const adaptive = new AdaptivePriorities();
    const scheduler = new CallbackScheduler({ clock: time.clock, adaptive });
    await scheduler.run(() => time.spend(10), { label: "decode", expectedDurationMs: 4, priority: 3 });
    expect(scheduler.stats().promoted).toBe(1);
    expect(adaptive.priorityOf("decode", 3)).toBe(2);
    // Now "decode" (base 3 → 2) overtakes "render" (base 2.5) in the queue.
    const log: string[] = [];
    const done = Promise.all([
      scheduler.run(() => log.push("render"), { label: "render", priority: 2.5 }),
      scheduler.run(() => log.push("decode"), { label: "decode", priority: 3 }),
    ]);
    await done;
    expect(log).toEqual(["decode", "render"]);
  });
});
