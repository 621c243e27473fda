import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { CallbackGraph, type CallbackGraphError } from "../src/index.js";

/** A random DAG: edges only from lower to higher ids, then added in a shuffled order. */
const dagArbitrary = fc.integer({ min: 2, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.uniqueArray(
      fc
        .tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }))
        .filter(([a, b]) => a !== b)
        .map(([a, b]): [number, number] => (a < b ? [a, b] : [b, a])),
      { maxLength: 3 * n, selector: ([a, b]) => `${a}-${b}` },
    ),
    kinds: fc.array(fc.constantFrom("sync", "async", "throw", "reject"), { minLength: n, maxLength: n }),
    priorities: fc.option(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n })),
    batchSize: fc.integer({ min: 1, max: 20 }),
    concurrency: fc.integer({ min: 1, max: 4 }),
    policy: fc.constantFrom("continue" as const, "skip" as const),
    reversed: fc.boolean(),
  }),
);

test.prop([dagArbitrary], { numRuns: 150 })(
  "every node runs at most once, only after all its dependencies settled, and the report accounts for all",
  async ({ n, edges, kinds, priorities, batchSize, concurrency, policy, reversed }) => {
    const graph = new CallbackGraph({ batchSize, concurrency, errorPolicy: policy });
    const settledAt: number[] = new Array(n).fill(-1);
    const startedAt: number[] = new Array(n).fill(-1);
    let clock = 0;
    for (let v = 0; v < n; v++) {
      const kind = kinds[v]!;
      const run = async () => {
        startedAt[v] = clock++;
        if (kind === "async" || kind === "reject") await Promise.resolve();
        settledAt[v] = clock++;
        if (kind === "throw" || kind === "reject") throw new Error(`node ${v}`);
        return v;
      };
      graph.addNode(
        kind === "sync"
          ? () => {
              startedAt[v] = clock++;
              settledAt[v] = clock++;
              return v;
            }
          : kind === "throw"
            ? () => {
                startedAt[v] = clock++;
                settledAt[v] = clock++;
                throw new Error(`node ${v}`);
              }
            : run,
        priorities === null ? {} : { priority: priorities[v]! },
      );
    }
    for (const [a, b] of reversed ? [...edges].reverse() : edges) graph.addEdge(a, b);
    const report = await graph.run().catch((e: CallbackGraphError) => e.report);
    for (const [a, b] of edges) {
      if (startedAt[b]! >= 0) expect(startedAt[b]!).toBeGreaterThan(settledAt[a]!);
    }
    const failing = kinds.map((k) => k === "throw" || k === "reject");
    for (let v = 0; v < n; v++) {
      const status = report.status(v);
      if (status === "ok") expect(report.value(v)).toBe(v);
      if (status === "ok" || status === "failed") expect(startedAt[v]).toBeGreaterThanOrEqual(0);
      else expect(startedAt[v]).toBe(-1);
      if (failing[v] && startedAt[v]! >= 0) expect(status).toBe("failed");
    }
    const { ok, failed, skipped, cancelled } = report.counts;
    expect(ok + failed + skipped + cancelled).toBe(n);
    expect(report.failures).toHaveLength(failed);
    if (policy === "continue") expect(skipped).toBe(0);
    expect(cancelled).toBe(0);
  },
);
