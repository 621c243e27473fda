import { NpuTypeError } from "@npurt/core";
import { type ByteSink, JsonBytes, lit } from "./internal/json-bytes.js";
import { type EngineKind, layout, opLabel } from "./internal/layout.js";
import { boolOption, optionsOf } from "./internal/validate.js";
import { OP_KIND_NAMES, OP_STATUS_NAMES } from "./op-codes.js";
import type { Recording } from "./recording.js";

/** Options of {@link writeChromeTrace} and {@link toChromeTrace}. */
export interface ChromeTraceOptions {
  /** Flow arrows from each host launch to its op on the device. Default `true`. */
  readonly launchFlows?: boolean;
  /** A track per AI core group and copy engine, beside the per-queue tracks. Default `true`. */
  readonly engineTracks?: boolean;
}

const HOST_PID = 0;
const HOST_API_TID = 1;
const HOST_CALLBACK_TID = 2;
const ENGINE_TID: Readonly<Record<EngineKind, number>> = { compute: 100, h2d: 10, d2h: 11, d2d: 12 };
const ENGINE_NAME: Readonly<Record<EngineKind, string>> = {
  compute: "AI core group",
  h2d: "copy engine h2d",
  d2h: "copy engine d2h",
  d2d: "copy engine d2d",
};
const QUEUE_TID_BASE = 10_000;
/** Windows of the host utilisation counter over the recording's span. */
const HOST_BUCKETS = 200;

// Trace Event timestamps are microseconds; ns / 1000 prints the same digits on every run.
const us = (ns: number): number => ns / 1000;
const str = JSON.stringify;

/**
 * Writes a recording as Chrome Trace Event JSON (the JSON Object Format) in chunks, so a
 * million-op trace never needs one giant string. Open the result in Perfetto
 * (ui.perfetto.dev) or chrome://tracing.
 *
 * Layout: process 0 is the host (a track of API calls sized by their host cost, a track of
 * host callbacks); each device is a process with a track per queue (named by the streams that
 * used it), a track per AI core group and copy engine (ops packed onto the fewest
 * non-overlapping lanes), and counters for memory in use and queue depth; the host process
 * has a host utilisation counter (busy fraction in 200 equal windows of the span). Flow arrows run from
 * each record to the waits it satisfied, and from each launch to its op. Output depends only on
 * the recording, so a seeded virtual-time run gives the same bytes every time.
 */
export function writeChromeTrace(
  recording: Recording,
  write: (chunk: string) => void,
  options?: ChromeTraceOptions,
): void {
  if (typeof write !== "function") throw new NpuTypeError("write must be a function");
  // Each chunk decodes on its own: the encoder hands over its buffer only between whole pieces
  // (a literal, a name, a number), so no UTF-8 sequence is ever split across two chunks. (A
  // streaming decode, `{ stream: true }`, took a slower path in Node.)
  const decoder = new TextDecoder();
  encodeChromeTrace(recording, (bytes) => write(decoder.decode(bytes)), options, STRING_CHUNK);
}

/** Chunk size of the string writer: big enough to amortise the call, small enough to stay young. */
const STRING_CHUNK = 1 << 16;

/**
 * {@link writeChromeTrace} as UTF-8 bytes, for the file writer of `./node` (no string is built at
 * all). The sink must use each chunk before it returns: the buffer is reused.
 *
 * @internal
 */
