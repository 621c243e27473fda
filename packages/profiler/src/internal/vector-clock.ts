/**
 * A vector clock as an immutable map from queue id to epoch. Joins return a new map (or the same
 * one when nothing changed), so a snapshot is a reference, never a copy.
 */
export type VectorClock = ReadonlyMap<number, number>;

/** The empty clock. */
export const EMPTY_CLOCK: VectorClock = new Map();

/** The pointwise maximum of `a` and `b` (returns `a` itself when `b` adds nothing). */
export function join(a: VectorClock, b: VectorClock): VectorClock {
  if (b.size === 0 || a === b) return a;
  let out: Map<number, number> | undefined;
  for (const [k, v] of b) {
    if ((a.get(k) ?? 0) >= v) continue;
    out ??= new Map(a);
    out.set(k, v);
  }
  return out ?? a;
}

/** `a` with queue `q` raised to at least `epoch`. */
export function withEpoch(a: VectorClock, q: number, epoch: number): VectorClock {
  if ((a.get(q) ?? 0) >= epoch) return a;
  const out = new Map(a);
  out.set(q, epoch);
  return out;
}
