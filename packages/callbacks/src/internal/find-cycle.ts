import type { NodeId } from "../graph-report.js";

/**
 * A cycle of the graph given as compressed rows (its nodes in edge order, the first repeated
 * at the end), or `undefined`: Kahn's count and then a coloured depth-first
 * search of what is left. O(nodes + edges).
 */
export function findCycle(
  n: number,
  inDegree: Int32Array,
  off: Int32Array,
  adj: Int32Array,
): NodeId[] | undefined {
  const pending = inDegree.slice(0, n);
  const order = new Int32Array(n);
  let tail = 0;
  for (let v = 0; v < n; v++) if (pending[v] === 0) order[tail++] = v;
  for (let head = 0; head < tail; head++) {
    const v = order[head]!;
    for (let e = off[v]!; e < off[v + 1]!; e++) if (--pending[adj[e]!]! === 0) order[tail++] = adj[e]!;
  }
  if (tail === n) return undefined;
  // Every node left has a dependency that is left too; walking dependents among them must
  // come back to a node on the current path.
  const colour = new Uint8Array(n); // 0 unseen, 1 on the path, 2 done
  const cursor = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (pending[s] === 0 || colour[s] !== 0) continue;
    const path: number[] = [s];
    colour[s] = 1;
    cursor[s] = off[s]!;
    while (path.length > 0) {
      const x = path[path.length - 1]!;
      if (cursor[x]! < off[x + 1]!) {
        const w = adj[cursor[x]!++]!;
        if (pending[w] === 0) continue;
        if (colour[w] === 1) {
          const nodes = path.slice(path.indexOf(w));
          nodes.push(w);
          return nodes;
        }
        if (colour[w] === 0) {
          colour[w] = 1;
          cursor[w] = off[w]!;
          path.push(w);
        }
      } else {
        colour[x] = 2;
        path.pop();
      }
    }
  }
  return undefined;
}