export function encodeChromeTrace(
  recording: Recording,
  sink: ByteSink,
  options?: ChromeTraceOptions,
  chunkBytes = 1 << 20,
): void {
  checkRecording(recording);
  const opts = optionsOf(options, "Chrome trace options");
  const launchFlows = boolOption(opts.launchFlows, true, "launchFlows");
  const engineTracks = boolOption(opts.engineTracks, true, "engineTracks");
  const rec = recording;
  const ops = rec.ops;
  const lay = layout(rec);
  const w = new JsonBytes(sink, chunkBytes);
  w.bytes(L.open);
  let first = true;

  // ---- metadata: processes and tracks, with sort indices so the order is stable in the UI
  const devices = new Set<number>();
  for (const q of rec.queues) devices.add(q.device);
  for (let i = 0; i < ops.length; i++) devices.add(ops.device[i]!);
  const sortedDevices = [...devices].sort((a, b) => a - b);
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
  for (const d of sortedDevices) {
    meta(d + 1, undefined, "process_name", `{"name":"device ${d}"}`);
    meta(d + 1, undefined, "process_sort_index", `{"sort_index":${d + 1}}`);
  }
  const queueDevice = new Map<number, number>();
  for (const q of rec.queues) queueDevice.set(q.queue, q.device);
  for (let i = 0; i < ops.length; i++) queueDevice.set(ops.queue[i]!, ops.device[i]!);
  let sort = 0;
  for (const q of lay.queueOrder) {
    const pid = (queueDevice.get(q) ?? 0) + 1;
    meta(pid, QUEUE_TID_BASE + q, "thread_name", str({ name: lay.queueNames.get(q) }));
    meta(pid, QUEUE_TID_BASE + q, "thread_sort_index", `{"sort_index":${sort++}}`);
  }
  if (engineTracks) {
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

  // ---- host API calls, in host order (the host clock only moves forward). Every event after
  // the metadata opens with the separator, and what repeats (a track's head, a name's tail) is
  // encoded once: the loops below write a handful of cached byte strings and numbers per op.
  const tails = new NameTails(rec);
  for (let i = 0; i < ops.length; i++) {
    const h = ops.hostStartNs[i]!;
    w.bytes(L.hostCall);
    w.micros(h);
    w.bytes(L.dur);
    w.micros(ops.enqueueNs[i]! - h);
    w.bytes(tails.host(i));
  }
  // ---- host callbacks, by start time then id
  const cbs = rec.callbacks
    .filter((c) => c.startedNs !== undefined)
    .sort((a, b) => a.startedNs! - b.startedNs! || a.callback - b.callback);
  for (const c of cbs) {
    const end = c.finishedNs ?? c.startedNs!;
    w.bytes(L.callback);
    w.micros(c.startedNs!);
    w.bytes(L.dur);
    w.micros(end - c.startedNs!);
    w.text(
      `,"name":${str(c.label ?? `callback ${c.callback}`)},"cat":"callback","args":{"callback":${c.callback},"stream":${
        c.stream ?? null
      },"status":${str(c.status ?? "running")},"queuedNs":${c.startedNs! - c.enqueuedNs}}}`,
    );
  }

  // ---- device tracks: each op on its queue, and (optionally) on its engine lane
  const heads = new TrackHeads();
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const start = ops.startNs[i]!;
    const dur = ops.endNs[i]! - start;
    const device = ops.device[i]!;
    // The queue slice carries the op's id and status; the engine copy of it only its name.
    w.bytes(heads.get("X", device, QUEUE_TID_BASE + ops.queue[i]!));
    w.micros(start);
    w.bytes(L.dur);
    w.micros(dur);
    w.bytes(tails.queue(i));
    w.num(ops.opId[i]!);
    w.bytes(L.status[ops.status[i]!]!);
    const e = lay.engine[i];
    if (engineTracks && e !== undefined) {
      w.bytes(heads.get("X", device, engineTid(e, lay.lane[i]!)));
      w.micros(start);
      w.bytes(L.dur);
      w.micros(dur);
      w.bytes(tails.engine(i));
    }
  }

  // ---- flows: record → the waits it satisfied; launch → op. Ids are row-derived, so they pair.
  const flow = (head: Uint8Array, ns: number, id: number, tail: Uint8Array): void => {
    w.bytes(head);
    w.micros(ns);
    w.bytes(L.id);
    w.num(id);
    w.bytes(tail);
  };
  const hostFlowStart = heads.get("s", HOST_PID - 1, HOST_API_TID);
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const s = ops.kind[i] === 4 ? lay.signalOf[i]! : -1;
    const end = heads.get("f", ops.device[i]!, QUEUE_TID_BASE + ops.queue[i]!);
    if (s >= 0 && ops.status[s] !== 0) {
      const id = 2 * i + 1;
      flow(heads.get("s", ops.device[s]!, QUEUE_TID_BASE + ops.queue[s]!), ops.startNs[s]!, id, L.eventTail);
      flow(end, ops.startNs[i]!, id, L.eventTail);
    }
    if (launchFlows && ops.kind[i]! <= 2) {
      const id = 2 * i;
      flow(hostFlowStart, ops.hostStartNs[i]!, id, L.launchTail);
      flow(end, ops.startNs[i]!, id, L.launchTail);
    }
  }

  // ---- counters: memory in use per device (in event order), queue depth per device
  for (const m of rec.memory) {
    w.bytes(heads.get("C", m.device, undefined));
    w.micros(m.timeNs);
    w.bytes(L.memoryArgs);
    w.num(m.bytes);
    w.bytes(L.close2);
  }
  for (const d of sortedDevices) {
    // +1 at enqueue (host time), -1 at end (device time): ops handed over and not yet finished.
    // One sample per timestamp: the depth after every change at that instant.
    const { enqueued, ended } = depthSteps(ops, d);
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
      w.bytes(head);
      w.micros(t);
      w.bytes(L.depthArgs);
      w.num(depth);
      w.bytes(L.close2);
    }
  }
  // Host utilisation: the busy fraction (API calls and callbacks) in each of HOST_BUCKETS equal
  // windows of the span, as a counter on the host process.
  const span = lay.endNs - lay.startNs;
  if (span > 0) {
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
    for (const c of cbs) add(c.startedNs!, c.finishedNs ?? c.startedNs!);
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
  w.bytes(L.end);
  w.flush();
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

/** The track id of lane `l` of an engine kind. */
function engineTid(e: EngineKind, l: number): number {
  return ENGINE_TID[e] + (e === "compute" ? l : l * 1000);
}

/** The fixed parts of the events, encoded once. Every event but the first opens with `sep`. */
const L = {
  open: lit('{"displayTimeUnit":"ns","traceEvents":[\n'),
  sep: lit(",\n"),
  end: lit("\n]}\n"),
  meta: lit('{"ph":"M","pid":'),
  hostCall: lit(`,\n{"ph":"X","pid":${HOST_PID},"tid":${HOST_API_TID},"ts":`),
  callback: lit(`,\n{"ph":"X","pid":${HOST_PID},"tid":${HOST_CALLBACK_TID},"ts":`),
  dur: lit(',"dur":'),
  id: lit(',"id":'),
  status: OP_STATUS_NAMES.map((s) => lit(`,"status":"${s}"}}`)),
  eventTail: lit(',"name":"event","cat":"dependency"}'),
  launchTail: lit(',"name":"launch","cat":"launch"}'),
  hostCounter: lit(`,\n{"ph":"C","pid":${HOST_PID},"ts":`),
  memoryArgs: lit(',"name":"device memory","args":{"bytes":'),
  depthArgs: lit(',"name":"queue depth","args":{"ops":'),
  busyArgs: lit(',"name":"host utilisation","args":{"busy":'),
  close2: lit("}}"),
};

const PH_CODE = { X: 0, s: 1, f: 2, C: 3 } as const;

/** The start of an event on one track, up to its `ts` value: `,\n{"ph":"X","pid":1,"tid":10003,"ts":`. */
class TrackHeads {
  readonly #cache = new Map<number, Uint8Array>();

  /** `device` -1 is the host process; `tid` undefined for a process-wide counter. */
  get(ph: "X" | "s" | "f" | "C", device: number, tid: number | undefined): Uint8Array {
    // A number key (devices < 256, track ids well below 2^40): no string built per lookup.
    const key = ((tid === undefined ? 0 : tid + 1) * 512 + device + 1) * 4 + PH_CODE[ph];
    let b = this.#cache.get(key);
    if (b === undefined) {
      const bp = ph === "f" ? '"bp":"e",' : "";
      b = lit(`,\n{"ph":"${ph}",${bp}"pid":${device + 1}${tid === undefined ? "" : `,"tid":${tid}`},"ts":`);
      this.#cache.set(key, b);
    }
    return b;
  }
}

/** The end of an op's event from its name on, encoded once per name and kind. */
class NameTails {
  readonly #rec: Recording;
  readonly #host: (Uint8Array | undefined)[] = [];
  readonly #queue: (Uint8Array | undefined)[] = [];
  readonly #engine: (Uint8Array | undefined)[] = [];

  constructor(rec: Recording) {
    this.#rec = rec;
  }

  /** `,"name":"launch add","cat":"host"}` */
  host(i: number): Uint8Array {
    return this.#get(this.#host, i, (label, kind) =>
      lit(`,"name":${str(kind === 0 ? `launch ${label}` : label)},"cat":"host"}`),
    );
  }

  /** `,"name":"add","cat":"kernel","args":{"opId":` (the op id and status follow). */
  queue(i: number): Uint8Array {
    return this.#get(this.#queue, i, (label, kind) =>
      lit(`,"name":${str(label)},"cat":"${OP_KIND_NAMES[kind]}","args":{"opId":`),
    );
  }

  /** `,"name":"add","cat":"engine"}` */
  engine(i: number): Uint8Array {
    return this.#get(this.#engine, i, (label) => lit(`,"name":${str(label)},"cat":"engine"}`));
  }

  #get(
    cache: (Uint8Array | undefined)[],
    i: number,
    make: (label: string, kind: number) => Uint8Array,
  ): Uint8Array {
    const ops = this.#rec.ops;
    const n = ops.name[i]!;
    const kind = ops.kind[i]!;
    // Signal and wait ops are named by counter and value, unique per op: nothing to cache.
    if (n < 0) return make(opLabel(this.#rec, i), kind);
    // One name can be a kernel's and a copy direction's (a kernel called "h2d"): key by both.
    const key = n * OP_KIND_NAMES.length + kind;
    let b = cache[key];
    if (b === undefined) {
      b = make(opLabel(this.#rec, i), kind);
      cache[key] = b;
    }
    return b;
  }
}

/**
 * The Chrome Trace Event JSON of a recording as one string (see {@link writeChromeTrace} for the
 * layout; use that one for very large recordings).
 *
 * @example
 * ```ts
 * const json = toChromeTrace(recorder.recording());
 * // save it and open it in https://ui.perfetto.dev
 * ```
 */
export function toChromeTrace(recording: Recording, options?: ChromeTraceOptions): string {
  const parts: string[] = [];
  writeChromeTrace(recording, (c) => parts.push(c), options);
  return parts.join("");
}

/** A `TypeError` for anything that is not a recording (a recorder passed by mistake, say). */
export function checkRecording(recording: unknown): asserts recording is Recording {
  const r = recording as Partial<Recording> | null | undefined;
  if (typeof r !== "object" || r === null || typeof r.ops?.length !== "number" || !Array.isArray(r.names)) {
    throw new NpuTypeError("expected a Recording (from TraceRecorder.recording())");
  }
}
