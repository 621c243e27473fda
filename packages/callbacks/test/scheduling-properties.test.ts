// Property-based tests (issue 10): random graphs and task sets with throwing, rejecting,
// unprintable, async, slow and hanging callbacks, random priorities, error policies, batch
// sizes and concurrency, all on a virtual clock. Every run must end within a bounded number of
// virtual-time steps (no hang), account for every callback (run exactly once, or reported
// skipped or cancelled), respect dependency order, and be deterministic: the same program gives
// the same start order and the same statuses twice. Vitest fails the run on any unhandled
// rejection or uncaught exception, so none escapes either.
import { fc, test } from "@fast-check/vitest";
import { NpuError } from "@npurt/core";
import { VirtualClock } from "@npurt/core/testing";
import { expect } from "vitest";
import {
  CallbackGraph,
  type CallbackGraphError,
  CallbackScheduler,
  type ErrorPolicy,
  type GraphRunReport,
  type NodeContext,
} from "../src/index.js";
import { flushMicrotasks } from "./helpers.js";

type Kind = "sync" | "throw" | "unprintable" | "async" | "reject" | "slow" | "hang";
const KINDS: Kind[] = ["sync", "throw", "unprintable", "async", "reject", "slow", "hang"];
const POLICIES: ErrorPolicy[] = ["continue", "skip", "abort"];

/** Lets microtasks and macrotasks (a pump yields one after a time slice) run. */
async function settleHost(): Promise<void> {
  await flushMicrotasks(30);
  await new Promise<void>((resolve) => setImmediate(resolve));
  await flushMicrotasks(30);
}

/**
 * Drives `clock` until `done()` holds, firing timers in due order. `false` (a hang) when it
 * still does not hold after `maxSteps` timer instants, or after many host rounds with no timer
 * left to fire (a pump that yields takes one macrotask per turn, so a few rounds are normal).
 */
async function drive(clock: VirtualClock, done: () => boolean, maxSteps = 500): Promise<boolean> {
  let idleRounds = 0;
  for (let step = 0; step < maxSteps + 200; step++) {
    await settleHost();
    if (done()) return true;
    const next = clock.nextTimerAt();
    if (next === Number.POSITIVE_INFINITY) {
      if (++idleRounds > 200) return false;
      continue;
    }
    idleRounds = 0;
    clock.advanceTo(next);
    clock.fireDue();
  }
  return false;
}

/** The work of one callback of the given kind; `slow` finishes after `delayMs` of virtual time. */
function work(kind: Kind, clock: VirtualClock, delayMs: number, value: number): unknown {
  switch (kind) {
    case "sync":
      return value;
    case "throw":
      throw new Error(`node ${value}`);
    case "unprintable":
      throw Object.create(null);
    case "async":
      return Promise.resolve(value);
    case "reject":
      return Promise.reject(new Error(`node ${value}`));
    case "slow":
      return new Promise((resolve) => clock.setTimer(delayMs * 1e6, () => resolve(value)));
    case "hang":
      return new Promise(() => {});
  }
}

const graphProgram = fc.integer({ min: 1, max: 24 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    // Edges from a lower id to a higher one (a DAG), made by mapping rather than filtering: a
    // filter that can never pass (n = 1) would make the generator retry forever.
    edges:
      n < 2
        ? fc.constant<[number, number][]>([])
        : fc.uniqueArray(
            fc
              .tuple(fc.integer({ min: 0, max: n - 2 }), fc.integer({ min: 1, max: n - 1 }))
              .map(([a, d]): [number, number] => [a, a + 1 + ((d - 1) % (n - 1 - a))]),
            { maxLength: 2 * n, selector: ([a, b]) => `${a}-${b}` },
          ),
    kinds: fc.array(fc.constantFrom(...KINDS), { minLength: n, maxLength: n }),
    delays: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: n, maxLength: n }),
    priorities: fc.option(fc.array(fc.integer({ min: -2, max: 3 }), { minLength: n, maxLength: n })),
    nodePolicies: fc.array(fc.option(fc.constantFrom(...POLICIES)), { minLength: n, maxLength: n }),
    policy: fc.constantFrom(...POLICIES),
    batchSize: fc.integer({ min: 1, max: 8 }),
    concurrency: fc.integer({ min: 1, max: 6 }),
    timeoutMs: fc.integer({ min: 1, max: 40 }),
    sliceMs: fc.constantFrom(0, 1, 10),
  }),
);

