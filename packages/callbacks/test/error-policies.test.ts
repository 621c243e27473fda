import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { CallbackGraph, CallbackGraphError, type GraphRunReport } from "../src/index.js";

async function runExpectingFailure(graph: CallbackGraph): Promise<CallbackGraphError> {
  try {
    await graph.run();
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackGraphError);
    expect(error).toBeInstanceOf(AggregateError);
    return error as CallbackGraphError;
  }
  throw new Error("the run should have failed");
}

/** boom → child → grandchild, plus an unrelated node. */
function diamond(
  policy: "continue" | "skip" | "abort" | undefined,
  nodePolicy?: "continue" | "skip" | "abort",
) {
  const graph = new CallbackGraph(policy === undefined ? {} : { errorPolicy: policy });
  const log: string[] = [];
  const cause = new Error("kernel exploded");
  const boom = graph.addNode(
    () => {
      log.push("boom");
      throw cause;
    },
    { label: "boom", ...(nodePolicy === undefined ? {} : { errorPolicy: nodePolicy }) },
  );
  const child = graph.addNode(
    (ctx) => {
      log.push(`child sees ${ctx.inputs[0]!.status}: ${ctx.inputs[0]!.error?.message}`);
      return "child";
    },
    { label: "child", dependsOn: [boom] },
  );
  const grandchild = graph.addNode(() => log.push("grandchild"), { label: "grandchild", dependsOn: [child] });
  const other = graph.addNode(() => log.push("other"), { label: "other" });
  return { graph, log, cause, boom, child, grandchild, other };
}

