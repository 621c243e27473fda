import { NpuError, NpuTypeError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { CallbackGraph } from "../src/index.js";
import { deferred, flushMicrotasks } from "./helpers.js";

describe("CallbackGraph: running", () => {
  it("runs each node once, after all its dependencies, and reports values", async () => {
    const graph = new CallbackGraph();
    const log: string[] = [];
    const a = graph.addNode(() => {
      log.push("a");
      return 1;
    });
    const b = graph.addNode(() => {
      log.push("b");
      return 2;
    });
    const c = graph.addNode(
      (ctx) => {
        log.push("c");
        return ctx.inputs.reduce((sum, input) => sum + (input.value as number), 0);
      },
      { dependsOn: [a, b], label: "sum" },
    );
    const d = graph.addNode(() => log.push("d"));
    graph.addEdge(c, d);
    const report = await graph.run();
    expect(log).toEqual(["a", "b", "c", "d"]);
    expect(report.ok).toBe(true);
    expect(report.value(c)).toBe(3);
    expect(report.status(d)).toBe("ok");
    expect(report.counts).toEqual({ ok: 4, failed: 0, skipped: 0, cancelled: 0 });
    expect(graph.state).toBe("finished");
  });

  it("passes data, label and inputs (in id order) to callbacks that declare a parameter", async () => {
    const graph = new CallbackGraph();
    const x = graph.addNode(() => "x", { label: "x" });
    const y = graph.addNode(() => "y", { label: "y" });
    let seen: unknown;
    graph.addNode(
      (ctx) => {
        seen = {
          id: ctx.id,
          label: ctx.label,
          data: ctx.data,
          inputs: ctx.inputs.map((i) => [i.label, i.value]),
        };
      },
      { data: { user: 7 }, dependsOn: [y, x], label: "z" },
    );
    await graph.run();
    expect(seen).toEqual({
      id: 2,
      label: "z",
      data: { user: 7 },
      inputs: [
        ["x", "x"],
        ["y", "y"],
      ],
    });
  });

  it("does not run callbacks inside run(); they start on a later microtask", async () => {
    const graph = new CallbackGraph();
    let ran = false;
    graph.addNode(() => {
      ran = true;
    });
    const promise = graph.run();
    expect(ran).toBe(false);
    expect(graph.state).toBe("running");
    await promise;
    expect(ran).toBe(true);
  });

  it("awaits async callbacks before releasing their dependents", async () => {
    const graph = new CallbackGraph();
    const gate = deferred<number>();
    const log: string[] = [];
    const a = graph.addNode(async () => {
      log.push("a start");
      const v = await gate.promise;
      log.push("a end");
      return v;
    });
    graph.addNode((ctx) => log.push(`b sees ${ctx.inputs[0]!.value}`), { dependsOn: [a] });
    const run = graph.run();
    await flushMicrotasks();
    expect(log).toEqual(["a start"]);
    gate.resolve(42);
    await run;
    expect(log).toEqual(["a start", "a end", "b sees 42"]);
  });

  it("keeps at most `concurrency` async callbacks in flight", async () => {
    const graph = new CallbackGraph({ concurrency: 3 });
    let inFlight = 0;
    let peak = 0;
    for (let i = 0; i < 12; i++) {
      graph.addNode(async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await flushMicrotasks(3);
        inFlight--;
      });
    }
    const report = await graph.run();
    expect(report.counts.ok).toBe(12);
    expect(peak).toBe(3);
  });

  /** Runs `count` independent nodes and returns how many ran between the drain loop's yields. */
  async function bursts(batchSize: number | undefined, count: number): Promise<number[]> {
    const graph = new CallbackGraph(batchSize === undefined ? { sliceMs: 1e9 } : { batchSize, sliceMs: 1e9 });
    const log: string[] = [];
    for (let i = 0; i < count; i++) graph.addNode(() => log.push("n"));
    const run = graph.run();
    // A marker that re-queues itself shows where the drain loop yielded.
    let markers = 0;
    const mark = (): void => {
      log.push("|");
      if (++markers < count + 2) queueMicrotask(mark);
    };
    queueMicrotask(mark);
    await run;
    return log
      .join("")
      .split("|")
      .map((burst) => burst.length)
      .filter((length) => length > 0);
  }

  it("runs up to batchSize ready callbacks per turn, then yields a microtask", async () => {
    expect(await bursts(16, 40)).toEqual([16, 16, 8]);
  });

  it("batches 16 per turn by default (the seed's batch)", async () => {
    expect(await bursts(undefined, 40)).toEqual([16, 16, 8]);
  });

  it("with batchSize 1 yields after every callback", async () => {
    expect(await bursts(1, 4)).toEqual([1, 1, 1, 1]);
  });

  it("runs ready nodes by priority (lower first), ties in the order they became ready", async () => {
    const graph = new CallbackGraph({ batchSize: 1 });
    const log: string[] = [];
    const root = graph.addNode(() => log.push("root"));
    for (const [label, priority] of [
      ["low", 5],
      ["high", 0],
      ["mid-1", 2],
      ["mid-2", 2],
    ] as const) {
      graph.addNode(() => log.push(label), { priority, dependsOn: [root], label });
    }
    await graph.run();
    expect(log).toEqual(["root", "high", "mid-1", "mid-2", "low"]);
  });

  it("runs an empty graph", async () => {
    const report = await new CallbackGraph().run();
    expect(report.ok).toBe(true);
    expect(report.counts.ok).toBe(0);
  });

  it("runs a long chain without deep recursion", async () => {
    const graph = new CallbackGraph();
    let prev = graph.addNode(() => 0);
    for (let i = 1; i < 50_000; i++) {
      const v = graph.addNode(() => i);
      graph.addEdge(prev, v);
      prev = v;
    }
    const report = await graph.run();
    expect(report.value(prev)).toBe(49_999);
  });

  it("rejects report lookups of unknown nodes", async () => {
    const graph = new CallbackGraph();
    graph.addNode(() => {});
    const report = await graph.run();
    expect(() => report.value(5)).toThrow(NpuError);
    expect(() => report.status(-1)).toThrow(/no node/);
  });
});

