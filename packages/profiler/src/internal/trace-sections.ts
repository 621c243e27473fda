// The parts of the Chrome trace, each written by a function of its own: the per-op loops are the
// hot path of a million-op trace, and a loop in a small function of its own is one V8 inlines the
// writer's methods into (one function holding every loop ran out of inlining budget).
import type { CallbackInfo, Recording } from "../recording.js";
import type { JsonBytes } from "./json-bytes.js";
import { type EngineKind, hostWaitLabel, type Layout } from "./layout.js";
import {
  engineTid,
  HOST_API_TID,
  HOST_CALLBACK_TID,
  HOST_PID,
  hostWaitTid,
  L,
  type NameTails,
  QUEUE_TID_BASE,
  type TrackHeads,
} from "./trace-pieces.js";

/** What every part of one trace shares. */
export interface TraceContext {
  readonly w: JsonBytes;
  readonly rec: Recording;
  readonly lay: Layout;
  readonly heads: TrackHeads;
  readonly tails: NameTails;
  readonly launchFlows: boolean;
  readonly engineTracks: boolean;
  /** Device indices seen, ascending. */
  readonly devices: readonly number[];
  /** Callbacks that started, by start time then id. */
  readonly callbacks: readonly CallbackInfo[];
}

const ENGINE_NAME: Readonly<Record<EngineKind, string>> = {
  compute: "AI core group",
  h2d: "copy engine h2d",
  d2h: "copy engine d2h",
  d2d: "copy engine d2d",
};
/** Windows of the host utilisation counter over the recording's span. */
const HOST_BUCKETS = 200;

// Trace Event timestamps are microseconds; ns / 1000 prints the same digits on every run.
const us = (ns: number): number => ns / 1000;
const str = JSON.stringify;

/** The device indices of a recording's queues and ops, ascending. */
export function traceDevices(rec: Recording): number[] {
  const devices = new Set<number>();
  for (const q of rec.queues) devices.add(q.device);
  const ops = rec.ops;
  // Runs of one device are the rule: a set lookup only where the device changes.
  let last = -1;
  for (let i = 0; i < ops.length; i++) {
    const d = ops.device[i]!;
    if (d !== last) devices.add(d);
    last = d;
  }
  return [...devices].sort((a, b) => a - b);
}

/** The callbacks that started, by start time then id. */
export function startedCallbacks(rec: Recording): CallbackInfo[] {
  return rec.callbacks
    .filter((c) => c.startedNs !== undefined)
    .sort((a, b) => a.startedNs! - b.startedNs! || a.callback - b.callback);
}

/** Processes and tracks, with sort indices so the order is stable in the UI. The first events. */
export function writeMetadata(c: TraceContext): void {
  const { w, rec, lay } = c;
  let first = true;
  const meta = (pid: number, tid: number | undefined, what: string, args: string): void => {
    if (!first) w.bytes(L.sep);
    first = false;
    w.bytes(L.meta);
    w.text(`${pid}${tid === undefined ? "" : `,"tid":${tid}`},"name":"${what}","args":${args}}`);
  };
  meta(HOST_PID, undefined, "process_name", '{"name":"host"}');
  meta(HOST_PID, undefined, "process_sort_index", '{"sort_index":0}');
  meta(HOST_PID, HOST_API_TID, "thread_name", '{"name":"host API calls"}');
  meta(HOST_PID, HOST_CALLBACK_TID, "thread_name", '{"name":"host callbacks"}');
  for (let l = 0; l < lay.hostWaitLanes; l++) {
    meta(
      HOST_PID,
      hostWaitTid(l),
      "thread_name",
      str({ name: l === 0 ? "host waits" : `host waits ${l + 1}` }),
    );
  }
  for (const d of c.devices) {
    meta(d + 1, undefined, "process_name", `{"name":"device ${d}"}`);
    meta(d + 1, undefined, "process_sort_index", `{"sort_index":${d + 1}}`);
  }
  const ops = rec.ops;
  const queueDevice = new Map<number, number>();
  for (const q of rec.queues) queueDevice.set(q.queue, q.device);
  // Ops come in runs of one queue (a stream's submissions): a map update only where it changes.
  let last = -1;
  for (let i = 0; i < ops.length; i++) {
    const q = ops.queue[i]!;
    if (q !== last) queueDevice.set(q, ops.device[i]!);
    last = q;
  }
  let sort = 0;
  for (const q of lay.queueOrder) {
    const pid = (queueDevice.get(q) ?? 0) + 1;
    meta(pid, QUEUE_TID_BASE + q, "thread_name", str({ name: lay.queueNames.get(q) }));
    meta(pid, QUEUE_TID_BASE + q, "thread_sort_index", `{"sort_index":${sort++}}`);
  }
  if (!c.engineTracks) return;
  for (const [key, count] of [...lay.lanes].sort()) {
    const [d, e] = key.split(":") as [string, EngineKind];
    for (let l = 0; l < count; l++) {
      const tid = engineTid(e, l);
      const name = count > 1 ? `${ENGINE_NAME[e]} ${l}` : ENGINE_NAME[e];
      meta(Number(d) + 1, tid, "thread_name", str({ name }));
      meta(Number(d) + 1, tid, "thread_sort_index", `{"sort_index":${5000 + tid}}`);
    }
  }
}

