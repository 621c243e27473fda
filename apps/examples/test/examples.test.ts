import { describe, expect, it } from "vitest";
import { inferenceEngine } from "../src/examples/inference-engine.js";
import { cannEventStatus } from "../src/examples/ported/cann-event-status.js";
import { cudaAsyncApi } from "../src/examples/ported/cuda-async-api.js";
import { streamLifecycle } from "../src/examples/stream-lifecycle.js";
import { syncVsAsync } from "../src/examples/sync-vs-async.js";

describe("examples (smoke tests)", () => {
  it("stream lifecycle: walks the state machine, reuses the pool, leaks nothing", async () => {
    const lines: string[] = [];
    const r = await streamLifecycle((l) => lines.push(l));
    expect(r.transitions).toContain("READY→RUNNING");
    expect(r.transitions.some((t) => t.endsWith("→COMPLETED"))).toBe(true);
    expect(r.transitions.at(-1)).toMatch(/→DESTROYED$/);
    expect(r.stats.reused).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeGreaterThan(0);
    expect(r.leaked).toBe(0);
    expect(lines.length).toBeGreaterThan(2);
  });

  it("sync vs async: the pipeline wins, more so with more operators, every callback runs", async () => {
    const { rows, stages, bound } = await syncVsAsync([10, 50]);
    for (const r of rows) {
      expect(r.asyncNs).toBeLessThan(r.syncNs);
      expect(r.callbacks).toBe(r.operators);
    }
    expect(rows[1]!.improvement).toBeGreaterThan(rows[0]!.improvement);
    // Overlap cannot beat hiding everything but the longest stage.
    for (const r of rows) expect(r.improvement).toBeLessThanOrEqual(bound);
    expect(stages.loadNs).toBeGreaterThan(0);
    expect(stages.kernelNs).toBeGreaterThan(0);
    expect(stages.hostNs).toBeGreaterThan(0);
    // Virtual time: a second run gives the same figures exactly.
    expect((await syncVsAsync([10])).rows).toEqual([rows[0]]);
  });

  it("inference engine: every concurrent request completes and matches the CPU reference", async () => {
    const lines: string[] = [];
    const results = await inferenceEngine(6, (l) => lines.push(l));
    expect(results.map((r) => r.request)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of results) {
      expect(r.matchesReference).toBe(true);
      expect(r.latencyNs).toBeGreaterThan(0);
    }
    expect(lines).toHaveLength(6);
    // Deterministic: the same requests give the same labels and latencies.
    expect(await inferenceEngine(6)).toEqual(results);
  });

  it("ported CUDA sample asyncAPI: correct output, the CPU counted while the GPU worked, deterministic", async () => {
    const lines: string[] = [];
    const r = await cudaAsyncApi(1 << 16, (l) => lines.push(l));
    expect(r.correct).toBe(true);
    expect(r.gpuTimeMs).toBeGreaterThan(0);
    expect(r.cpuIterations).toBeGreaterThan(0);
    expect(r.statuses).toEqual(["done", "done", "done", "done", "done"]);
    expect(lines.at(-1)).toBe("asyncAPI: PASSED");
    expect(await cudaAsyncApi(1 << 16)).toEqual(r);
  });

  it("ported CANN sample event_status: not ready after record, complete after synchronize, answer 1", async () => {
    const lines: string[] = [];
    const r = await cannEventStatus((l) => lines.push(l));
    expect([r.afterCreate, r.afterRecord, r.afterSynchronize]).toEqual([0, 0, 1]);
    expect(r.answer).toBe(1);
    expect(r.leaked).toBe(0);
    expect(lines).toContain("The answer is 1.");
  });
});
