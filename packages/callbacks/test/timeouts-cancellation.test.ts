import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { CallbackGraph, CallbackGraphError } from "../src/index.js";
import { deferred, flushMicrotasks, virtualTime } from "./helpers.js";

describe("timeouts", () => {
  it("fails an async callback that outlives its timeout with CALLBACK_TIMEOUT (virtual clock)", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock });
    const started = deferred();
    let aborted: unknown;
    const hung = graph.addNode(
      (ctx) => {
        started.resolve(undefined);
        ctx.signal.addEventListener("abort", () => {
          aborted = ctx.signal.reason;
        });
        return new Promise(() => {});
      },
      { label: "hung", timeoutMs: 5 },
    );
    const after = graph.addNode(() => {}, { dependsOn: [hung] });
    const fine = graph.addNode(() => "fine");
    const run = graph.run();
    await started.promise;
    time.advanceMs(4);
    await flushMicrotasks();
    expect(graph.state).toBe("running");
    time.advanceMs(1);
    const error = (await run.catch((e: unknown) => e)) as CallbackGraphError;
    expect(error).toBeInstanceOf(CallbackGraphError);
    expect(error.code).toBe("CALLBACK_TIMEOUT");
    expect(error.failures[0]!.error.details).toMatchObject({ node: hung, timeoutMs: 5 });
    expect(NpuError.isInstance(aborted, "CALLBACK_TIMEOUT")).toBe(true);
    expect(error.report.status(after)).toBe("skipped");
    expect(error.report.value(fine)).toBe("fine");
  });

  it("clears the timer of a callback that finishes in time", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock, timeoutMs: 10 });
    graph.addNode(async () => "quick");
    const report = await graph.run();
    expect(report.value(0)).toBe("quick");
    expect(time.clock.pendingTimers).toBe(0);
  });

  it("fails a synchronous callback that ran past its timeout (measured on the clock)", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock });
    graph.addNode(
      () => {
        time.spend(20);
        return "late";
      },
      { timeoutMs: 10, label: "slow-sync" },
    );
    graph.addNode(
      () => {
        time.spend(5);
        return "on time";
      },
      { timeoutMs: 10 },
    );
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("CALLBACK_TIMEOUT");
    expect(error.report.value(0)).toBeUndefined();
    expect(error.report.value(1)).toBe("on time");
  });

  it("ignores the late outcome of a timed-out callback (no unhandled rejection)", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock, errorPolicy: "continue" });
    const late = deferred();
    const started = deferred();
    graph.addNode(
      () => {
        started.resolve(undefined);
        return late.promise;
      },
      { timeoutMs: 1 },
    );
    const run = graph.run().then(
      () => undefined as never,
      (e: unknown) => e as CallbackGraphError,
    );
    await started.promise;
    time.advanceMs(1);
    const error = await run;
    late.reject(new Error("too late"));
    await flushMicrotasks();
    expect(error.failures).toHaveLength(1);
    expect(error.code).toBe("CALLBACK_TIMEOUT");
  });
});

describe("cancellation with AbortSignal", () => {
  it("stops a run: nothing else starts, running callbacks see the signal, the run rejects ABORTED", async () => {
    const graph = new CallbackGraph({ batchSize: 1 });
    const controller = new AbortController();
    const gate = deferred();
    const log: string[] = [];
    let sawAbort = false;
    const a = graph.addNode((ctx) => {
      log.push("a");
      ctx.signal.addEventListener("abort", () => {
        sawAbort = true;
      });
      return gate.promise;
    });
    graph.addNode(() => log.push("b"), { dependsOn: [a] });
    const run = graph.run({ signal: controller.signal });
    await flushMicrotasks();
    controller.abort(new Error("user cancelled"));
    const error = (await run.catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("ABORTED");
    expect(error.report.aborted).toBe(true);
    expect(error.failures[0]).toMatchObject({ node: undefined, label: "run" });
    expect((error.failures[0]!.error.cause as Error).message).toBe("user cancelled");
    expect(error.report.counts.cancelled).toBe(2);
    expect(sawAbort).toBe(true);
    gate.resolve(undefined);
    await flushMicrotasks();
    expect(log).toEqual(["a"]);
  });

  it("an already aborted signal cancels every node without running any", async () => {
    const graph = new CallbackGraph();
    let ran = false;
    graph.addNode(() => {
      ran = true;
    });
    const error = (await graph
      .run({ signal: AbortSignal.abort() })
      .catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("ABORTED");
    expect(error.report.status(0)).toBe("cancelled");
    expect(ran).toBe(false);
    expect(graph.state).toBe("finished");
  });

  for (const withOptions of [false, true]) {
    it(`a callback that aborts the run stops it: nothing else starts (${withOptions ? "labelled" : "plain"} nodes)`, async () => {
      const controller = new AbortController();
      const graph = new CallbackGraph();
      const ran: number[] = [];
      for (let i = 0; i < 5; i++) {
        const callback = (): number => {
          ran.push(i);
          if (i === 1) controller.abort();
          return i;
        };
        graph.addNode(callback, withOptions ? { label: `n${i}` } : undefined);
      }
      const error = (await graph
        .run({ signal: controller.signal })
        .catch((e: unknown) => e)) as CallbackGraphError;
      expect(error.code).toBe("ABORTED");
      expect(ran).toEqual([0, 1]);
      expect(error.report.counts).toEqual({ ok: 1, failed: 0, skipped: 0, cancelled: 4 });
      // The report does not change afterwards: the aborting callback stays cancelled.
      expect(error.report.status(1)).toBe("cancelled");
      expect(error.report.value(1)).toBeUndefined();
      await flushMicrotasks();
      expect(ran).toEqual([0, 1]);
    });
  }

  it("a callback that aborts the run and then rejects: no timer left, no unhandled rejection", async () => {
    const time = virtualTime();
    const controller = new AbortController();
    const graph = new CallbackGraph({ clock: time.clock, timeoutMs: 5 });
    graph.addNode(() => {
      controller.abort();
      return Promise.reject(new Error("after the abort"));
    });
    const error = (await graph
      .run({ signal: controller.signal })
      .catch((e: unknown) => e)) as CallbackGraphError;
    await flushMicrotasks();
    expect(error.failures.map((f) => f.error.code)).toEqual(["ABORTED"]);
    expect(error.report.status(0)).toBe("cancelled");
    expect(time.clock.pendingTimers).toBe(0);
  });

  it("a signal aborted after the run finished changes nothing", async () => {
    const controller = new AbortController();
    const graph = new CallbackGraph();
    graph.addNode(() => 1);
    const report = await graph.run({ signal: controller.signal });
    controller.abort();
    expect(report.ok).toBe(true);
  });
});