/**
 * Host API calls, in host order (the host clock only moves forward), each sized by its host cost.
 * Launch flows are Flow v2 (`bind_id` with `flow_out` here, `flow_in` on the op's queue slice):
 * two fields on slices written anyway, where a flow's own "s" and "f" events cost about 170 bytes
 * per op. Their ids are even, the record → wait flows' odd, so the two never meet.
 */
export function writeHostCalls(c: TraceContext): void {
  const { w, tails, launchFlows } = c;
  const ops = c.rec.ops;
  for (let i = 0; i < ops.length; i++) {
    const h = ops.hostStartNs[i]!;
    w.span(L.hostCall, h, ops.enqueueNs[i]! - h);
    if (launchFlows && ops.kind[i]! <= 2 && ops.status[i] !== 0) {
      w.bytes(tails.hostFlow(i));
      w.num(2 * i);
      w.bytes(L.flowOut);
    } else w.bytes(tails.host(i));
  }
}

/** Host callbacks, by start time then id. */
export function writeCallbacks(c: TraceContext): void {
  const w = c.w;
  for (const cb of c.callbacks) {
    const start = cb.startedNs!;
    w.span(L.callback, start, (cb.finishedNs ?? start) - start);
    w.text(
      `,"name":${str(cb.label ?? `callback ${cb.callback}`)},"cat":"callback","args":{"callback":${cb.callback},"stream":${
        cb.stream ?? null
      },"status":${str(cb.status ?? "running")},"queuedNs":${start - cb.enqueuedNs}}}`,
    );
  }
}

/**
 * Host waits (the synchronizes the host awaited), each from its call to when it settled, named by
 * what it waited for, with how it ended; one not settled yet lasts to the end of the recording.
 */
export function writeHostWaits(c: TraceContext): void {
  const { w, lay, heads } = c;
  for (let k = 0; k < lay.hostWaits.length; k++) {
    const h = lay.hostWaits[k]!;
    const end = h.endNs ?? lay.endNs;
    w.span(heads.get("X", HOST_PID - 1, hostWaitTid(lay.hostWaitLane[k]!)), h.beginNs, end - h.beginNs);
    const code = h.code === undefined ? "" : `,"code":${str(h.code)}`;
    w.text(`,"name":${str(hostWaitLabel(h))},"args":{"outcome":"${h.outcome ?? "pending"}"${code}}}`);
  }
}

/**
 * Each completed op on its queue's track, by start, and (optionally) on its engine lane. The
 * queue slice carries the op's id (and its status when not ok); the engine copy only its name.
 */
export function writeDeviceSlices(c: TraceContext): void {
  const { w, lay, heads, tails, launchFlows, engineTracks } = c;
  const ops = c.rec.ops;
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const start = ops.startNs[i]!;
    const dur = ops.endNs[i]! - start;
    const device = ops.device[i]!;
    w.span(heads.get("X", device, QUEUE_TID_BASE + ops.queue[i]!), start, dur);
    w.bytes(tails.queue(i));
    w.num(ops.opId[i]!);
    if (launchFlows && ops.kind[i]! <= 2) {
      w.bytes(L.statusFlow[ops.status[i]!]!);
      w.num(2 * i);
      w.bytes(L.flowIn);
    } else w.bytes(L.status[ops.status[i]!]!);
    const e = lay.engine[i];
    if (engineTracks && e !== undefined) {
      w.span(heads.get("X", device, engineTid(e, lay.lane[i]!)), start, dur);
      w.bytes(tails.engine(i));
    }
  }
}

/**
 * Record → the waits it satisfied, as Flow v1 events: one record can satisfy several waits, and
 * each gets an arrow of its own. Ids are row-derived, so they pair.
 */