type GraphProgram = typeof graphProgram extends fc.Arbitrary<infer T> ? T : never;

interface GraphOutcome {
  readonly finished: boolean;
  readonly starts: number[];
  readonly calls: number[];
  readonly statuses: string[];
  readonly report: GraphRunReport | undefined;
  readonly orderViolations: string[];
}

async function runGraph(p: GraphProgram): Promise<GraphOutcome> {
  const clock = new VirtualClock();
  const graph = new CallbackGraph({
    clock,
    errorPolicy: p.policy,
    batchSize: p.batchSize,
    concurrency: p.concurrency,
    // Every node has a timeout, so a hanging callback fails instead of holding the run.
    timeoutMs: p.timeoutMs,
    sliceMs: p.sliceMs,
  });
  const starts: number[] = [];
  const calls = new Array<number>(p.n).fill(0);
  const orderViolations: string[] = [];
  const deps: number[][] = Array.from({ length: p.n }, () => []);
  for (const [a, b] of p.edges) deps[b]!.push(a);
  for (let v = 0; v < p.n; v++) {
    const policy = p.nodePolicies[v];
    graph.addNode(
      (ctx: NodeContext) => {
        starts.push(v);
        calls[v]!++;
        for (const input of ctx.inputs) {
          if (input.status !== "ok" && input.status !== "failed") {
            orderViolations.push(`${v} started while its dependency ${input.node} was ${input.status}`);
          }
        }
        return work(p.kinds[v]!, clock, p.delays[v]!, v);
      },
      {
        dependsOn: deps[v]!,
        ...(p.priorities === null ? {} : { priority: p.priorities[v]! }),
        ...(policy === null ? {} : { errorPolicy: policy }),
      },
    );
  }
  let report: GraphRunReport | undefined;
  let settled = false;
  graph.run().then(
    (r) => {
      report = r;
      settled = true;
    },
    (e: CallbackGraphError) => {
      report = e.report;
      settled = true;
    },
  );
  const finished = await drive(clock, () => settled);
  const statuses = report === undefined ? [] : Array.from({ length: p.n }, (_, v) => report!.status(v));
  return { finished, starts, calls, statuses, report, orderViolations };
}

test.prop([graphProgram], { numRuns: 100 })(
  "graph: no hang, every callback runs once or is reported skipped/cancelled, order kept, deterministic",
  async (p) => {
    const first = await runGraph(p);
    expect(first.finished, "the run did not finish within the virtual-time bound").toBe(true);
    const report = first.report!;
    expect(first.orderViolations).toEqual([]);
    const effective = (v: number): ErrorPolicy => p.nodePolicies[v] ?? p.policy;
    for (let v = 0; v < p.n; v++) {
      const status = first.statuses[v]!;
      expect(first.calls[v]!, `node ${v} ran more than once`).toBeLessThanOrEqual(1);
      if (status === "ok" || status === "failed") expect(first.calls[v], `node ${v} is ${status}`).toBe(1);
      if (status === "skipped") expect(first.calls[v], `skipped node ${v} ran`).toBe(0);
      expect(["ok", "failed", "skipped", "cancelled"], `node ${v} ended ${status}`).toContain(status);
      const kind = p.kinds[v]!;
      if (status === "ok") expect(["sync", "async", "slow"]).toContain(kind);
      if (status === "ok" && kind !== "slow") expect(report.value(v)).toBe(v);
    }
    // A node is cancelled only by an abort, and an abort is reported.
    if (first.statuses.includes("cancelled")) expect(report.aborted).toBe(true);
    if (!report.aborted) {
      // Without an abort, a node that ran had no dependency that failed under "skip", and a
      // skipped node has a dependency that failed under "skip" or was skipped.
      const deps: number[][] = Array.from({ length: p.n }, () => []);
      for (const [a, b] of p.edges) deps[b]!.push(a);
      for (let v = 0; v < p.n; v++) {
        const poisoned = deps[v]!.some(
          (d) =>
            first.statuses[d] === "skipped" || (first.statuses[d] === "failed" && effective(d) === "skip"),
        );
        expect(first.statuses[v] === "skipped", `node ${v}: skipped iff a dependency poisons it`).toBe(
          poisoned,
        );
      }
    }
    // Every failure is coded and names its node; failed nodes and failures match one to one.
    const failedNodes = first.statuses.flatMap((s, v) => (s === "failed" ? [v] : []));
    expect(report.failures.map((f) => f.node).sort((a, b) => a! - b!)).toEqual(failedNodes);
    for (const f of report.failures) {
      expect(NpuError.isInstance(f.error)).toBe(true);
      expect(["CALLBACK_FAILED", "CALLBACK_TIMEOUT"]).toContain(f.error.code);
    }
    // Determinism: the same program starts callbacks in the same order and ends the same way.
    const second = await runGraph(p);
    expect(second.starts).toEqual(first.starts);
    expect(second.statuses).toEqual(first.statuses);
  },
);

