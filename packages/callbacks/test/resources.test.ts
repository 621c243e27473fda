import { Instrumentation, type InstrumentationEvent, NpuError, NpuTypeError } from "@npurt/core";
import { VirtualClock } from "@npurt/core/testing";
import { describe, expect, it, vi } from "vitest";
import { CallbackGraph, type CallbackGraphError, ResourceManager } from "../src/index.js";
import { deferred, flushMicrotasks } from "./helpers.js";

function tracked() {
  const log: string[] = [];
  const manager = new ResourceManager();
  let made = 0;
  manager.define("buffer", {
    create: () => {
      log.push("create");
      return { id: ++made };
    },
    dispose: (value: { id: number }) => log.push(`dispose ${value.id}`),
  });
  return { manager, log };
}

describe("ResourceManager", () => {
  it("creates on the first acquire, counts references, disposes on the last release", () => {
    const { manager, log } = tracked();
    const a = manager.acquire<{ id: number }>("buffer", "a");
    const b = manager.acquire<{ id: number }>("buffer", "b");
    expect(a).toBe(b);
    expect(manager.refCount("buffer")).toBe(2);
    expect(manager.get("buffer")).toBe(a);
    manager.release("buffer", "a");
    expect(log).toEqual(["create"]);
    manager.release("buffer", "b");
    expect(log).toEqual(["create", "dispose 1"]);
    expect(manager.leaks()).toEqual([]);
    expect(() => manager.get("buffer")).toThrow(expect.objectContaining({ code: "ILLEGAL_STATE" }));
  });

  it("lists what is still held, with its holders, as leaks", () => {
    const { manager } = tracked();
    manager.acquire("buffer", "decode");
    manager.acquire("buffer", "decode");
    manager.acquire("buffer", "render");
    expect(manager.leaks()).toEqual([
      { key: "buffer", refCount: 3, holders: ["decode", "decode", "render"] },
    ]);
  });

  it("refuses releases by non-holders, unknown keys, bad definitions, and redefining a held key", () => {
    const { manager } = tracked();
    expect(() => manager.release("buffer", "nobody")).toThrow(/does not hold/);
    expect(() => manager.acquire("nothing", "x")).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
    expect(() => manager.define("x", { create: 1 } as never)).toThrow(NpuTypeError);
    expect(() => manager.define("x", { create: () => 1, dispose: "no" } as never)).toThrow(NpuTypeError);
    expect(() => manager.acquire("buffer", 5 as unknown as string)).toThrow(NpuTypeError);
    manager.acquire("buffer", "h");
    expect(() => manager.define("buffer", { create: () => 0 })).toThrow(
      expect.objectContaining({ code: "ILLEGAL_STATE" }),
    );
    manager.release("buffer", "h");
    manager.define("buffer", { create: () => 0 });
    expect(manager.has("buffer")).toBe(true);
  });

  it("rethrows a failing dispose but counts the resource as released", () => {
    const manager = new ResourceManager();
    manager.define("r", {
      create: () => 1,
      dispose: () => {
        throw new Error("dispose failed");
      },
    });
    manager.acquire("r", "h");
    expect(() => manager.release("r", "h")).toThrow("dispose failed");
    expect(manager.leaks()).toEqual([]);
  });

  it("stamps its events with the clock it is given (the device's)", () => {
    const bus = new Instrumentation();
    const times: number[] = [];
    bus.subscribe((e) => times.push(e.time));
    const clock = new VirtualClock();
    const manager = new ResourceManager({ instrumentation: bus, clock });
    manager.define("r", { create: () => 1 });
    clock.advanceTo(1_000);
    manager.acquire("r", "h");
    clock.advanceTo(5_000);
    manager.release("r", "h");
    expect(times).toEqual([1_000, 5_000]);
  });

  it("emits resource events when someone listens", () => {
    const bus = new Instrumentation();
    const events: InstrumentationEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const manager = new ResourceManager({ instrumentation: bus });
    manager.define("r", { create: () => 1 });
    manager.acquire("r", "h");
    manager.release("r", "h");
    expect(events.map((e) => [e.type, "holders" in e ? e.holders : -1])).toEqual([
      ["resource.acquired", 1],
      ["resource.released", 0],
    ]);
  });
});

