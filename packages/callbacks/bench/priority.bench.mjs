// Priorities: (1) the scheduler (core's HostExecutor) against p-queue 9.3.5 with 10 priority
// levels, 1e5 no-op tasks added at once, concurrency 1 (anchors §2: p-queue 34.6 k/s);
// (2) the random DAG with per-node priorities 0..7 against the hand-written kahn-objects-pq
// runner (anchors §3: 1.11 M nodes/s). Same process, interleaved.
//   node --expose-gc bench/priority.bench.mjs [--quick]
import { CallbackGraph, CallbackScheduler } from "@npurt/callbacks";
import PQueue from "p-queue";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import {
  interleaved,
  kahnObjectsPqBuild,
  kahnObjectsPqRun,
  randomDag,
  randomPriorities,
  secondsSince,
} from "./random-dag.mjs";

const tasks = quick ? 20_000 : 100_000;
const dagSize = quick ? 100_000 : 1_000_000;
const runs = quick ? 3 : 5;
const noop = () => {};
const taskPriorities = randomPriorities(tasks, 10);

async function pQueue(count) {
  const queue = new PQueue({ concurrency: 1, autoStart: true });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) queue.add(noop, { priority: taskPriorities[i] });
  await queue.onIdle();
  return secondsSince(t0);
}

async function scheduler(count) {
  const s = new CallbackScheduler({ concurrency: 1 });
  let done = 0;
  const onDone = () => {
    done++;
  };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) s.submit({ run: noop, done: onDone, priority: taskPriorities[i] });
  await s.idle();
  const seconds = secondsSince(t0);
  if (done !== count) throw new Error("the scheduler lost tasks");
  return seconds;
}

async function schedulerPromises(count) {
  const s = new CallbackScheduler({ concurrency: 1 });
  const t0 = process.hrtime.bigint();
  const all = [];
  for (let i = 0; i < count; i++) all.push(s.run(noop, { priority: taskPriorities[i] }));
  await Promise.all(all);
  return secondsSince(t0);
}

await pQueue(tasks / 10);
await scheduler(tasks / 10);
await schedulerPromises(tasks / 10);
const q = await interleaved(runs, {
  pQueue: () => pQueue(tasks),
  scheduler: () => scheduler(tasks),
  promises: () => schedulerPromises(tasks),
});
figure({
  name: `scheduler submit, 10 priority levels, concurrency 1, n=${tasks}`,
  unit: "tasks/s",
  value: tasks / q.scheduler,
  baseline: { name: "p-queue 9.3.5 with priorities", value: tasks / q.pQueue },
  ratio: q.pQueue / q.scheduler,
  goal: "≥ 20× p-queue at n=1e5 (its insert is O(n): smaller runs show less)",
});
figure({
  name: `scheduler run() (a promise per task), 10 priority levels, n=${tasks}`,
  unit: "tasks/s",
  value: tasks / q.promises,
  baseline: { name: "p-queue 9.3.5 with priorities", value: tasks / q.pQueue },
  ratio: q.pQueue / q.promises,
});

// The DAG with priorities.
const dag = randomDag(dagSize);
const nodePriorities = randomPriorities(dagSize, 8);
function buildOurs(d, prios) {
  const graph = new CallbackGraph();
  for (let v = 0; v < d.n; v++) graph.addNode(noop, { priority: prios[v] });
  for (let e = 0; e < d.edges; e++) graph.addEdge(d.from[e], d.to[e]);
  return graph;
}
const warm = randomDag(dagSize / 10);
kahnObjectsPqRun(kahnObjectsPqBuild(warm, noop, nodePriorities));
await buildOurs(warm, nodePriorities).run();
const d = await interleaved(runs, {
  async kahnPq() {
    const nodes = kahnObjectsPqBuild(dag, noop, nodePriorities);
    const t0 = process.hrtime.bigint();
    if (kahnObjectsPqRun(nodes) !== dagSize) throw new Error("baseline lost nodes");
    return secondsSince(t0);
  },
  async ours() {
    const graph = buildOurs(dag, nodePriorities);
    const t0 = process.hrtime.bigint();
    const report = await graph.run();
    const s = secondsSince(t0);
    if (report.counts.ok !== dagSize) throw new Error("CallbackGraph lost nodes");
    return s;
  },
});
figure({
  name: `dag run with priorities 0..7, n=${dagSize}`,
  unit: "nodes/s",
  value: dagSize / d.ours,
  baseline: { name: "hand-written kahn-objects-pq (binary heap on (prio, seq))", value: dagSize / d.kahnPq },
  ratio: d.kahnPq / d.ours,
  goal: "≥ 0.8 M nodes/s and ≥ 0.7× kahn-objects-pq",
});
