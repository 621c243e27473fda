// The random DAG of reference/performance-anchors.md §3: node v ≥ 1 takes 3 predecessors drawn
// uniformly from [0, v) by xorshift32 (seed 0x9e3779b9), duplicates dropped
// (2,999,958 edges for n = 1e6; 299,964 for 1e5). Edges come out in the order drawn.
export function randomDag(n) {
  let x = 0x9e3779b9 >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const from = new Int32Array(3 * n);
  const to = new Int32Array(3 * n);
  let m = 0;
  for (let v = 1; v < n; v++) {
    const a = next() % v;
    const b = next() % v;
    const c = next() % v;
    from[m] = a;
    to[m++] = v;
    if (b !== a) {
      from[m] = b;
      to[m++] = v;
    }
    if (c !== a && c !== b) {
      from[m] = c;
      to[m++] = v;
    }
  }
  return { n, edges: m, from: from.subarray(0, m), to: to.subarray(0, m) };
}

/** Per-node priorities 0..7 from a second xorshift32 stream (as kahn-objects-pq). */
export function randomPriorities(n, levels = 8) {
  let x = 0x2545f491;
  const out = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[v] = x % levels;
  }
  return out;
}

/** The hand-written baseline: node objects, successor arrays, array FIFO ready queue. */
export function kahnObjectsBuild(dag, fn) {
  const nodes = new Array(dag.n);
  for (let v = 0; v < dag.n; v++) nodes[v] = { pending: 0, succ: [], fn };
  for (let e = 0; e < dag.edges; e++) {
    nodes[dag.from[e]].succ.push(nodes[dag.to[e]]);
    nodes[dag.to[e]].pending++;
  }
  return nodes;
}

export function kahnObjectsRun(nodes) {
  const queue = [];
  for (let i = 0; i < nodes.length; i++) if (nodes[i].pending === 0) queue.push(nodes[i]);
  let ran = 0;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    node.fn();
    ran++;
    const succ = node.succ;
    for (let i = 0; i < succ.length; i++) if (--succ[i].pending === 0) queue.push(succ[i]);
  }
  return ran;
}

/** kahn-objects-pq: the same runner with a binary heap on (priority, sequence) as ready queue. */
export function kahnObjectsPqBuild(dag, fn, priorities) {
  const nodes = kahnObjectsBuild(dag, fn);
  for (let v = 0; v < dag.n; v++) nodes[v].prio = priorities[v];
  return nodes;
}

export function kahnObjectsPqRun(nodes) {
  const heap = [];
  let seq = 0;
  const less = (a, b) => a.p < b.p || (a.p === b.p && a.s < b.s);
  const push = (node) => {
    const item = { node, p: node.prio, s: seq++ };
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && less(heap[c + 1], heap[c])) c++;
        if (!less(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top.node;
  };
  for (let i = 0; i < nodes.length; i++) if (nodes[i].pending === 0) push(nodes[i]);
  let ran = 0;
  while (heap.length > 0) {
    const node = pop();
    node.fn();
    ran++;
    const succ = node.succ;
    for (let i = 0; i < succ.length; i++) if (--succ[i].pending === 0) push(succ[i]);
  }
  return ran;
}

/** kahn-microtask: every ready node's callback dispatched through its own queueMicrotask. */
export function kahnMicrotaskRun(nodes) {
  return new Promise((resolve) => {
    let ran = 0;
    const total = nodes.length;
    const runNode = (node) => {
      node.fn();
      ran++;
      const succ = node.succ;
      for (let i = 0; i < succ.length; i++) {
        const s = succ[i];
        if (--s.pending === 0) queueMicrotask(() => runNode(s));
      }
      if (ran === total) resolve(ran);
    };
    for (let i = 0; i < total; i++) {
      const node = nodes[i];
      if (node.pending === 0) queueMicrotask(() => runNode(node));
    }
  });
}

/** Median of an array of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Seconds since a process.hrtime.bigint() mark. */
export const secondsSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * Times `sides` (name → async function returning its own measured seconds) `runs` times each,
 * interleaved and in alternating order, each on a freshly collected heap; returns medians.
 */
export async function interleaved(runs, sides) {
  const names = Object.keys(sides);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      globalThis.gc?.();
      times[name].push(await sides[name]());
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n])]));
}
