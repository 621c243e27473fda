import type { CounterHandle } from "@npurt/core";
import type { DeadlockReason, DeadlockReport } from "../reports.js";
import type { CallbackRecord, EventCounter, EventRecord, StreamRecord } from "./records.js";

/** What the deadlock checks read of the runtime (and never change). */
export interface RuntimeView {
  /** Every stream with a record: live and destroyed-but-draining. */
  allStreams(): Iterable<StreamRecord>;
  /** Host callbacks started and not finished. */
  readonly runningCallbacks: ReadonlySet<CallbackRecord>;
  /** Whether host callbacks run one at a time in submission order. */
  readonly serialExecutor: boolean;
  /** A counter's value on the device (0 once it is gone). */
  counterValue(counter: CounterHandle | undefined): number;
}

/** Why a stream's head op cannot run now, and whose progress would let it. */
interface Blocked {
  readonly rec: StreamRecord;
  /** Streams holding a pending record that would unblock it: any one of them suffices. */
  readonly on: StreamRecord[];
  /** Whether a host callback is part of the wait (its own wait, or the serial executor). */
  readonly throughCallback: boolean;
  readonly event: EventRecord | undefined;
  /** Set when nothing pending can unblock it any more. */
  readonly reason: DeadlockReason | undefined;
  readonly message: string;
}

/**
 * Finds streams that are blocked forever, from a read-only view of the runtime's tables. Each stream
 * whose head op cannot run waits on the streams holding the records that would free it:
 *
 * - an event wait, on the streams with a pending record of a high enough value;
 * - a blocking host callback that waits (through its context) for an event, on the producers of
 *   that event; a blocking callback queued in the serial default executor, on the producers the
 *   running callbacks wait for;
 * - nothing, when the record was discarded (abort, force destroy) or the event destroyed: that
 *   stream is blocked forever on its own.
 *
 * The streams blocked forever are the greatest set in which every stream waits only on streams
 * of the set: a cycle, streams stuck on their own, and the streams that wait on them. A host
 * callback that awaits something the runtime cannot see is host work, never reported.
 */
export function findDeadlocks(view: RuntimeView): DeadlockReport[] {
  const all = allStreams(view);
  const nodes = new Map<StreamRecord, Blocked>();
  for (const rec of all) {
    const b = blockedOn(view, rec, all);
    if (b !== undefined) nodes.set(rec, b);
  }
  // Greatest fixpoint: drop every stream that waits on some stream able to progress.
  const stuck = new Set(nodes.keys());
  let changed = true;
  while (changed) {
    changed = false;
    for (const rec of stuck) {
      const b = nodes.get(rec)!;
      if (b.reason !== undefined) continue;
      if (b.on.some((o) => !stuck.has(o))) {
        stuck.delete(rec);
        changed = true;
      }
    }
  }
  const reports: DeadlockReport[] = [];
  for (const rec of stuck) {
    const b = nodes.get(rec)!;
    const base = {
      stream: rec.id,
      device: rec.device,
      waitsFor: b.on.map((r) => r.id),
      ...(b.event === undefined ? {} : { event: b.event.id }),
    };
    if (b.reason !== undefined) {
      reports.push({ ...base, reason: b.reason, message: b.message });
      continue;
    }
    const cycle = cycleThrough(rec, nodes, stuck);
    if (cycle !== undefined) {
      const ids = cycle.map((r) => r.id);
      const callbacks = cycle.some((r) => nodes.get(r)!.throughCallback);
      reports.push({
        ...base,
        reason: "cycle",
        message: `stream ${rec.id} waits in a cycle of streams ${ids.join(" → ")} → ${ids[0]}${callbacks ? " through blocking host callbacks" : ""}`,
      });
    } else {
      reports.push({
        ...base,
        reason: "waits-on-deadlocked",
        message: `stream ${rec.id} waits on stream(s) ${base.waitsFor.join(", ")}, which are blocked forever`,
      });
    }
  }
  return reports.sort((a, b) => a.stream - b.stream);
}

/**
 * Checks whether `cb` waiting for record `value` on an event's `counter` could never end: every stream that
 * holds such a record waits, through other streams, for what this callback holds up (its own
 * stream, when blocking, and under the serial executor the streams whose callbacks queue behind
 * it). Returns the streams of the cycle, starting with the callback's, or `undefined`.
 */
export function findCallbackCycle(
  view: RuntimeView,
  cb: CallbackRecord,
  counter: EventCounter,
  value: number,
): StreamRecord[] | undefined {
  const all = allStreams(view);
  const held = new Set<StreamRecord>();
  if (cb.blocking) held.add(cb.stream);
  if (view.serialExecutor) {
    for (const rec of all) {
      const head = rec.specials?.peek();
      if (head?.kind === "release" && head.seq === rec.completed && head.callback.phase === "queued")
        held.add(rec);
    }
  }
  const producers = producersOf(counter, value, all);
  if (held.size === 0 || producers.length === 0) return undefined;
  let first: StreamRecord[] | undefined;
  for (const p of producers) {
    const path = pathTo(view, p, held, all);
    if (path === undefined) return undefined; // this producer can still make progress
    first ??= path;
  }
  const last = first![first!.length - 1]!;
  return last === cb.stream ? [last, ...first!.slice(0, -1)] : [cb.stream, ...first!];
}

