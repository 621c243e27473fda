import { NpuError, wallClock } from "@npurt/core";
import { describe, expect, it } from "vitest";
import {
  CallbackChain,
  CallbackGraph,
  type CallbackGraphError,
  CallbackScheduler,
  ResourceManager,
} from "../src/index.js";
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

describe("issue 10 defect 9: user text in reports, stale contexts", () => {
  it("defect 9: a label with a newline cannot forge a line of validate().toString()", () => {
    const graph = new CallbackGraph();
    graph.addNode(() => {}, { label: "a\nz: pending=0 dependents=0 status=ok" });
    graph.addNode(() => {}, { label: "b", dependsOn: [0] });
    const lines = String(graph.validate()).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      '"a\\nz: pending=0 dependents=0 status=ok"#0: pending=0 dependents=1 status=pending',
    );
    expect(lines[1]).toBe("b#1: pending=1 dependents=0 status=pending");
    // The diagnostics keep the raw label: only the text is escaped.
    expect(graph.validate().nodes[0]!.label).toBe("a\nz: pending=0 dependents=0 status=ok");
  });

  it("defect 9: duplicate labels are told apart in a cycle path by their node ids", () => {
    const graph = new CallbackGraph({ cycleCheck: "run" });
    const a = graph.addNode(() => {}, { label: "step" });
    const b = graph.addNode(() => {}, { label: "step" });
    const c = graph.addNode(() => {}, { label: "step" });
    graph.addEdge(a, b).addEdge(b, c).addEdge(c, b);
    const v = graph.validate();
    expect(v.cycle?.path).toBe("step#1 → step#2 → step#1");
    expect(String(v)).toContain("cycle: step#1 → step#2 → step#1");
    expect(() => graph.run()).toThrow(/the graph has a cycle: step#1 → step#2 → step#1/);
    const eager = new CallbackGraph();
    eager.addNode(() => {}, { label: "x" });
    eager.addNode(() => {}, { label: "x", dependsOn: [0] });
    expect(() => eager.addEdge(1, 0)).toThrow(/edge x#1 → x#0 would close a cycle: x#1 → x#0 → x#1/);
  });

  it("defect 9: a huge label is bounded in messages, and quotes or arrows in it are escaped", async () => {
    const huge = "y".repeat(1_000_000);
    const graph = new CallbackGraph({ errorPolicy: "continue" });
    graph.addNode(
      () => {
        throw new Error("no");
      },
      { label: huge },
    );
    graph.addNode(
      () => {
        throw new Error("no");
      },
      { label: 'a" → "b' },
    );
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures[0]!.error.message.length).toBeLessThan(200);
    expect(error.failures[0]!.label).toBe(huge);
    expect(error.failures[1]!.error.message).toBe('callback "a\\" → \\"b"#1 failed: no');
    const scheduler = new CallbackScheduler();
    const failed = await scheduler
      .run(
        () => {
          throw new Error("no");
        },
        { label: "x\ny" },
      )
      .catch((e: NpuError) => e);
    expect(failed.message).toBe('host task "x\\ny" failed: no');
  });

  it("defect 9: a NodeContext kept after its callback finished refuses resource() with ILLEGAL_STATE (never a false CYCLE_DEPENDENCY); its inputs stay readable", async () => {
    const resources = new ResourceManager();
    resources.define("r", { create: () => "value" });
    const graph = new CallbackGraph({ resources });
    let kept: import("../src/index.js").NodeContext | undefined;
    let during: unknown;
    const first = graph.addNode(() => 1, { label: "first" });
    graph.addNode(
      (ctx) => {
        kept = ctx;
        during = ctx.resource("r");
      },
      { label: "holder", resources: ["r"], dependsOn: [first] },
    );
    await graph.run();
    expect(during).toBe("value");
    expect(() => kept!.resource("r")).toThrow(
      expect.objectContaining({ code: "ILLEGAL_STATE", message: expect.stringMatching(/holder#1 is stale/) }),
    );
    expect(kept!.inputs.map((i) => [i.label, i.status, i.value])).toEqual([["first", "ok", 1]]);
    // Using a stale context's id in another graph is just a number: no cycle is invented.
    const other = new CallbackGraph();
    other.addNode(() => {});
    other.addNode(() => {});
    expect(() => other.addEdge(0, kept!.id)).not.toThrow();
    expect(other.validate().ok).toBe(true);
  });
});

describe("issue 10 defect 5: the audit of every callbacks export", () => {
  const throwingGetter = (key: string): object =>
    Object.defineProperty({}, key, {
      enumerable: true,
      get() {
        throw new Error(`getter ${key}`);
      },
    });
  const revoked = (): object => {
    const p = Proxy.revocable({}, {});
    p.revoke();
    return p.proxy;
  };

  it("defect 5: options bags with throwing getters or revoked Proxies are TypeErrors, everywhere", async () => {
    const noop = () => {};
    // Each call with an option it reads: a getter that is never read is harmless.
    const calls: [string, string, (bag: never) => unknown][] = [
      ["CallbackGraph", "clock", (bag) => new CallbackGraph(bag)],
      ["addNode", "priority", (bag) => new CallbackGraph().addNode(noop, bag)],
      ["graph.run", "signal", (bag) => new CallbackGraph().run(bag)],
      ["CallbackScheduler", "clock", (bag) => new CallbackScheduler(bag)],
      ["scheduler.submit", "run", (bag) => new CallbackScheduler().submit(bag)],
      ["chain.step", "label", (bag) => CallbackChain.start().step(noop, bag)],
    ];
    for (const [name, key, call] of calls) {
      for (const bag of [throwingGetter(key), revoked()]) {
        let thrown: unknown;
        try {
          call(bag as never);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `${name} accepted a bad bag`).toBeDefined();
        expect(thrown instanceof TypeError || NpuError.isInstance(thrown), name).toBe(true);
      }
    }
    await expect(
      CallbackChain.start().run(undefined, throwingGetter("clock") as never),
    ).rejects.toBeInstanceOf(TypeError);
  });

  it("defect 5: a task whose getters change after submit is run and reported as it was checked", async () => {
    const scheduler = new CallbackScheduler();
    let reads = 0;
    const outcomes: unknown[] = [];
    const task = {
      run: () => "value",
      done: (o: unknown) => outcomes.push(o),
      get label(): string {
        if (reads++ > 0) throw new Error("label read twice");
        return "once";
      },
    };
    scheduler.submit(task);
    await scheduler.idle();
    expect(outcomes).toEqual([{ ok: true, value: "value" }]);
  });

  it("defect 5: sparse, wrong-typed and unknown dependsOn entries are refused and add no edge", () => {
    const graph = new CallbackGraph();
    graph.addNode(() => {});
    // biome-ignore lint/suspicious/noSparseArray: the sparse array is the bad input under test
    expect(() => graph.addNode(() => {}, { dependsOn: [0, , 0] as number[] })).toThrow(TypeError);
    expect(() => graph.addNode(() => {}, { dependsOn: [0, 1.5] })).toThrow(NpuError);
    expect(() => graph.addNode(() => {}, { dependsOn: [0, 7] })).toThrow(/not a node of this graph/);
    expect(() => graph.addNode(() => {}, { dependsOn: "0" as never })).toThrow(TypeError);
    expect([graph.size, graph.edgeCount]).toEqual([1, 0]);
  });

  it("defect 5: re-entrant calls from a callback (run, addNode, addEdge on its own graph) fail that node with ILLEGAL_STATE", async () => {
    const graph = new CallbackGraph({ errorPolicy: "continue" });
    graph.addNode(() => graph.run());
    graph.addNode(() => graph.addNode(() => {}));
    graph.addNode(() => graph.addEdge(0, 1));
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures.map((f) => (f.error.cause as NpuError).code)).toEqual([
      "ILLEGAL_STATE",
      "ILLEGAL_STATE",
      "ILLEGAL_STATE",
    ]);
    expect(graph.state).toBe("finished");
    // A scheduler accepts work submitted from inside one of its tasks, and runs it later.
    const scheduler = new CallbackScheduler();
    const inner = await scheduler.run(() => scheduler.run(() => "inner"));
    expect(inner).toBe("inner");
  });

  it("defect 5: ResourceManager checks its clock and instrumentation; define() keeps the functions it checked", () => {
    expect(() => new ResourceManager({ clock: {} as never })).toThrow(TypeError);
    expect(() => new ResourceManager({ instrumentation: 3 as never })).toThrow(TypeError);
    const resources = new ResourceManager();
    let created = 0;
    const definition = {
      create: () => ++created,
    };
    resources.define("k", definition);
    definition.create = () => {
      throw new Error("swapped");
    };
    expect(resources.acquire("k", "h")).toBe(1);
    expect(() => resources.acquire("k\nforged", "h")).toThrow(/unknown resource "k\\nforged"/);
  });
});