describe("resources in a callback graph", () => {
  it("a shared resource lives until the last declaring node is done, then is disposed", async () => {
    const { manager, log } = tracked();
    const graph = new CallbackGraph({ resources: manager });
    const a = graph.addNode(
      (ctx) => {
        log.push(`a uses ${ctx.resource<{ id: number }>("buffer").id}`);
      },
      { label: "a", resources: ["buffer"] },
    );
    graph.addNode(
      (ctx) => {
        log.push(`b uses ${ctx.resource<{ id: number }>("buffer").id}`);
      },
      { label: "b", resources: ["buffer"], dependsOn: [a] },
    );
    const report = await graph.run();
    expect(log).toEqual(["create", "a uses 1", "b uses 1", "dispose 1"]);
    expect(report.leaks).toEqual([]);
  });

  it("releases the resources of failed, skipped and cancelled nodes too", async () => {
    const { manager, log } = tracked();
    const graph = new CallbackGraph({ resources: manager });
    const bad = graph.addNode(
      () => {
        throw new Error("x");
      },
      { resources: ["buffer"] },
    );
    graph.addNode(() => {}, { resources: ["buffer"], dependsOn: [bad] });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.report.counts).toMatchObject({ failed: 1, skipped: 1 });
    expect(log).toEqual(["create", "dispose 1"]);
    expect(manager.leaks()).toEqual([]);

    const aborted = new CallbackGraph({ resources: manager });
    aborted.addNode(() => {}, { resources: ["buffer"] });
    await aborted.run({ signal: AbortSignal.abort() }).catch(() => {});
    expect(manager.leaks()).toEqual([]);
  });

  it("reports a leak: a callback that acquires and never releases", async () => {
    const { manager } = tracked();
    const graph = new CallbackGraph({ resources: manager });
    graph.addNode(() => {
      manager.acquire("buffer", "forgetful callback");
    });
    const report = await graph.run();
    expect(report.leaks).toEqual([{ key: "buffer", refCount: 1, holders: ["forgetful callback"] }]);
  });

  it("a cancelled callback that is still running keeps its resource until it settles", async () => {
    const { manager } = tracked();
    const graph = new CallbackGraph({ resources: manager });
    const gate = deferred();
    graph.addNode(() => gate.promise, { label: "slow", resources: ["buffer"] });
    const controller = new AbortController();
    const run = graph.run({ signal: controller.signal }).then(
      () => undefined as never,
      (e: unknown) => e as CallbackGraphError,
    );
    await flushMicrotasks();
    controller.abort();
    const error = await run;
    expect(error.report.leaks).toEqual([{ key: "buffer", refCount: 1, holders: ["slow"] }]);
    gate.resolve(undefined);
    await flushMicrotasks();
    expect(manager.leaks()).toEqual([]);
  });

  it("a resource that cannot be created aborts the run before anything starts", async () => {
    const manager = new ResourceManager();
    manager.define("ok", { create: () => 1 });
    manager.define("oom", {
      create: () => {
        throw new NpuError("MEMORY_ALLOCATION", "out of memory");
      },
    });
    const graph = new CallbackGraph({ resources: manager });
    let ran = false;
    graph.addNode(() => {
      ran = true;
    });
    graph.addNode(() => {}, { label: "needs memory", resources: ["ok", "oom"] });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures[0]).toMatchObject({ label: "needs memory" });
    expect(NpuError.isInstance(error.failures[0]!.error.cause, "MEMORY_ALLOCATION")).toBe(true);
    expect(ran).toBe(false);
    expect(manager.leaks()).toEqual([]);
  });

  it("a run cancelled before it starts releases nothing it never acquired", async () => {
    const { manager, log } = tracked();
    manager.acquire("buffer", "a"); // held outside the graph by a holder that shares a node's label
    const graph = new CallbackGraph({ resources: manager });
    graph.addNode(() => {}, { label: "a", resources: ["buffer"] });
    const error = (await graph
      .run({ signal: AbortSignal.abort() })
      .catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures.map((f) => f.error.code)).toEqual(["ABORTED"]);
    expect(manager.leaks()).toEqual([{ key: "buffer", refCount: 1, holders: ["a"] }]);
    expect(log).toEqual(["create"]);
  });

  it("a failed acquisition releases only what was acquired, and reports just that failure", async () => {
    const manager = new ResourceManager();
    manager.define("ok", { create: () => 1 });
    manager.define("oom", {
      create: () => {
        throw new NpuError("MEMORY_ALLOCATION", "out of memory");
      },
    });
    const graph = new CallbackGraph({ resources: manager });
    graph.addNode(() => {}, { label: "first", resources: ["ok"] });
    graph.addNode(() => {}, { label: "needs memory", resources: ["oom"] });
    graph.addNode(() => {}, { label: "later", resources: ["ok"] });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatchObject({ label: "needs memory" });
    expect(error.report.counts).toEqual({ ok: 0, failed: 1, skipped: 0, cancelled: 2 });
    expect(manager.leaks()).toEqual([]);
  });

  it("releases once when a hand-made thenable settles twice", async () => {
    const { manager } = tracked();
    manager.acquire("buffer", "twice"); // another reference under the same holder name
    const graph = new CallbackGraph({ resources: manager, errorPolicy: "continue" });
    const twice = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable that breaks the rules is the point
      then(resolve: (v: number) => void, reject: (e: unknown) => void) {
        resolve(1);
        resolve(2);
        reject(new Error("and rejects too"));
      },
    };
    graph.addNode(() => twice as unknown as PromiseLike<number>, { label: "twice", resources: ["buffer"] });
    const report = await graph.run();
    expect(report.value(0)).toBe(1);
    expect(manager.leaks()).toEqual([{ key: "buffer", refCount: 1, holders: ["twice"] }]);
  });

  it("a failing dispose is reported as a failure of the node", async () => {
    const manager = new ResourceManager();
    manager.define("r", {
      create: () => 1,
      dispose: () => {
        throw new Error("dispose failed");
      },
    });
    const graph = new CallbackGraph({ resources: manager });
    graph.addNode(() => {}, { label: "user", resources: ["r"] });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures[0]!.error.message).toContain('releasing resource "r" of user#0 failed');
  });

  it("a dependent sees the failed callback's own error, not its resource's dispose error", async () => {
    const manager = new ResourceManager();
    manager.define("r", {
      create: () => 1,
      dispose: () => {
        throw new Error("dispose failed");
      },
    });
    const graph = new CallbackGraph({ resources: manager, errorPolicy: "continue" });
    const bad = graph.addNode(
      () => {
        throw new Error("callback failed");
      },
      { label: "bad", resources: ["r"] },
    );
    let seen: string | undefined;
    graph.addNode((ctx) => (seen = ctx.inputs[0]!.error?.message), { dependsOn: [bad] });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(seen).toBe("callback bad#0 failed: callback failed");
    expect(error.failures.map((f) => f.error.message)).toEqual([
      'releasing resource "r" of bad#0 failed',
      "callback bad#0 failed: callback failed",
    ]);
  });

  it("a dispose that throws after the run ended is logged, not lost", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const manager = new ResourceManager();
      manager.define("r", {
        create: () => 1,
        dispose: () => {
          throw new Error("late dispose failed");
        },
      });
      const graph = new CallbackGraph({ resources: manager });
      const gate = deferred();
      graph.addNode(() => gate.promise, { label: "slow", resources: ["r"] });
      const controller = new AbortController();
      const run = graph.run({ signal: controller.signal }).then(
        () => undefined as never,
        (e: unknown) => e as CallbackGraphError,
      );
      await flushMicrotasks();
      controller.abort();
      expect((await run).report.leaks).toEqual([{ key: "r", refCount: 1, holders: ["slow"] }]);
      gate.resolve(undefined);
      await flushMicrotasks();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![1]).toMatchObject({
        code: "CALLBACK_FAILED",
        cause: expect.objectContaining({ message: "late dispose failed" }),
      });
      expect(manager.leaks()).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses access to an undeclared resource", async () => {
    const { manager } = tracked();
    const graph = new CallbackGraph({ resources: manager, errorPolicy: "continue" });
    graph.addNode((ctx) => ctx.resource("buffer"), { label: "sneaky" });
    const error = (await graph.run().catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.failures[0]!.error.message).toContain('did not declare resource "buffer"');
  });
});
