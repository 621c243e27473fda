import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DeadlockDiagnosis } from "../src/examples/diagnosis/deadlock.js";
import type { LeakDiagnosis } from "../src/examples/diagnosis/leak.js";
import type { RaceDiagnosis } from "../src/examples/diagnosis/race.js";
import type { StallDiagnosis } from "../src/examples/diagnosis/stall.js";
import type { PipelineRun } from "../src/examples/recommendation/pipeline.js";
import type { SyncVsAsyncRow } from "../src/examples/sync-vs-async.js";
import { mib, ms, pct } from "../src/format.js";
import { runShowcase } from "./capture.js";

describe("showcase sections", () => {
  it("sync vs async: a table of measured rows beside the article's figures, the stages and what moves them", async () => {
    const r = await runShowcase(["sync-vs-async"]);
    expect(r.exitCode).toBe(0);
    const result = r.results.get("sync-vs-async") as {
      rows: SyncVsAsyncRow[];
      bound: number;
      moves: { change: string; improvement: number }[];
    };
    expect(result.rows.map((x) => x.operators)).toEqual([10, 50, 200]);
    for (const row of result.rows) {
      // Each row prints what was measured, beside the published figures for that size.
      const line = r.stdout.split("\n").find((l) => l.trimStart().startsWith(`${row.operators} `))!;
      expect(line).toContain(ms(row.syncNs));
      expect(line).toContain(ms(row.asyncNs));
      expect(line).toContain(pct(row.improvement));
    }
    expect(r.stdout).toMatch(/10 +1\S* ms .*15\.2 ms +8\.7 ms +43%/);
    expect(r.stdout).toMatch(/200 .*325\.6 ms +112\.3 ms +65%/);
    expect(r.stdout).toContain(`= ${pct(result.bound)}`);
    // The parameters that move it: each variant measured, and they do move it.
    expect(result.moves).toHaveLength(4);
    expect(new Set(result.moves.map((m) => pct(m.improvement))).size).toBeGreaterThan(1);
    for (const m of result.moves) expect(r.stdout).toContain(m.change);
  });

  it("pipeline: the pooled version has more throughput, lower latency, higher utilisation; clean leak reports; three valid files", async () => {
    const r = await runShowcase(["pipeline", "--requests", "400", "--clients", "100", "--streams", "8"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { naive, pooled, files } = r.results.get("pipeline") as {
      naive: PipelineRun;
      pooled: PipelineRun;
      files: { trace: string; timeline: string; summary: string };
    };
    expect(pooled.qps).toBeGreaterThan(naive.qps);
    expect(pooled.p50Ns).toBeLessThan(naive.p50Ns);
    expect(pooled.utilisation).toBeGreaterThan(naive.utilisation);
    for (const run of [naive, pooled]) {
      expect(run.requests).toBe(400);
      expect(run.p50Ns).toBeGreaterThan(0);
      expect(run.p99Ns).toBeGreaterThanOrEqual(run.p50Ns);
      expect(run.utilisation).toBeGreaterThan(0);
      expect(run.utilisation).toBeLessThanOrEqual(1);
      expect(run.peakBytes).toBeGreaterThan(run.modelBytes);
      expect(run.leaks.clean).toBe(true);
      expect(run.leaks.stats.stream.created).toBeGreaterThan(0);
      expect(run.leaks.stats.callback.live).toBe(0);
    }
    // A pool of 8 streams reused its queues for every request after the first 8.
    expect(pooled.streams).toBe(8);
    expect(pooled.pool.reused).toBeGreaterThanOrEqual(400 - 8);
    expect(pooled.leaks.stats.stream.peak).toBeLessThanOrEqual(8);
    // The printed table carries the measured figures, and the article's claims beside them.
    const naiveLine = r.stdout.split("\n").find((l) => l.includes("naive: 1 stream"))!;
    expect(naiveLine).toContain(ms(naive.p50Ns));
    expect(naiveLine).toContain(pct(naive.utilisation));
    expect(naiveLine).toContain(mib(naive.peakBytes - naive.modelBytes));
    expect(r.stdout).toContain(Math.round(pooled.qps).toLocaleString("en-US"));
    expect(r.stdout).toContain("1,000 → 50,000 queries/s");
    expect(r.stdout).toContain("100 ms → 10 ms");
    expect(r.stdout).toContain("40% → 85%");
    expect(r.stdout).toContain("What this shows and what it does not.");
    expect(r.stdout).toContain("  naive: 100/400 (25%)\n"); // the progress, as plain lines (not a terminal)

    // The files land in out/ under the directory the user ran from, printed relative to it.
    expect(files.trace).toBe(join(r.cwd, "out", "trace.json"));
    for (const f of [files.trace, files.timeline, files.summary]) expect(existsSync(f)).toBe(true);
    expect(r.stdout).toContain("out/trace.json");
    expect(r.stdout).not.toContain(r.cwd);
    const trace = JSON.parse(readFileSync(files.trace, "utf8")) as { traceEvents: { ph: string }[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.traceEvents.some((e) => e.ph === "X")).toBe(true);
    const html = readFileSync(files.timeline, "utf8");
    expect(html).toContain("<canvas");
    expect(html).toContain("<script");
    expect(html).not.toMatch(/<script[^>]+src=/); // self-contained: nothing fetched
    const summary = readFileSync(files.summary, "utf8");
    expect(summary).toContain("dnn-tower");
    expect(summary).toContain("critical path");
  });

  it("pipeline: the figures are virtual time, so a second run prints the same", async () => {
    const args = ["pipeline", "--requests", "120", "--clients", "40", "--streams", "4"];
    const first = await runShowcase(args);
    const second = await runShowcase(args);
    const table = (s: string) =>
      s.split("\n").filter((l) => l.includes("naive: 1 stream") || l.includes("pooled: 4"));
    expect(table(first.stdout)).toHaveLength(2);
    expect(table(second.stdout)).toEqual(table(first.stdout));
  });

  it("diagnosis: each report names what it should", async () => {
    const r = await runShowcase(["diagnosis"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const d = r.results.get("diagnosis") as {
      leak: LeakDiagnosis;
      deadlock: DeadlockDiagnosis;
      race: RaceDiagnosis;
      stall: StallDiagnosis;
    };
    // Leak: the two forgotten streams and their buffers by tag, then nothing after the fix.
    expect(d.leak.report.leaks.filter((l) => l.kind === "stream")).toHaveLength(2);
    expect(d.leak.report.leaks.filter((l) => l.kind === "allocation").map((l) => l.tag)).toEqual([
      "request 1 scratch",
      "request 3 scratch",
    ]);
    expect(d.leak.text).toContain('tag "request 1 scratch"');
    expect(r.stdout).toMatch(/stream \d+ on device 0 was created at \S*leak\.ts:\d+/);
    expect(d.leak.afterFix.clean).toBe(true);
    // Deadlock: the aborted producer, the deterministic timeout, the refused cycle, the queue cycle.
    expect(d.deadlock.deadlocks).toHaveLength(1);
    expect(d.deadlock.deadlocks[0]).toContain("producer-aborted");
    expect(d.deadlock.timeoutCode).toBe("STREAM_SYNC_TIMEOUT");
    expect(d.deadlock.cycleCode).toBe("CYCLE_DEPENDENCY");
    expect(d.deadlock.watchdog?.cycle).toHaveLength(3); // a → b → a
    expect(d.deadlock.watchdog?.description).toMatch(/^deadlock: queue \d+ → queue \d+ → queue \d+/);
    // Race: the buffer by tag, the writer and the reader; none once ordered by an event.
    expect(d.race.races).toHaveLength(1);
    expect(d.race.races[0]!.tag).toBe("kv-cache");
    expect(d.race.races[0]!.first).toMatchObject({ op: "relu", access: "write" });
    expect(d.race.races[0]!.second).toMatchObject({ op: "softmax", access: "read" });
    expect(d.race.racesAfterFix).toEqual([]);
    // Stall: the hung kernel at the head of its stream's queue.
    expect(d.stall.hung?.blocked[0]?.head).toContain("layernorm");
    expect(d.stall.timeoutCode).toBe("STREAM_SYNC_TIMEOUT");
    for (const text of [d.deadlock.deadlocks[0]!, d.race.races[0]!.description, d.stall.hung!.description])
      expect(r.stdout).toContain(text.split("\n")[0]!.slice(0, 60));
  });

  it("custom backend: the streams package computes correctly on the host backend", async () => {
    const r = await runShowcase(["custom-backend"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = r.results.get("custom-backend") as {
      correct: boolean;
      timeModel: string;
      result: number[];
    };
    expect(result.correct).toBe(true);
    expect(result.timeModel).toBe("wall");
    expect(result.result).toEqual([-4, -2, 0, 3, 6, 9, 12, 15]);
  });
});
