import { NpuError, NpuTypeError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { AdaptivePriorities, CallbackGraph } from "../src/index.js";
import { virtualTime } from "./helpers.js";

describe("AdaptivePriorities", () => {
  it("promotes above 1.5x the expected time, demotes below 0.5x, leaves the rest", () => {
    const adaptive = new AdaptivePriorities();
    expect(adaptive.record("a", 7, 4)).toBe("promoted");
    expect(adaptive.priorityOf("a", 3)).toBe(2);
    expect(adaptive.record("b", 1.9, 4)).toBe("demoted");
    expect(adaptive.priorityOf("b", 3)).toBe(4);
    expect(adaptive.record("c", 6, 4)).toBe("unchanged");
    expect(adaptive.record("c", 2, 4)).toBe("unchanged");
    expect(adaptive.priorityOf("c", 3)).toBe(3);
    expect(adaptive.priorityOf(undefined, 3)).toBe(3);
    expect(adaptive.priorityOf("never seen", 1)).toBe(1);
  });

  it("learns the expectation as a moving average when none is given", () => {
    const adaptive = new AdaptivePriorities({ smoothing: 0.5 });
    expect(adaptive.record("k", 10)).toBe("unchanged"); // first sample: nothing to compare with
    expect(adaptive.stats("k")).toEqual({ expectedMs: 10, samples: 1, shift: 0 });
    expect(adaptive.record("k", 20)).toBe("promoted"); // 20 > 1.5 × 10
    expect(adaptive.stats("k")!.expectedMs).toBe(15);
    expect(adaptive.record("k", 5)).toBe("demoted"); // 5 < 0.5 × 15
    expect(adaptive.stats("k")).toEqual({ expectedMs: 10, samples: 3, shift: 0 });
    expect(adaptive.stats("other")).toBeUndefined();
  });

  it("bounds the shift by maxShift, and reset() forgets", () => {
    const adaptive = new AdaptivePriorities({ maxShift: 1 });
    adaptive.record("k", 10, 1);
    expect(adaptive.record("k", 10, 1)).toBe("unchanged");
    expect(adaptive.priorityOf("k", 0)).toBe(-1);
    adaptive.reset();
    expect(adaptive.priorityOf("k", 0)).toBe(0);
  });

  it("refuses bad options", () => {
    expect(() => new AdaptivePriorities({ promoteAbove: 0 })).toThrow(NpuError);
    expect(() => new AdaptivePriorities({ promoteAbove: 1, demoteBelow: 2 })).toThrow(/below/);
    expect(() => new AdaptivePriorities({ smoothing: 2 })).toThrow(/smoothing/);
    expect(() => new AdaptivePriorities({ maxShift: -1 })).toThrow(NpuError);
    expect(() => new AdaptivePriorities({ smoothing: "x" as unknown as number })).toThrow(NpuTypeError);
  });
});

describe("adaptive priority in a graph (deterministic with a virtual clock)", () => {
  it("a callback that overran is promoted ahead of its peers in the next run", async () => {
    const time = virtualTime();
    const adaptive = new AdaptivePriorities();
    const first = new CallbackGraph({ clock: time.clock, adaptive });
    first.addNode(() => time.spend(9), { label: "slow", expectedDurationMs: 3 });
    first.addNode(() => time.spend(1), { label: "fast", expectedDurationMs: 3 });
    const report = await first.run();
    expect(report.adaptive).toEqual({ promoted: 1, demoted: 1 });

    const order: string[] = [];
    const second = new CallbackGraph({ clock: time.clock, adaptive });
    second.addNode(() => order.push("fast"), { label: "fast" });
    second.addNode(() => order.push("neutral"), { label: "neutral" });
    second.addNode(() => order.push("slow"), { label: "slow" });
    await second.run();
    expect(order).toEqual(["slow", "neutral", "fast"]);
  });

  it("adaptive: true learns within one run, across nodes that share a label", async () => {
    const time = virtualTime();
    const graph = new CallbackGraph({ clock: time.clock, adaptive: true, batchSize: 1 });
    const order: string[] = [];
    const root = graph.addNode(() => time.spend(2), { label: "op" });
    const second = graph.addNode(() => time.spend(8), { label: "op", dependsOn: [root] });
    graph.addNode(() => order.push("other"), { label: "other", dependsOn: [second] });
    graph.addNode(() => order.push("op"), { label: "op", dependsOn: [second] });
    const report = await graph.run();
    expect(report.adaptive.promoted).toBe(1);
    expect(order).toEqual(["op", "other"]);
  });

  it("measures async callbacks from start to settlement", async () => {
    const time = virtualTime();
    const adaptive = new AdaptivePriorities();
    const graph = new CallbackGraph({ clock: time.clock, adaptive });
    graph.addNode(
      async () => {
        await Promise.resolve();
        time.spend(30);
      },
      { label: "io", expectedDurationMs: 10 },
    );
    graph.addNode(
      () => {
        throw new Error("x");
      },
      { label: "thrower", errorPolicy: "continue" },
    );
    await graph.run().catch(() => {});
    expect(adaptive.stats("io")).toMatchObject({ samples: 1, shift: -1, expectedMs: 30 });
    expect(adaptive.stats("thrower")).toMatchObject({ samples: 1 });
  });
});
