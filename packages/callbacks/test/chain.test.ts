import { NpuError, NpuTypeError } from "@npurt/core";
import { describe, expect, it, vi } from "vitest";
import { CallbackChain, CallbackGraphError, type ChainOutcome, combineChains } from "../src/index.js";
import { flushMicrotasks, virtualTime } from "./helpers.js";

describe("CallbackChain", () => {
  it("runs steps in order, each receiving the previous result, then the completion callback", async () => {
    const outcomes: ChainOutcome<string>[] = [];
    const chain = CallbackChain.start<number>()
      .step((x) => x + 1, { label: "inc" })
      .step(async (x) => x * 10, { label: "scale" })
      .step((x, ctx) => `${ctx.label}:${x}`, { label: "format" })
      .onComplete((outcome) => outcomes.push(outcome));
    expect(chain.length).toBe(3);
    await expect(chain.run(4)).resolves.toBe("format:50");
    await expect(chain.run(0)).resolves.toBe("format:10");
    expect(outcomes).toEqual([
      { ok: true, value: "format:50" },
      { ok: true, value: "format:10" },
    ]);
  });

  it("is immutable: step() returns a new chain", async () => {
    const base = CallbackChain.start<number>().step((x) => x * 2);
    const longer = base.step((x) => x + 1);
    expect(base.length).toBe(1);
    await expect(base.run(3)).resolves.toBe(6);
    await expect(longer.run(3)).resolves.toBe(7);
  });

  it("an empty chain returns its input", async () => {
    await expect(CallbackChain.start<string>().run("same")).resolves.toBe("same");
  });

  it("breaks on the first failure by default (ChainBreakException) and reports it", async () => {
    const later = vi.fn();
    const outcomes: ChainOutcome<unknown>[] = [];
    const chain = CallbackChain.start<number>()
      .step(
        () => {
          throw new Error("feature store down");
        },
        { label: "features" },
      )
      .step(later)
      .onComplete((o) => outcomes.push(o));
    const error = (await chain.run(1).catch((e: unknown) => e)) as CallbackGraphError;
    expect(error).toBeInstanceOf(CallbackGraphError);
    expect(error.failures[0]).toMatchObject({ label: "features" });
    expect(error.report.status(1)).toBe("cancelled");
    expect(later).not.toHaveBeenCalled();
    expect(outcomes).toEqual([{ ok: false, error }]);
  });

  it("with 'continue', the next step receives the last good value and the error is still reported", async () => {
    const chain = CallbackChain.start<number>()
      .step((x) => x + 1)
      .step(
        () => {
          throw new Error("optional enrichment failed");
        },
        { errorPolicy: "continue" },
      )
      .step((x) => x * 100);
    const error = (await chain.run(1).catch((e: unknown) => e)) as CallbackGraphError;
    expect(error.report.value(2)).toBe(200);
    expect(error.failures).toHaveLength(1);
  });

  it("times out a step with CALLBACK_TIMEOUT; under 'continue' a late result does not feed the next step", async () => {
    const time = virtualTime();
    const seen: unknown[] = [];
    const chain = CallbackChain.start<string>()
      .step((x) => `${x}+1`)
      .step(
        // Cooperative cancellation: on its signal, the step resolves with a partial result.
        (_, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve("partial"))),
        { label: "slow", timeoutMs: 5, errorPolicy: "continue" },
      )
      .step((x) => {
        seen.push(x);
        return `${x}+3`;
      });
    const run = chain.run("in", { clock: time.clock }).then(
      () => undefined as never,
      (e: unknown) => e as CallbackGraphError,
    );
    await flushMicrotasks();
    time.advanceMs(5);
    const error = await run;
    expect(error.code).toBe("CALLBACK_TIMEOUT");
    expect(error.failures[0]).toMatchObject({ label: "slow" });
    expect(seen).toEqual(["in+1"]);
    expect(error.report.value(2)).toBe("in+1+3");
  });

  it("honours the run's signal", async () => {
    const hanging = CallbackChain.start().step(
      (_, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)),
    );
    const controller = new AbortController();
    const run = hanging.run(undefined, { signal: controller.signal });
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("a completion callback that throws makes the run reject with CALLBACK_FAILED", async () => {
    const chain = CallbackChain.start<number>()
      .step((x) => x)
      .onComplete(() => {
        throw new Error("metrics broken");
      });
    const error = await chain.run(1).catch((e: unknown) => e);
    expect(NpuError.isInstance(error, "CALLBACK_FAILED")).toBe(true);
    expect(((error as NpuError).cause as Error).message).toBe("metrics broken");
  });

  it("refuses steps and completion callbacks that are not functions", () => {
    const chain = CallbackChain.start();
    expect(() => chain.step("x" as unknown as () => void)).toThrow(NpuTypeError);
    expect(() => chain.step(() => {}, 3 as never)).toThrow(NpuTypeError);
    expect(() => chain.onComplete(null as unknown as () => void)).toThrow(NpuTypeError);
  });
});

describe("combineChains (the seed's recommendation pipeline)", () => {
  it("runs the parts back to back, passing results across the seams", async () => {
    const features = CallbackChain.start<{ user: string }>()
      .step((request) => ({ ...request, history: [3, 1, 2] }), { label: "fetch history" })
      .step((ctx) => ctx.history.map((x) => x / 3), { label: "normalise" });
    const inference = CallbackChain.start<number[]>().step(
      async (xs) => xs.map((x, i) => ({ item: i, score: x })),
      {
        label: "score",
      },
    );
    const postprocess = CallbackChain.start<{ item: number; score: number }[]>().step(
      (scored) => scored.sort((a, b) => b.score - a.score).map((s) => s.item),
      { label: "rank" },
    );
    const seen: unknown[] = [];
    const pipeline = combineChains(features, inference, postprocess).onComplete((o) => seen.push(o));
    expect(pipeline.length).toBe(4);
    await expect(pipeline.run({ user: "u1" })).resolves.toEqual([0, 2, 1]);
    expect(seen).toEqual([{ ok: true, value: [0, 2, 1] }]);
    const all = combineChains(
      features,
      inference,
      postprocess,
      CallbackChain.start<number[]>().step((x) => x.length),
    );
    await expect(all.run({ user: "u2" })).resolves.toBe(3);
  });

  it("refuses arguments that are not chains", () => {
    expect(() => combineChains(CallbackChain.start(), {} as never)).toThrow(/part 1 is not a CallbackChain/);
  });
});