export function writeDependencyFlows(c: TraceContext): void {
  const { w, lay, heads } = c;
  const ops = c.rec.ops;
  const flow = (head: Uint8Array, ns: number, id: number): void => {
    w.bytes(head);
    w.micros(ns);
    w.bytes(L.id);
    w.num(id);
    w.bytes(L.eventTail);
  };
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const s = ops.kind[i] === 4 ? lay.signalOf[i]! : -1;
    if (s < 0 || ops.status[s] === 0) continue;
    const id = 2 * i + 1;
    flow(heads.get("s", ops.device[s]!, QUEUE_TID_BASE + ops.queue[s]!), ops.startNs[s]!, id);
    flow(heads.get("f", ops.device[i]!, QUEUE_TID_BASE + ops.queue[i]!), ops.startNs[i]!, id);
  }
}

/** Device memory in use per device, in event order. */
export function writeMemoryCounter(c: TraceContext): void {
  const { w, heads } = c;
  for (const m of c.rec.memory)
    w.sample(heads.get("C", m.device, undefined), m.timeNs, L.memoryArgs, m.bytes);
}

/**
 * Queue depth per device: +1 at enqueue (host time), -1 at end (device time), so the ops handed
 * over and not yet finished. One sample per timestamp: the depth after every change at that
 * instant.
 */
export function writeQueueDepth(c: TraceContext): void {
  const { w, heads } = c;
  for (const d of c.devices) {
    const { enqueued, ended } = depthSteps(c.rec.ops, d);
    const head = heads.get("C", d, undefined);
    let depth = 0;
    let a = 0;
    let b = 0;
    while (a < enqueued.length || b < ended.length) {
      const t =
        b >= ended.length || (a < enqueued.length && enqueued[a]! <= ended[b]!) ? enqueued[a]! : ended[b]!;
      while (a < enqueued.length && enqueued[a] === t) {
        depth++;
        a++;
      }
      while (b < ended.length && ended[b] === t) {
        depth--;
        b++;
      }
      w.sample(head, t, L.depthArgs, depth);
    }
  }
}

/** Enqueue times and end times of device `d`'s ops, each sorted. */
function depthSteps(ops: Recording["ops"], d: number): { enqueued: Float64Array; ended: Float64Array } {
  let n = 0;
  let done = 0;
  for (let i = 0; i < ops.length; i++) {
    if (ops.device[i] !== d) continue;
    n++;
    if (ops.status[i] !== 0) done++;
  }
  const enqueued = new Float64Array(n);
  const ended = new Float64Array(done);
  n = 0;
  done = 0;
  for (let i = 0; i < ops.length; i++) {
    if (ops.device[i] !== d) continue;
    enqueued[n++] = ops.enqueueNs[i]!;
    if (ops.status[i] !== 0) ended[done++] = ops.endNs[i]!;
  }
  // Typed-array sort is numeric and needs no comparator; enqueue times, in host order, are
  // usually sorted already.
  if (!isSorted(enqueued)) enqueued.sort();
  if (!isSorted(ended)) ended.sort();
  return { enqueued, ended };
}

function isSorted(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}

/**
 * Host utilisation: the busy fraction (API calls and callbacks) in each of `HOST_BUCKETS` equal
 * windows of the span, as a counter on the host process.
 */
export function writeHostUtilisation(c: TraceContext): void {
  const { w, lay } = c;
  const ops = c.rec.ops;
  const span = lay.endNs - lay.startNs;
  if (span <= 0) return;
  const width = span / HOST_BUCKETS;
  const busy = new Float64Array(HOST_BUCKETS);
  const add = (a: number, b: number): void => {
    for (let k = Math.max(0, Math.floor((a - lay.startNs) / width)); k < HOST_BUCKETS; k++) {
      const lo = lay.startNs + k * width;
      if (lo >= b) break;
      busy[k]! += Math.max(0, Math.min(b, lo + width) - Math.max(a, lo));
    }
  };
  for (let i = 0; i < ops.length; i++) add(ops.hostStartNs[i]!, ops.enqueueNs[i]!);
  for (const cb of c.callbacks) add(cb.startedNs!, cb.finishedNs ?? cb.startedNs!);
  for (let k = 0; k < HOST_BUCKETS; k++) {
    const fraction = Math.min(1, busy[k]! / width);
    w.bytes(L.hostCounter);
    // Window starts are fractions of a nanosecond in general: printed as JavaScript prints them.
    w.text(`${us(lay.startNs + k * width)}`);
    w.bytes(L.busyArgs);
    w.text(`${Math.round(fraction * 1000) / 1000}`);
    w.bytes(L.close2);
  }
}
