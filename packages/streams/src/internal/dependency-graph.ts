import type { FutureWait, StreamRecord } from "./records.js";

/**
 * Checks whether a record on `producer` at position `recordSeq`, which would satisfy the future
 * waits `resolved`, closes a cycle. The graph's nodes are pending future waits; a resolved wait
 * depends on every pending future wait of its producer that sits before the record in that
 * stream. Only a record adds edges (a wait cannot depend on a record that does not exist yet), so
 * checking here finds every cycle when it forms, and only real ones: positions are compared, so
 * work queued after a record never counts as its dependency.
 *
 * @returns the waits of the cycle, starting with a resolved one, or `undefined`.
 */
export function findFutureCycle(
  resolved: readonly FutureWait[],
  producer: StreamRecord,
  recordSeq: number,
): FutureWait[] | undefined {
  const targets = new Set(resolved);
  const parent = new Map<FutureWait, FutureWait | undefined>();
  const stack: FutureWait[] = [];
  const before = (stream: StreamRecord, seq: number): FutureWait[] =>
    (stream.futureWaits ?? []).filter((g) => !g.done && g.seq < seq);
  for (const g of before(producer, recordSeq)) {
    parent.set(g, undefined);
    stack.push(g);
  }
  while (stack.length > 0) {
    const g = stack.pop()!;
    if (targets.has(g)) {
      const path: FutureWait[] = [];
      for (let n: FutureWait | undefined = g; n !== undefined; n = parent.get(n)) path.push(n);
      path.reverse();
      return rotate(path, g);
    }
    if (g.producer === undefined) continue;
    for (const next of before(g.producer, g.producerSeq)) {
      if (parent.has(next)) continue;
      parent.set(next, g);
      stack.push(next);
    }
  }
  return undefined;
}

/** Puts `first` (the wait the new record resolves) at the head of the cycle. */
function rotate(path: FutureWait[], first: FutureWait): FutureWait[] {
  const i = path.indexOf(first);
  return [...path.slice(i), ...path.slice(0, i)];
}
