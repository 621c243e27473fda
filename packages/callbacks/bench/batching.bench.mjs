// Batched dispatch: CallbackGraph draining up to 16 ready callbacks per microtask turn, against
// the hand-written runner that dispatches every node callback through its own queueMicrotask
// (anchors §3 kahn-microtask, 0.55 M nodes/s), and against itself with batchSize 1. Random DAG.
//   node --expose-gc bench/batching.bench.mjs [--quick]
import { CallbackGraph } from "@npurt/callbacks";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import { interleaved, kahnMicrotaskRun, kahnObjectsBuild, randomDag, secondsSince } from "./random-dag.mjs";

const n = quick ? 100_000 : 1_000_000;
const runs = quick ? 3 : 5;
const dag = randomDag(n);
const noop = () => {};

function buildOurs(d, batchSize) {
  const graph = new CallbackGraph({ batchSize });
  for (let v = 0; v < d.n; v++) graph.addNode(noop);
  for (let e = 0; e < d.edges; e++) graph.addEdge(d.from[e], d.to[e]);
  return graph;
}

async function ours(d, batchSize) {
  const graph = buildOurs(d, batchSize);
  const t0 = process.hrtime.bigint();
  const report = await graph.run();
  const s = secondsSince(t0);
  if (report.counts.ok !== d.n) throw new Error("CallbackGraph lost nodes");
  return s;
}

async function perCallbackMicrotask(d) {
  const nodes = kahnObjectsBuild(d, noop);
  const t0 = process.hrtime.bigint();
  if ((await kahnMicrotaskRun(nodes)) !== d.n) throw new Error("baseline lost nodes");
  return secondsSince(t0);
}

const warm = randomDag(n / 10);
await ours(warm, 16);
await ours(warm, 1);
await perCallbackMicrotask(warm);
const t = await interleaved(runs, {
  batched: () => ours(dag, 16),
  single: () => ours(dag, 1),
  microtask: () => perCallbackMicrotask(dag),
});
figure({
  name: `batched dispatch (batchSize 16), random DAG n=${n}`,
  unit: "nodes/s",
  value: n / t.batched,
  baseline: { name: "hand-written: one queueMicrotask per callback", value: n / t.microtask },
  ratio: t.microtask / t.batched,
  goal: "≥ 3× (stretch 5×)",
});
figure({
  name: `batched dispatch (batchSize 16) vs batchSize 1, random DAG n=${n}`,
  unit: "nodes/s",
  value: n / t.batched,
  baseline: { name: "CallbackGraph batchSize 1 (a microtask hop per callback)", value: n / t.single },
  ratio: t.single / t.batched,
});