const taskProgram = fc.record({
  kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 40 }),
  priorities: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 40, maxLength: 40 }),
  delays: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 40, maxLength: 40 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  concurrency: fc.integer({ min: 1, max: 6 }),
  timeoutMs: fc.integer({ min: 1, max: 40 }),
  sliceMs: fc.constantFrom(0, 1, 10),
});

type TaskProgram = typeof taskProgram extends fc.Arbitrary<infer T> ? T : never;

async function runTasks(p: TaskProgram) {
  const clock = new VirtualClock();
  const scheduler = new CallbackScheduler({
    clock,
    adaptive: false,
    batchSize: p.batchSize,
    concurrency: p.concurrency,
    timeoutMs: p.timeoutMs,
    sliceMs: p.sliceMs,
  });
  const starts: number[] = [];
  const done: { ok: boolean; code: string | undefined }[][] = p.kinds.map(() => []);
  p.kinds.forEach((kind, i) => {
    scheduler.submit({
      run: () => {
        starts.push(i);
        return work(kind, clock, p.delays[i]!, i);
      },
      done: (o) => {
        done[i]!.push({ ok: o.ok, code: o.ok ? undefined : (o.error as NpuError).code });
      },
      priority: p.priorities[i]!,
      label: `task ${i}`,
    });
  });
  const finished = await drive(clock, () => done.every((d) => d.length > 0));
  await settleHost();
  return { finished, starts, done, stats: scheduler.stats() };
}

test.prop([taskProgram], { numRuns: 100 })(
  "scheduler: no hang, done() exactly once per task, priority order, coded failures, deterministic",
  async (p) => {
    const first = await runTasks(p);
    expect(first.finished, "a task's done() was not called within the virtual-time bound").toBe(true);
    const n = p.kinds.length;
    for (let i = 0; i < n; i++) {
      expect(first.done[i], `task ${i}`).toHaveLength(1);
      const [outcome] = first.done[i]!;
      const kind = p.kinds[i]!;
      if (kind === "sync" || kind === "async") expect(outcome!.ok).toBe(true);
      if (kind === "throw" || kind === "unprintable" || kind === "reject") {
        expect(outcome).toEqual({ ok: false, code: "CALLBACK_FAILED" });
      }
      if (kind === "hang") expect(outcome).toEqual({ ok: false, code: "CALLBACK_TIMEOUT" });
    }
    // All tasks were queued before the first turn: they start by priority, ties in submission order.
    const expected = [...Array(n).keys()].sort((a, b) => p.priorities[a]! - p.priorities[b]! || a - b);
    expect(first.starts).toEqual(expected);
    const s = first.stats;
    expect(s.succeeded + s.failed + s.cancelled).toBe(n);
    expect([s.running, s.queued]).toEqual([0, 0]);
    const second = await runTasks(p);
    expect(second.starts).toEqual(first.starts);
    expect(second.done).toEqual(first.done);
  },
);