describe("error policies", () => {
  it("continue: dependents still run and see the error; the run reports it with its node", async () => {
    const t = diamond("continue");
    const error = await runExpectingFailure(t.graph);
    expect(t.log).toEqual([
      "boom",
      "other",
      "child sees failed: callback boom#0 failed: kernel exploded",
      "grandchild",
    ]);
    expect(error.code).toBe("CALLBACK_FAILED");
    expect(error.errors).toHaveLength(1);
    expect(error.failures[0]).toMatchObject({ node: t.boom, label: "boom" });
    expect(error.failures[0]!.error.cause).toBe(t.cause);
    expect(error.failures[0]!.error.details).toMatchObject({ node: t.boom, label: "boom" });
    const report: GraphRunReport = error.report;
    expect(report.ok).toBe(false);
    expect(report.aborted).toBe(false);
    expect(report.counts).toEqual({ ok: 3, failed: 1, skipped: 0, cancelled: 0 });
    expect(report.value(t.child)).toBe("child");
  });

  it("skip (the default): every dependent, transitively, is skipped; unrelated nodes run", async () => {
    const t = diamond(undefined);
    const error = await runExpectingFailure(t.graph);
    expect(t.log).toEqual(["boom", "other"]);
    expect(error.report.status(t.child)).toBe("skipped");
    expect(error.report.status(t.grandchild)).toBe("skipped");
    expect(error.report.status(t.other)).toBe("ok");
    expect(error.report.counts).toEqual({ ok: 1, failed: 1, skipped: 2, cancelled: 0 });
  });

  it("skip waits for a dependent's other dependencies before skipping it", async () => {
    const graph = new CallbackGraph({ errorPolicy: "skip" });
    const log: string[] = [];
    const bad = graph.addNode(() => {
      throw new Error("bad");
    });
    const slow = graph.addNode(async () => {
      await Promise.resolve();
      log.push("slow");
    });
    const joined = graph.addNode(() => log.push("joined"), { dependsOn: [bad, slow] });
    const error = await runExpectingFailure(graph);
    expect(log).toEqual(["slow"]);
    expect(error.report.status(joined)).toBe("skipped");
    expect(graph.validate().nodes[joined]!.pending).toBe(0);
  });

  it("abort: the run stops, nothing else starts, the rest is cancelled (ChainBreakException)", async () => {
    const t = diamond("abort");
    const error = await runExpectingFailure(t.graph);
    // "boom" is node 0 and runs first; "other" had not started.
    expect(t.log).toEqual(["boom"]);
    expect(error.report.aborted).toBe(true);
    expect(error.code).toBe("CALLBACK_FAILED");
    expect(error.report.counts).toEqual({ ok: 0, failed: 1, skipped: 0, cancelled: 3 });
    expect(error.report.status(t.other)).toBe("cancelled");
  });

  it("abort aborts the signal that running async callbacks see", async () => {
    const graph = new CallbackGraph({ errorPolicy: "abort" });
    let seenReason: unknown;
    graph.addNode(
      (ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            seenReason = ctx.signal.reason;
            resolve();
          });
        }),
    );
    graph.addNode(async () => {
      await Promise.resolve();
      throw new Error("fatal");
    });
    const error = await runExpectingFailure(graph);
    expect(NpuError.isInstance(seenReason, "CALLBACK_FAILED")).toBe(true);
    expect(error.report.status(0)).toBe("cancelled");
    expect(error.report.status(1)).toBe("failed");
  });

  it("a node's own policy overrides the graph's", async () => {
    const t = diamond("abort", "continue");
    const error = await runExpectingFailure(t.graph);
    expect(t.log).toContain("grandchild");
    expect(error.report.aborted).toBe(false);

    const skipped = diamond("continue", "skip");
    const skipError = await runExpectingFailure(skipped.graph);
    expect(skipped.log).toEqual(["boom", "other"]);
    expect(skipError.report.counts).toEqual({ ok: 1, failed: 1, skipped: 2, cancelled: 0 });

    const aborted = diamond("skip", "abort");
    const abortError = await runExpectingFailure(aborted.graph);
    expect(aborted.log).toEqual(["boom"]);
    expect(abortError.report.aborted).toBe(true);
    expect(abortError.report.counts).toEqual({ ok: 0, failed: 1, skipped: 0, cancelled: 3 });
  });

  it("collects every error, from sync throws and async rejections alike, in order", async () => {
    const graph = new CallbackGraph({ errorPolicy: "continue" });
    graph.addNode(() => {
      throw new Error("first");
    });
    graph.addNode(async () => {
      await Promise.resolve();
      throw "second (not an Error)";
    });
    graph.addNode(() => Promise.reject(new Error("third")), { label: "third" });
    const error = await runExpectingFailure(graph);
    expect(error.failures.map((f) => f.node)).toEqual([0, 2, 1]);
    expect(error.errors.map((e) => (e as NpuError).code)).toEqual([
      "CALLBACK_FAILED",
      "CALLBACK_FAILED",
      "CALLBACK_FAILED",
    ]);
    expect(error.message).toContain("3 callbacks failed");
    expect(error.failures[2]!.error.message).toContain("second (not an Error)");
  });

  it("treats a thenable whose then() throws as a failure", async () => {
    const graph = new CallbackGraph();
    graph.addNode(() => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of the test
      then() {
        throw new Error("bad thenable");
      },
    }));
    const error = await runExpectingFailure(graph);
    expect(error.failures[0]!.error.message).toContain("bad thenable");
  });

  it("treats a result whose then getter throws as a failure (no hang, nothing unhandled)", async () => {
    const graph = new CallbackGraph({ errorPolicy: "continue" });
    const hostile = () => ({
      // biome-ignore lint/suspicious/noThenProperty: a then getter that throws is the point
      get then(): never {
        throw new Error("then getter");
      },
    });
    graph.addNode(hostile);
    graph.addNode(hostile, { label: "labelled" });
    const error = await runExpectingFailure(graph);
    expect(error.failures.map((f) => f.error.cause)).toEqual([
      expect.objectContaining({ message: "then getter" }),
      expect.objectContaining({ message: "then getter" }),
    ]);
  });

  it("accepts a thenable that settles synchronously inside then()", async () => {
    const graph = new CallbackGraph();
    const eager = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable that calls back at once is the point
      then(resolve: (v: number) => void) {
        resolve(1);
      },
    };
    const thenable = eager as unknown as PromiseLike<number>;
    const a = graph.addNode(() => thenable);
    const b = graph.addNode(() => thenable, { dependsOn: [a] });
    const c = graph.addNode(() => 3, { dependsOn: [a] });
    const d = graph.addNode(() => 4, { dependsOn: [b, c] });
    const report = await graph.run();
    expect([a, b, c, d].map((id) => report.value(id))).toEqual([1, 1, 3, 4]);
  });
});
