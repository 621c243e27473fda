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
