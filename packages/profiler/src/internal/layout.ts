import type { EngineKind } from "../op-codes.js";
import type { HostWaitInfo, Recording } from "../recording.js";

export type { EngineKind };

/** A derived, deterministic view of a recording that every writer shares. */
export interface Layout {
  /** Completed rows, sorted by device start then row index. */
  readonly byStart: Int32Array;
  /** Completed rows count (length of `byStart`). */
  readonly completed: number;
  /** Per row: engine lane within its engine kind (kernels packed onto the fewest lanes), -1 for none. */
  readonly lane: Int32Array;
  /** Per row: its engine kind, or undefined for counter ops. */
  readonly engine: (EngineKind | undefined)[];
  /** Lanes used per device and engine kind: `lanes.get("0:compute") === 3`. */
  readonly lanes: ReadonlyMap<string, number>;
  /** Per wait row: the signal row that satisfies it, -1 when the host signalled or none was seen. */
  readonly signalOf: Int32Array;
  /** A display name per queue id. */
  readonly queueNames: ReadonlyMap<number, string>;
  /** Queue ids in display order (device, then creation). */
  readonly queueOrder: readonly number[];
  /** Host waits by begin time, then id. */
  readonly hostWaits: readonly HostWaitInfo[];
  /** Per entry of `hostWaits`: its lane (overlapping waits packed onto the fewest lanes). */
  readonly hostWaitLane: Int32Array;
  /** Lanes the host waits use (at least 1). */
  readonly hostWaitLanes: number;
  /** Earliest and latest time seen (ns). */
  readonly startNs: number;
  readonly endNs: number;
}

const ENGINE_SLOT: Readonly<Record<EngineKind, number>> = { compute: 0, h2d: 1, d2h: 2, d2d: 3 };

/** The display name of a host wait: `synchronize stream 3`, `synchronize every device`. */
export function hostWaitLabel(h: HostWaitInfo): string {
  return `synchronize ${h.id === undefined ? "every device" : `${h.target} ${h.id}`}`;
}

/** The display name of op row `i`. */
export function opLabel(rec: Recording, i: number): string {
  const ops = rec.ops;
  const kind = ops.kind[i];
  if (kind === 3) return `record c${ops.counter[i]}=${ops.value[i]}`;
  if (kind === 4) return `wait c${ops.counter[i]}=${ops.value[i]}`;
  const name = rec.names[ops.name[i]!] ?? "?";
  return kind === 1 ? `copy ${name}` : name;
}

/**
 * Completed rows by device start, then row. Rows usually complete in the order they were enqueued
 * on a device kept busy, so the sort (a comparator over a million rows) is skipped when the rows
 * already are in order.
 */
function completedByStart(ops: Recording["ops"]): Int32Array {
  let count = 0;
  for (let i = 0; i < ops.length; i++) if (ops.status[i] !== 0) count++;
  const rows = new Int32Array(count);
  let sorted = true;
  let k = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < ops.length; i++) {
    if (ops.status[i] === 0) continue;
    const start = ops.startNs[i]!;
    if (start < last) sorted = false;
    last = start;
    rows[k++] = i;
  }
  if (sorted) return rows;
  const list = Array.from(rows);
  list.sort((a, b) => ops.startNs[a]! - ops.startNs[b]! || a - b);
  return Int32Array.from(list);
}