function allStreams(view: RuntimeView): StreamRecord[] {
  return [...view.allStreams()];
}

/** Streams holding a pending record on `counter` with at least `value`. */
function producersOf(counter: EventCounter, value: number, all: readonly StreamRecord[]): StreamRecord[] {
  const out: StreamRecord[] = [];
  for (const rec of all) {
    if (rec.specials === undefined) continue;
    for (const op of rec.specials) {
      if (op.kind === "record" && op.counter === counter && op.value >= value) {
        out.push(rec);
        break;
      }
    }
  }
  return out;
}

/** A path of blocked streams from `from` to one of `targets` (every hop forced), or `undefined`. */
function pathTo(
  view: RuntimeView,
  from: StreamRecord,
  targets: ReadonlySet<StreamRecord>,
  all: readonly StreamRecord[],
): StreamRecord[] | undefined {
  const seen = new Set<StreamRecord>();
  const walk = (rec: StreamRecord): StreamRecord[] | undefined => {
    if (targets.has(rec)) return [rec];
    if (seen.has(rec)) return undefined;
    seen.add(rec);
    const b = blockedOn(view, rec, all);
    if (b === undefined || b.on.length === 0) return undefined;
    let path: StreamRecord[] | undefined;
    for (const next of b.on) {
      const rest = walk(next);
      if (rest === undefined) return undefined; // one way out is enough to progress
      path ??= rest;
    }
    return [rec, ...path!];
  };
  return walk(from);
}

function blockedOn(view: RuntimeView, rec: StreamRecord, all: readonly StreamRecord[]): Blocked | undefined {
  const head = rec.specials?.peek();
  if (head === undefined || head.seq !== rec.completed) return undefined;
  if (head.kind === "wait") return waitingFor(view, rec, head.event, head.counter, head.value, false, all);
  if (head.kind !== "release") return undefined;
  const cb = head.callback;
  if (cb.phase === "running") {
    const wait = cb.waits?.[0];
    return wait === undefined
      ? undefined
      : waitingFor(view, rec, wait.event, wait.counter, wait.value, true, all);
  }
  if (cb.phase !== "queued" || !view.serialExecutor) return undefined;
  // Queued behind the running callbacks: it waits for them, and they for what they wait on
  // (a blocking one holds its own stream, whose node says so).
  const on: StreamRecord[] = [];
  for (const running of view.runningCallbacks) {
    const wait = running.waits?.[0];
    if (wait === undefined) return undefined; // the running callback is host work
    if (running.blocking) on.push(running.stream);
    else on.push(...producersOf(wait.counter, wait.value, all));
  }
  if (on.length === 0) return undefined;
  return { rec, on, throughCallback: true, event: undefined, reason: undefined, message: "" };
}

function waitingFor(
  view: RuntimeView,
  rec: StreamRecord,
  ev: EventRecord,
  counter: EventCounter,
  value: number,
  throughCallback: boolean,
  all: readonly StreamRecord[],
): Blocked | undefined {
  if (view.counterValue(counter.handle) >= value) return undefined;
  const on = producersOf(counter, value, all);
  const node = { rec, on, throughCallback, event: ev };
  if (on.length > 0) return { ...node, reason: undefined, message: "" };
  const who = throughCallback ? `a blocking host callback of stream ${rec.id}` : `stream ${rec.id}`;
  const lost = ev.discarded;
  if (lost !== undefined && lost.value >= value) {
    return {
      ...node,
      reason: lost.destroyed ? "producer-destroyed" : "producer-aborted",
      message: `${who} waits for event ${ev.id}, whose record on stream ${lost.streamId} was discarded when that stream was ${lost.destroyed ? "force-destroyed" : "aborted"}`,
    };
  }
  if (ev.destroyed) {
    return {
      ...node,
      reason: "record-never-comes",
      message: `${who} waits for a record of event ${ev.id}, which was destroyed: no record can come`,
    };
  }
  return undefined; // a future record may still come
}

/** A cycle of stuck streams through `start`, or `undefined` when it only waits on one. */
function cycleThrough(
  start: StreamRecord,
  nodes: ReadonlyMap<StreamRecord, Blocked>,
  stuck: ReadonlySet<StreamRecord>,
): StreamRecord[] | undefined {
  const parent = new Map<StreamRecord, StreamRecord>();
  const queue: StreamRecord[] = [start];
  while (queue.length > 0) {
    const rec = queue.shift()!;
    for (const next of nodes.get(rec)!.on) {
      if (!stuck.has(next)) continue;
      if (next === start) {
        const path = [rec];
        for (let r = rec; r !== start; r = parent.get(r)!) path.push(parent.get(r)!);
        return path.reverse();
      }
      if (parent.has(next)) continue;
      parent.set(next, rec);
      queue.push(next);
    }
  }
  return undefined;
}
