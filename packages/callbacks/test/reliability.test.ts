import { NpuError, wallClock } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { CallbackGraph, type CallbackGraphError, CallbackScheduler, ResourceManager } from "../src/index.js";
import { virtualTime } from "./helpers.js";

/** A value whose `String()` throws: no prototype, so no `toString`. */
const unprintable = (): unknown => Object.create(null);

describe("issue 10 defect 3: thrown values whose String() throws", () => {
  it("defect 3: a graph node throwing Object.create(null) fails with CALLBACK_FAILED, policy applied", async () => {
    const thrown = unprintable();
    const graph = new CallbackGraph({ errorPolicy: "skip" });
    const bad = graph.addNode(
      () => {
        throw thrown;
      },
      { label: "bad" },
    );
    const after = graph.addNode(() => "never", { dependsOn: [bad] });
    const other = graph.addNode(() => "other");
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("CALLBACK_FAILED");
    expect(error.failures[0]!.error.cause).toBe(thrown);
    expect(error.failures[0]!.error.message).toContain("unprintable value");
    expect(error.report.status(after)).toBe("skipped");
    expect(error.report.value(other)).toBe("other");
  });

  it("defect 3: a node (with options) rejecting with Object.create(null) fails under the abort policy", async () => {
    const graph = new CallbackGraph({ errorPolicy: "abort" });
    graph.addNode(() => Promise.reject(unprintable()), { label: "async-bad", timeoutMs: 50 });
    graph.addNode(() => new Promise(() => {}));
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("CALLBACK_FAILED");
    expect(error.report.aborted).toBe(true);
    expect(error.report.counts).toEqual({ ok: 0, failed: 1, skipped: 0, cancelled: 1 });
  });

  it("defect 3: a scheduler task throwing or rejecting Object.create(null) still gets done() once", async () => {
    const scheduler = new CallbackScheduler();
    const outcomes: unknown[] = [];
    const thrown = unprintable();
    scheduler.submit({
      run: () => {
        throw thrown;
      },
      done: (o) => outcomes.push(o),
      label: "sync",
    });
    const rejected = scheduler.run(() => Promise.reject(unprintable()), { label: "async" });
    await expect(rejected).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
    await scheduler.idle();
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes as { ok: boolean; error: NpuError }[];
    expect(outcome!.ok).toBe(false);
    expect(NpuError.isInstance(outcome!.error, "CALLBACK_FAILED")).toBe(true);
    expect(outcome!.error.cause).toBe(thrown);
    expect(scheduler.stats()).toMatchObject({ failed: 2, running: 0, queued: 0 });
  });
});

describe("issue 10 defect 4: huge timeouts on a virtual clock", () => {
  it("defect 4: a timeoutMs near 1.8e302 is refused at construction (graph, node, scheduler)", () => {
    const { clock } = virtualTime();
    for (const bad of [1.8e302, Number.MAX_VALUE, 1e16, Number.POSITIVE_INFINITY, Number.NaN, -1, 0]) {
      expect(() => new CallbackGraph({ clock, timeoutMs: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_PARAM" }),
      );
      expect(() => new CallbackScheduler({ clock, timeoutMs: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_PARAM" }),
      );
      expect(() => new CallbackGraph({ clock }).addNode(() => {}, { timeoutMs: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_PARAM" }),
      );
    }
    expect(() => new CallbackScheduler({ clock, timeoutMs: "5" as unknown as number })).toThrow(TypeError);
  });

  it("defect 4: the longest accepted timeout arms and the run still completes on a virtual clock", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock, timeoutMs: 9_007_199_254 });
    graph.addNode(() => Promise.resolve("ok"));
    const report = await graph.run();
    expect(report.value(0)).toBe("ok");
    expect(time.clock.pendingTimers).toBe(0);
    const scheduler = new CallbackScheduler({ clock: time.clock, timeoutMs: 9_007_199_254 });
    await expect(scheduler.run(() => Promise.resolve(7))).resolves.toBe(7);
  });

  it("defect 4: a clock whose setTimer throws fails the node or task instead of hanging", async () => {
    const base = wallClock();
    const refusing = {
      mode: "virtual" as const,
      now: () => 0,
      setTimer: (): number => {
        throw new NpuError("INVALID_PARAM", "timer refused");
      },
      clearTimer: base.clearTimer,
    };
    const graph = new CallbackGraph({ clock: refusing, timeoutMs: 5, errorPolicy: "continue" });
    graph.addNode(() => new Promise(() => {}), { label: "waits" });
    graph.addNode(() => "fine");
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.code).toBe("CALLBACK_FAILED");
    expect((error.failures[0]!.error.cause as NpuError).message).toBe("timer refused");
    expect(error.report.value(1)).toBe("fine");
    const scheduler = new CallbackScheduler({ clock: refusing, timeoutMs: 5 });
    await expect(scheduler.run(() => new Promise(() => {}))).rejects.toMatchObject({
      code: "CALLBACK_FAILED",
    });
    expect(scheduler.stats()).toMatchObject({ running: 0, failed: 1 });
  });
});

describe("issue 10 defect 5: options validated at construction", () => {
  const badClocks: [string, unknown][] = [
    ["an empty object", {}],
    ["a number", 5],
    ["null", null],
    ["a clock without mode", { now: () => 0, setTimer: () => 1, clearTimer: () => {} }],
    ["a clock with a bad mode", { mode: "fast", now: () => 0, setTimer: () => 1, clearTimer: () => {} }],
    ["a clock missing setTimer", { mode: "virtual", now: () => 0, clearTimer: () => {} }],
    [
      "a clock with a throwing getter",
      Object.defineProperty({ mode: "wall", setTimer: () => 1, clearTimer: () => {} }, "now", {
        get() {
          throw new Error("getter");
        },
      }),
    ],
    [
      "a revoked Proxy",
      (() => {
        const p = Proxy.revocable({}, {});
        p.revoke();
        return p.proxy;
      })(),
    ],
  ];
  for (const [name, clock] of badClocks) {
    it(`defect 5: clock = ${name} is a TypeError from CallbackGraph and CallbackScheduler`, () => {
      expect(() => new CallbackGraph({ clock: clock as never })).toThrow(TypeError);
      expect(() => new CallbackScheduler({ clock: clock as never })).toThrow(TypeError);
    });
  }

  it("defect 5: resources and instrumentation of the wrong kind are TypeErrors", () => {
    for (const bad of [{}, 5, "r", null]) {
      expect(() => new CallbackGraph({ resources: bad as never })).toThrow(TypeError);
    }
    for (const bad of [5, {}, "bus", null, { emit: 1 }]) {
      expect(() => new CallbackScheduler({ instrumentation: bad as never })).toThrow(TypeError);
    }
    expect(() => new CallbackGraph({ resources: new ResourceManager() })).not.toThrow();
  });

  it("defect 5: numeric options refuse NaN, ±Infinity, negative, fractional and huge values", () => {
    const cases: [string, unknown[]][] = [
      ["batchSize", [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, 2 ** 60, "4"]],
      ["concurrency", [Number.NaN, Number.NEGATIVE_INFINITY, -1, 0, 2.5, "4"]],
      ["sliceMs", [Number.NaN, Number.POSITIVE_INFINITY, -1, "1"]],
    ];
    for (const [option, values] of cases) {
      for (const value of values) {
        const expected = typeof value === "string" ? TypeError : NpuError;
        expect(() => new CallbackGraph({ [option]: value })).toThrow(expected);
        expect(() => new CallbackScheduler({ [option]: value })).toThrow(expected);
      }
    }
  });
});