describe("CallbackGraph: validate() and cycles", () => {
  it("lists each node's pending count and dependents, and its roots", () => {
    const graph = new CallbackGraph();
    const a = graph.addNode(() => {}, { label: "a" });
    const b = graph.addNode(() => {}, { label: "b" });
    const c = graph.addNode(() => {}, { label: "c", dependsOn: [a, b] });
    const v = graph.validate();
    expect(v.ok).toBe(true);
    expect(v.cycle).toBeUndefined();
    expect(v.roots).toEqual([a, b]);
    expect(v.nodes.map((n) => [n.label, n.pending, n.dependents])).toEqual([
      ["a", 0, 1],
      ["b", 0, 1],
      ["c", 2, 0],
    ]);
    expect(String(v)).toContain("c#2: pending=2 dependents=0 status=pending");
    expect(c).toBe(2);
  });

  it("refuses the edge that would close a cycle, naming the cycle", () => {
    const graph = new CallbackGraph();
    const [a, b, c] = ["a", "b", "c"].map((label) => graph.addNode(() => {}, { label })) as [
      number,
      number,
      number,
    ];
    graph.addEdge(a, b).addEdge(b, c);
    let error: unknown;
    try {
      graph.addEdge(c, a);
    } catch (e) {
      error = e;
    }
    expect(NpuError.isInstance(error, "CYCLE_DEPENDENCY")).toBe(true);
    expect((error as NpuError).message).toContain("c#2 → a#0 → b#1 → c#2");
    expect((error as NpuError).details).toMatchObject({ cycle: [c, a, b, c] });
    // The refused edge was not added.
    expect(graph.edgeCount).toBe(2);
  });

  it("checks cycles through edges added out of id order", () => {
    const graph = new CallbackGraph();
    const nodes = [0, 1, 2, 3].map(() => graph.addNode(() => {}));
    graph.addEdge(nodes[3]!, nodes[1]!); // backward in id order, fine
    graph.addEdge(nodes[1]!, nodes[2]!);
    expect(() => graph.addEdge(nodes[2]!, nodes[3]!)).toThrow(/cycle/);
    graph.addEdge(nodes[0]!, nodes[3]!);
    expect(graph.validate().ok).toBe(true);
  });

  it("with cycleCheck 'run', validate() reports the cycle path and run() refuses", () => {
    const graph = new CallbackGraph({ cycleCheck: "run" });
    const a = graph.addNode(() => {}, { label: "a" });
    const b = graph.addNode(() => {}, { label: "b" });
    const c = graph.addNode(() => {}, { label: "c" });
    const d = graph.addNode(() => {}, { label: "d" });
    graph.addEdge(a, b).addEdge(b, c).addEdge(c, b).addEdge(c, d);
    const v = graph.validate();
    expect(v.ok).toBe(false);
    expect(v.cycle?.path).toBe("b#1 → c#2 → b#1");
    expect(v.cycle?.nodes).toEqual([b, c, b]);
    expect(v.nodes[d]!.pending).toBe(1);
    expect(String(v)).toContain("cycle: b#1 → c#2 → b#1");
    expect(() => graph.run()).toThrow(expect.objectContaining({ code: "CYCLE_DEPENDENCY" }));
    expect(graph.state).toBe("building");
  });

  it("shows live pending counts and statuses during a run", async () => {
    const graph = new CallbackGraph();
    const gate = deferred();
    const a = graph.addNode(() => gate.promise, { label: "a" });
    graph.addNode(() => {}, { label: "b", dependsOn: [a] });
    const run = graph.run();
    await flushMicrotasks();
    const during = graph.validate();
    expect(during.nodes.map((n) => [n.label, n.pending, n.status])).toEqual([
      ["a", 0, "running"],
      ["b", 1, "pending"],
    ]);
    gate.resolve(undefined);
    await run;
    expect(graph.validate().nodes.map((n) => n.status)).toEqual(["ok", "ok"]);
  });
});

