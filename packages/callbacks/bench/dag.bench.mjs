// Random-DAG execution (performance-anchors §3): @npurt/callbacks' CallbackGraph against the
// hand-written Kahn runner (node objects + array FIFO), measured in the same process.
//   node --expose-gc bench/dag.bench.mjs [--quick]
import { CallbackGraph } from "@npurt/callbacks";
import { figure, quick, settledHeap } from "../../../scripts/bench-kit.mjs";
import { kahnObjectsBuild, kahnObjectsRun, randomDag } from "./random-dag.mjs";

const n = quick ? 100_000 : 1_000_000;
const runs = quick ? 3 : 5;
const dag = randomDag(n);
const noop = () => {};

function buildOurs(d) {
  const graph = new CallbackGraph();
  for (let v = 0; v < d.n; v++) graph.addNode(noop);
  for (let e = 0; e < d.edges; e++) graph.addEdge(d.from[e], d.to[e]);
  return graph;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

// Warm-up at a tenth of the size, as the anchors do.
const warm = randomDag(Math.max(1000, n / 10));
kahnObjectsRun(kahnObjectsBuild(warm, noop));
await buildOurs(warm).run();

const kahnRun = [];
const kahnBuild = [];
const oursRun = [];
const oursBuild = [];
// Interleaved, so drift on a shared machine hits both sides alike; each side runs on a
// collected heap with the other side's graph already dropped.
async function measureKahn() {
  globalThis.gc?.();
  let t0 = process.hrtime.bigint();
  const nodes = kahnObjectsBuild(dag, noop);
  kahnBuild.push(seconds(t0));
  t0 = process.hrtime.bigint();
  if (kahnObjectsRun(nodes) !== n) throw new Error("kahn baseline did not run every node");
  kahnRun.push(seconds(t0));
}
async function measureOurs() {
  globalThis.gc?.();
  let t0 = process.hrtime.bigint();
  const graph = buildOurs(dag);
  oursBuild.push(seconds(t0));
  t0 = process.hrtime.bigint();
  const report = await graph.run();
  oursRun.push(seconds(t0));
  if (report.counts.ok !== n) throw new Error("CallbackGraph did not run every node");
}
for (let r = 0; r < runs; r++) {
  if (r % 2 === 0) {
    await measureKahn();
    await measureOurs();
  } else {
    await measureOurs();
    await measureKahn();
  }
}

const kahnRate = n / median(kahnRun);
const oursRate = n / median(oursRun);
const label = `n=${n}`;
figure({
  name: `dag FIFO run, ${label}`,
  unit: "nodes/s",
  value: oursRate,
  baseline: { name: "hand-written Kahn (objects + array FIFO)", value: kahnRate },
  ratio: oursRate / kahnRate,
  goal: "≥ 0.7× (stretch: Taskflow 1 thread 3.6 M/s)",
});
figure({
  name: `dag FIFO run vs Taskflow 1-thread (published anchor 3.52 M/s), ${label}`,
  unit: "nodes/s",
  value: oursRate,
  baseline: { name: "Taskflow v4.1.0 1 thread (anchors §3b, not re-measured)", value: 3.52e6 },
  ratio: oursRate / 3.52e6,
});
figure({
  name: `dag build (nodes + edges), ${label}`,
  unit: "s",
  value: median(oursBuild),
  baseline: { name: "hand-written Kahn object build", value: median(kahnBuild) },
  ratio: median(kahnBuild) / median(oursBuild),
  goal: "≤ 1.5 s at 1e6",
});

// Memory: JS heap plus typed-array backing stores (which heapUsed does not count) retained by
// a built graph, and by the same graph after it ran (CSR rows, statuses), per node.
const retained = () => {
  settledHeap();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = retained();
const kept = buildOurs(dag);
const built = retained();
await kept.run();
const ran = retained();
const kahnBefore = retained();
const keptKahn = kahnObjectsBuild(dag, noop);
const kahnAfter = retained();
figure({
  name: `dag bytes per node (built graph, ${dag.edges} edges), ${label}`,
  unit: "B/node",
  value: (built - before) / n,
  baseline: { name: "hand-written Kahn node objects", value: (kahnAfter - kahnBefore) / n },
  ratio: (kahnAfter - kahnBefore) / (built - before),
  goal: "≤ 200 B/node",
});
figure({
  name: `dag bytes per node (after run), ${label}`,
  unit: "B/node",
  value: (ran - before) / n,
});
if (kept.size !== n || keptKahn.length !== n) throw new Error("unreachable");