/** Builds the shared layout in O(n log n). */
export function layout(rec: Recording): Layout {
  const ops = rec.ops;
  const n = ops.length;
  const byStart = completedByStart(ops);

  // Greedy interval partitioning: each op takes the lowest-numbered lane free at its start, so
  // lanes never overlap and the lane count is the peak concurrency of that engine.
  const lane = new Int32Array(n).fill(-1);
  const engine: (EngineKind | undefined)[] = new Array(n);
  const laneEnds = new Map<string, number[]>();
  // The lane list of each device and engine, by a number key: no string built per op.
  const endsByKey: (number[] | undefined)[] = [];
  for (let r = 0; r < byStart.length; r++) {
    const i = byStart[r]!;
    const kind = ops.kind[i];
    let e: EngineKind | undefined;
    if (kind === 0 || kind === 2) e = "compute";
    else if (kind === 1) {
      const direction = rec.names[ops.name[i]!] as EngineKind | undefined;
      e = direction !== undefined && direction !== "compute" && direction in ENGINE_SLOT ? direction : "d2d";
    }
    if (e === undefined) continue;
    engine[i] = e;
    const slot = ops.device[i]! * 4 + ENGINE_SLOT[e];
    let ends = endsByKey[slot];
    if (ends === undefined) {
      ends = [];
      endsByKey[slot] = ends;
      laneEnds.set(`${ops.device[i]}:${e}`, ends);
    }
    let l = 0;
    while (l < ends.length && ends[l]! > ops.startNs[i]!) l++;
    ends[l] = ops.endNs[i]!;
    lane[i] = l;
  }
  const lanes = new Map<string, number>();
  for (const [k, ends] of laneEnds) lanes.set(k, ends.length);

  // A wait pairs with the latest signal of its counter value enqueued before it, or (a wait for a
  // future record) with the first one enqueued after it. Counters are reused, so values repeat.
  const signals = new Map<string, number>();
  const signalOf = new Int32Array(n).fill(-1);
  const unresolved = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const kind = ops.kind[i];
    if (kind !== 3 && kind !== 4) continue;
    const key = `${ops.counter[i]}:${ops.value[i]}`;
    if (kind === 3) {
      signals.set(key, i);
      const waiting = unresolved.get(key);
      if (waiting !== undefined) {
        for (const w of waiting) signalOf[w] = i;
        unresolved.delete(key);
      }
    } else {
      const s = signals.get(key);
      if (s !== undefined) signalOf[i] = s;
      else {
        let list = unresolved.get(key);
        if (list === undefined) {
          list = [];
          unresolved.set(key, list);
        }
        list.push(i);
      }
    }
  }

  const queueNames = new Map<number, string>();
  const known = new Map(rec.queues.map((q) => [q.queue, q]));
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) seen.add(ops.queue[i]!);
  for (const q of rec.queues) seen.add(q.queue);
  const queueOrder = [...seen].sort((a, b) => {
    const qa = known.get(a);
    const qb = known.get(b);
    return (qa?.device ?? 0) - (qb?.device ?? 0) || a - b;
  });
  for (const q of queueOrder) {
    const streams = known.get(q)?.streams ?? [];
    queueNames.set(
      q,
      streams.length === 0
        ? `queue ${q}`
        : `stream ${streams.length > 3 ? `${streams.slice(0, 3).join(", ")}, …` : streams.join(", ")} (queue ${q})`,
    );
  }

  let startNs = Number.POSITIVE_INFINITY;
  let endNs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const h = ops.hostStartNs[i]!;
    if (h < startNs) startNs = h;
    if (ops.enqueueNs[i]! > endNs) endNs = ops.enqueueNs[i]!;
    if (ops.status[i] !== 0) {
      if (ops.startNs[i]! < startNs) startNs = ops.startNs[i]!;
      if (ops.endNs[i]! > endNs) endNs = ops.endNs[i]!;
    }
  }
  for (const c of rec.callbacks) {
    if (c.enqueuedNs < startNs) startNs = c.enqueuedNs;
    const end = c.finishedNs ?? c.startedNs ?? c.enqueuedNs;
    if (end > endNs) endNs = end;
  }
  for (const m of rec.memory) {
    if (m.timeNs < startNs) startNs = m.timeNs;
    if (m.timeNs > endNs) endNs = m.timeNs;
  }
  for (const h of rec.hostWaits) {
    if (h.beginNs < startNs) startNs = h.beginNs;
    const end = h.endNs ?? h.beginNs;
    if (end > endNs) endNs = end;
  }
  if (startNs > endNs) startNs = endNs = 0;
  const waits = packHostWaits(rec.hostWaits, endNs);
  return {
    byStart,
    completed: byStart.length,
    lane,
    engine,
    lanes,
    signalOf,
    queueNames,
    queueOrder,
    hostWaits: waits.order,
    hostWaitLane: waits.lane,
    hostWaitLanes: waits.lanes,
    startNs,
    endNs,
  };
}

/**
 * Host waits by begin, each on the lowest lane free at its begin (an unsettled wait lasts to
 * `endNs`): on one lane they never overlap, which a track's slices must not do partially.
 */
function packHostWaits(
  list: readonly HostWaitInfo[],
  endNs: number,
): { order: HostWaitInfo[]; lane: Int32Array; lanes: number } {
  const order = [...list].sort((a, b) => a.beginNs - b.beginNs || a.wait - b.wait);
  const lane = new Int32Array(order.length);
  const ends: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const h = order[k]!;
    let l = 0;
    while (l < ends.length && ends[l]! > h.beginNs) l++;
    ends[l] = h.endNs ?? endNs;
    lane[k] = l;
  }
  return { order, lane, lanes: Math.max(1, ends.length) };
}