describe("CallbackGraph: bad input", () => {
  it("refuses a self-edge", () => {
    const graph = new CallbackGraph();
    const a = graph.addNode(() => {}, { label: "a" });
    expect(() => graph.addEdge(a, a)).toThrow(expect.objectContaining({ code: "CYCLE_DEPENDENCY" }));
    expect(() => graph.addEdge(a, a)).toThrow(/cannot depend on itself: a#0 → a#0/);
  });

  it("refuses edges to or from unknown nodes, and ids that are not integers", () => {
    const graph = new CallbackGraph();
    const a = graph.addNode(() => {});
    expect(() => graph.addEdge(a, 1)).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
    expect(() => graph.addEdge(7, a)).toThrow(/not a node of this graph/);
    expect(() => graph.addEdge(-1, a)).toThrow(NpuError);
    expect(() => graph.addEdge(0.5, a)).toThrow(/integer/);
    expect(() => graph.addEdge("0" as unknown as number, a)).toThrow(NpuTypeError);
    expect(() => graph.addNode(() => {}, { dependsOn: [3] })).toThrow(/dependency 3 is not a node/);
    expect(() => graph.addNode(() => {}, { dependsOn: 0 as unknown as number[] })).toThrow(NpuTypeError);
    expect(graph.size).toBe(1);
  });

  it("refuses a callback that is not a function", () => {
    const graph = new CallbackGraph();
    expect(() => graph.addNode("run" as unknown as () => void)).toThrow(NpuTypeError);
    expect(() => graph.addNode(undefined as unknown as () => void)).toThrow(
      /node callback must be a function/,
    );
  });

  it("refuses bad options", () => {
    const graph = new CallbackGraph();
    const noop = () => {};
    expect(() => graph.addNode(noop, { priority: "high" as unknown as number })).toThrow(NpuTypeError);
    expect(() => graph.addNode(noop, { timeoutMs: 0 })).toThrow(/timeoutMs must be in \(0, /);
    expect(() => graph.addNode(noop, { expectedDurationMs: -1 })).toThrow(/must not be negative/);
    expect(() => graph.addNode(noop, { errorPolicy: "retry" as "skip" })).toThrow(/errorPolicy/);
    expect(() => graph.addNode(noop, { resources: "gpu" as unknown as string[] })).toThrow(NpuTypeError);
    expect(() => graph.addNode(noop, { label: 3 as unknown as string })).toThrow(NpuTypeError);
    expect(() => graph.addNode(noop, [] as never)).toThrow(NpuTypeError);
  });

  it("refuses a negative, zero or non-integer batch size and other bad graph options", () => {
    expect(() => new CallbackGraph({ batchSize: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new CallbackGraph({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new CallbackGraph({ batchSize: 2.5 })).toThrow(/batchSize must be an integer/);
    expect(() => new CallbackGraph({ batchSize: "16" as unknown as number })).toThrow(NpuTypeError);
    expect(() => new CallbackGraph({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new CallbackGraph({ errorPolicy: "ignore" as "skip" })).toThrow(/errorPolicy/);
    expect(() => new CallbackGraph({ cycleCheck: "never" as "run" })).toThrow(/cycleCheck/);
    expect(() => new CallbackGraph({ adaptive: {} as never })).toThrow(NpuTypeError);
    expect(() => new CallbackGraph({ timeoutMs: -5 })).toThrow(/timeoutMs/);
    expect(() => new CallbackGraph({ sliceMs: -1 })).toThrow(/sliceMs must not be negative/);
    expect(new CallbackGraph({ concurrency: Number.POSITIVE_INFINITY }).size).toBe(0);
  });

  it("refuses adding to a running or finished graph, and running twice", async () => {
    const graph = new CallbackGraph();
    const gate = deferred();
    const a = graph.addNode(() => gate.promise);
    const run = graph.run();
    expect(() => graph.addNode(() => {})).toThrow(expect.objectContaining({ code: "ILLEGAL_STATE" }));
    expect(() => graph.addEdge(a, a)).toThrow(/cannot add an edge to a graph that is running/);
    expect(() => graph.run()).toThrow(/the graph is running; a graph runs once/);
    gate.resolve(undefined);
    await run;
    expect(() => graph.addNode(() => {})).toThrow(/cannot add a node to a graph that is finished/);
    expect(() => graph.run()).toThrow(expect.objectContaining({ code: "ILLEGAL_STATE" }));
  });

  it("refuses a signal that is not an AbortSignal", () => {
    const graph = new CallbackGraph();
    expect(() => graph.run({ signal: {} as AbortSignal })).toThrow(NpuTypeError);
  });
});

describe("time slices", () => {
  it("are measured on the graph's clock, so a virtual-time run yields at the same points every time", async () => {
    const { VirtualClock } = await import("@npurt/core/testing");
    const runOnce = async () => {
      const clock = new VirtualClock();
      const order: string[] = [];
      const graph = new CallbackGraph({ clock, sliceMs: 2, batchSize: 1 });
      for (let i = 0; i < 6; i++) {
        graph.addNode(() => {
          order.push(`n${i}`);
          clock.advanceTo(clock.now() + 1e6); // each callback "takes" 1 ms of virtual time
        });
      }
      setImmediate(() => order.push("macrotask"));
      await graph.run();
      return order;
    };
    const first = await runOnce();
    // The pump yielded to the event loop before the graph finished: 2 ms of virtual time passed.
    expect(first.indexOf("macrotask")).toBeGreaterThan(0);
    expect(first.indexOf("macrotask")).toBeLessThan(first.length - 1);
    for (let i = 0; i < 3; i++) expect(await runOnce()).toEqual(first);
  });

  it("keep yielding every sliceMs of virtual time, not only the first time", async () => {
    const { VirtualClock } = await import("@npurt/core/testing");
    const clock = new VirtualClock();
    const order: string[] = [];
    const graph = new CallbackGraph({ clock, sliceMs: 2, batchSize: 1 });
    for (let i = 0; i < 12; i++) {
      graph.addNode(() => {
        order.push("n");
        clock.advanceTo(clock.now() + 1e6);
      });
    }
    let running = true;
    const marker = (): void => {
      order.push("|");
      if (running) setImmediate(marker);
    };
    setImmediate(marker);
    await graph.run();
    running = false;
    // 12 ms of work in slices of 2 ms: the event loop gets a turn after every second callback.
    expect(order.join("").replace(/\|+$/, "")).toBe("nn|nn|nn|nn|nn|nn");
  });
});
