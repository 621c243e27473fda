import type { CounterHandle } from "@npurt/core";
import type { DeadlockReason, DeadlockReport } from "../reports.js";
import { type HeldOp, pathToHeld, streamsOf } from "./dependency-graph.js";
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
 *
 * Cost: one pass over the streams (only a stream's head op is read), producers found through
 * each counter's list of pending records, the fixpoint by a worklist over reverse edges, and one
 * cycle search per strongly connected set of stuck streams: near-linear in streams plus edges,
 * where it used to be blocked × streams.
 */
export function findDeadlocks(view: RuntimeView): DeadlockReport[] {
  const nodes = new Map<StreamRecord, Blocked>();
  for (const rec of view.allStreams()) {
    const b = blockedOn(view, rec);
    if (b !== undefined) nodes.set(rec, b);
  }
  if (nodes.size === 0) return [];
  // Greatest fixpoint: a stream that waits on some stream able to progress can progress too.
  const stuck = new Set(nodes.keys());
  const waitedBy = new Map<StreamRecord, StreamRecord[]>();
  const free: StreamRecord[] = [];
  for (const [rec, b] of nodes) {
    if (b.reason !== undefined) continue;
    let progresses = false;
    for (const o of b.on) {
      if (!nodes.has(o)) progresses = true;
      const list = waitedBy.get(o);
      if (list === undefined) waitedBy.set(o, [rec]);
      else list.push(rec);
    }
    if (progresses) free.push(rec);
  }
  for (const rec of free) stuck.delete(rec);
  while (free.length > 0) {
    const rec = free.pop()!;
    for (const w of waitedBy.get(rec) ?? []) {
      if (!stuck.has(w) || nodes.get(w)!.reason !== undefined) continue;
      stuck.delete(w);
      free.push(w);
    }
  }
  const cycles = cyclesOf(nodes, stuck);
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
    const cycle = cycles.get(rec);
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
 * holds such a record needs, through any path of the wait-for graph, what this callback holds up
 * (its own stream's release, when blocking, and under a serial executor the release of every
 * blocking callback not started yet, which cannot start before this one ends). A callback that
 * has finished holds nothing: a context kept after its callback ended waits like any event
 * synchronize. Returns the streams of the cycle, starting with the callback's, or `undefined`.
 */
export function findCallbackCycle(
  _view: RuntimeView,
  cb: CallbackRecord,
  counter: EventCounter,
  value: number,
): StreamRecord[] | undefined {
  if (cb.phase === "done") return undefined;
  const serial = cb.serialAhead !== undefined;
  const held: HeldOp = (_stream, op) => {
    if (op.kind !== "release") return false;
    const other = op.callback;
    if (other === cb) return cb.blocking;
    return serial && (other.phase === "launched" || other.phase === "queued");
  };
  const producers = new Map<StreamRecord, number>();
  for (const p of counter.producers ?? []) {
    if (p.op.value >= value && !producers.has(p.stream)) producers.set(p.stream, p.op.seq);
  }
  if (producers.size === 0) return undefined;
  let first: StreamRecord[] | undefined;
  for (const [stream, seq] of producers) {
    const path = pathToHeld(stream, seq, held);
    if (path === undefined) return undefined; // this producer can still make progress
    first ??= streamsOf(stream, path);
  }
  const last = first![first!.length - 1]!;
  return last === cb.stream ? [last, ...first!.slice(0, -1)] : [cb.stream, ...first!];
}

/** Streams holding a pending record on `counter` with at least `value`. */
function producersOf(counter: EventCounter, value: number): StreamRecord[] {
  const out: StreamRecord[] = [];
  for (const p of counter.producers ?? []) {
    if (p.op.value >= value && !out.includes(p.stream)) out.push(p.stream);
  }
  return out;
}

function blockedOn(view: RuntimeView, rec: StreamRecord): Blocked | undefined {
  const head = rec.specials?.peek();
  if (head === undefined || head.seq !== rec.completed) return undefined;
  if (head.kind === "wait") return waitingFor(view, rec, head.event, head.counter, head.value, false);
  if (head.kind !== "release") return undefined;
  const cb = head.callback;
  if (cb.phase === "running") {
    const wait = cb.waits?.[0];
    return wait === undefined ? undefined : waitingFor(view, rec, wait.event, wait.counter, wait.value, true);
  }
  if (cb.phase !== "queued" || !view.serialExecutor) return undefined;
  // Queued behind the running callbacks: it waits for them, and they for what they wait on
  // (a blocking one holds its own stream, whose node says so).
  const on: StreamRecord[] = [];
  for (const running of view.runningCallbacks) {
    const wait = running.waits?.[0];
    if (wait === undefined) return undefined; // the running callback is host work
    if (running.blocking) on.push(running.stream);
    else on.push(...producersOf(wait.counter, wait.value));
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
): Blocked | undefined {
  if (view.counterValue(counter.handle) >= value) return undefined;
  const on = producersOf(counter, value);
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

/**
 * A cycle through each stuck stream that lies on one (the others only wait on one). Streams on
 * a cycle are those of a strongly connected set of more than one, or waiting on themselves; one
 * breadth-first search per set finds a cycle, which names every member on it (rotated to start
 * there), and only the members off it get a search of their own.
 */
function cyclesOf(
  nodes: ReadonlyMap<StreamRecord, Blocked>,
  stuck: ReadonlySet<StreamRecord>,
): Map<StreamRecord, StreamRecord[]> {
  const out = new Map<StreamRecord, StreamRecord[]>();
  for (const component of stronglyConnected(nodes, stuck)) {
    const members = new Set(component);
    const single = component.length === 1;
    for (const rec of component) {
      if (out.has(rec)) continue;
      if (single && !nodes.get(rec)!.on.includes(rec)) continue;
      const cycle = cycleThrough(rec, nodes, members);
      if (cycle === undefined) continue;
      for (let i = 0; i < cycle.length; i++) {
        const member = cycle[i]!;
        if (!out.has(member)) out.set(member, [...cycle.slice(i), ...cycle.slice(0, i)]);
      }
    }
  }
  return out;
}

/** Tarjan's strongly connected components of the stuck streams, iteratively (no deep recursion). */
function stronglyConnected(
  nodes: ReadonlyMap<StreamRecord, Blocked>,
  stuck: ReadonlySet<StreamRecord>,
): StreamRecord[][] {
  const index = new Map<StreamRecord, number>();
  const low = new Map<StreamRecord, number>();
  const onStack = new Set<StreamRecord>();
  const stack: StreamRecord[] = [];
  const components: StreamRecord[][] = [];
  let counter = 0;
  for (const root of stuck) {
    if (index.has(root)) continue;
    const frames: { rec: StreamRecord; next: number }[] = [{ rec: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const on = nodes.get(frame.rec)!.on;
      if (frame.next < on.length) {
        const next = on[frame.next++]!;
        if (!stuck.has(next)) continue;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          frames.push({ rec: next, next: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.rec, Math.min(low.get(frame.rec)!, index.get(next)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.rec, Math.min(low.get(parent.rec)!, low.get(frame.rec)!));
      if (low.get(frame.rec) === index.get(frame.rec)) {
        const component: StreamRecord[] = [];
        let member: StreamRecord;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.rec);
        components.push(component);
      }
    }
  }
  return components;
}

/** A cycle of `within` streams through `start`, or `undefined` when there is none. */
function cycleThrough(
  start: StreamRecord,
  nodes: ReadonlyMap<StreamRecord, Blocked>,
  within: ReadonlySet<StreamRecord>,
): StreamRecord[] | undefined {
  const parent = new Map<StreamRecord, StreamRecord>();
  const queue: StreamRecord[] = [start];
  for (let q = 0; q < queue.length; q++) {
    const rec = queue[q]!;
    for (const next of nodes.get(rec)!.on) {
      if (!within.has(next)) continue;
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
