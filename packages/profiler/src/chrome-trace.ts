import { NpuTypeError } from "@npurt/core";
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
/** Flush threshold: big enough to amortise the write call, small enough to stay out of old space. */
const CHUNK = 1 << 16;

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
  checkRecording(recording);
  const opts = optionsOf(options, "Chrome trace options");
  const launchFlows = boolOption(opts.launchFlows, true, "launchFlows");
  const engineTracks = boolOption(opts.engineTracks, true, "engineTracks");
  const rec = recording;
  const ops = rec.ops;
  const lay = layout(rec);
  // Events gather in an array joined once per chunk: one allocation per 64 KiB instead of a deep
  // rope of concatenations for the collector to walk.
  let parts: string[] = ['{"displayTimeUnit":"ns","traceEvents":[\n'];
  let size = 0;
  let first = true;
  const emit = (json: string): void => {
    if (first) first = false;
    else parts.push(",\n");
    parts.push(json);
    size += json.length;
    if (size >= CHUNK) {
      write(parts.join(""));
      parts = [];
      size = 0;
    }
  };

  // ---- metadata: processes and tracks, with sort indices so the order is stable in the UI
  const devices = new Set<number>();
  for (const q of rec.queues) devices.add(q.device);
  for (let i = 0; i < ops.length; i++) devices.add(ops.device[i]!);
  const meta = (pid: number, tid: number | undefined, what: string, args: string): void => {
    emit(
      `{"ph":"M","pid":${pid}${tid === undefined ? "" : `,"tid":${tid}`},"name":"${what}","args":${args}}`,
    );
  };
  meta(HOST_PID, undefined, "process_name", '{"name":"host"}');
  meta(HOST_PID, undefined, "process_sort_index", '{"sort_index":0}');
  meta(HOST_PID, HOST_API_TID, "thread_name", '{"name":"host API calls"}');
  meta(HOST_PID, HOST_CALLBACK_TID, "thread_name", '{"name":"host callbacks"}');
  for (const d of [...devices].sort((a, b) => a - b)) {
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
        const tid = ENGINE_TID[e] + (e === "compute" ? l : l * 1000);
        const name = count > 1 ? `${ENGINE_NAME[e]} ${l}` : ENGINE_NAME[e];
        meta(Number(d) + 1, tid, "thread_name", str({ name }));
        meta(Number(d) + 1, tid, "thread_sort_index", `{"sort_index":${5000 + tid}}`);
      }
    }
  }

  // ---- host API calls, in host order (the host clock only moves forward). Labels of kernels
  // and copies depend only on the name, so each JSON string is built once per name.
  const hostJson: (string | undefined)[] = [];
  const queueJson: (string | undefined)[] = [];
  const cached = (cache: (string | undefined)[], i: number, make: () => string): string => {
    const n = ops.name[i]!;
    if (n < 0) return make();
    let j = cache[n];
    if (j === undefined) {
      j = make();
      cache[n] = j;
    }
    return j;
  };
  const hostLabel = (i: number) => str(ops.kind[i] === 0 ? `launch ${opLabel(rec, i)}` : opLabel(rec, i));
  const queueLabel = (i: number) => str(opLabel(rec, i));
  for (let i = 0; i < ops.length; i++) {
    const h = ops.hostStartNs[i]!;
    const name = cached(hostJson, i, () => hostLabel(i));
    emit(
      `{"ph":"X","pid":0,"tid":1,"ts":${us(h)},"dur":${us(ops.enqueueNs[i]! - h)},"name":${name},"cat":"host"}`,
    );
  }
  // ---- host callbacks, by start time then id
  const cbs = rec.callbacks
    .filter((c) => c.startedNs !== undefined)
    .sort((a, b) => a.startedNs! - b.startedNs! || a.callback - b.callback);
  for (const c of cbs) {
    const end = c.finishedNs ?? c.startedNs!;
    emit(
      `{"ph":"X","pid":0,"tid":2,"ts":${us(c.startedNs!)},"dur":${us(end - c.startedNs!)},"name":${str(
        c.label ?? `callback ${c.callback}`,
      )},"cat":"callback","args":{"callback":${c.callback},"stream":${c.stream ?? null},"status":${str(
        c.status ?? "running",
      )},"queuedNs":${c.startedNs! - c.enqueuedNs}}}`,
    );
  }

  // ---- device tracks: each op on its queue, and (optionally) on its engine lane
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const ts = us(ops.startNs[i]!);
    const dur = us(ops.endNs[i]! - ops.startNs[i]!);
    const name = cached(queueJson, i, () => queueLabel(i));
    const pid = ops.device[i]! + 1;
    // The queue slice carries the op's id and status; the engine copy of it only its name.
    emit(
      `{"ph":"X","pid":${pid},"tid":${QUEUE_TID_BASE + ops.queue[i]!},"ts":${ts},"dur":${dur},"name":${name},"cat":"${OP_KIND_NAMES[ops.kind[i]!]}","args":{"opId":${ops.opId[i]},"status":"${OP_STATUS_NAMES[ops.status[i]!]}"}}`,
    );
    const e = lay.engine[i];
    if (engineTracks && e !== undefined) {
      const l = lay.lane[i]!;
      const tid = ENGINE_TID[e] + (e === "compute" ? l : l * 1000);
      emit(`{"ph":"X","pid":${pid},"tid":${tid},"ts":${ts},"dur":${dur},"name":${name},"cat":"engine"}`);
    }
  }

  // ---- flows: record → the waits it satisfied; launch → op. Ids are row-derived, so they pair.
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const s = ops.kind[i] === 4 ? lay.signalOf[i]! : -1;
    if (s >= 0 && ops.status[s] !== 0) {
      const id = 2 * i + 1;
      emit(
        `{"ph":"s","pid":${ops.device[s]! + 1},"tid":${QUEUE_TID_BASE + ops.queue[s]!},"ts":${us(ops.startNs[s]!)},"id":${id},"name":"event","cat":"dependency"}`,
      );
      emit(
        `{"ph":"f","bp":"e","pid":${ops.device[i]! + 1},"tid":${QUEUE_TID_BASE + ops.queue[i]!},"ts":${us(ops.startNs[i]!)},"id":${id},"name":"event","cat":"dependency"}`,
      );
    }
    if (launchFlows && ops.kind[i]! <= 2) {
      const id = 2 * i;
      emit(
        `{"ph":"s","pid":0,"tid":1,"ts":${us(ops.hostStartNs[i]!)},"id":${id},"name":"launch","cat":"launch"}`,
      );
      emit(
        `{"ph":"f","bp":"e","pid":${ops.device[i]! + 1},"tid":${QUEUE_TID_BASE + ops.queue[i]!},"ts":${us(ops.startNs[i]!)},"id":${id},"name":"launch","cat":"launch"}`,
      );
    }
  }

  // ---- counters: memory in use per device (in event order), queue depth per device
  for (const m of rec.memory) {
    emit(
      `{"ph":"C","pid":${m.device + 1},"ts":${us(m.timeNs)},"name":"device memory","args":{"bytes":${m.bytes}}}`,
    );
  }
  for (const d of [...devices].sort((a, b) => a - b)) {
    // +1 at enqueue (host time), -1 at end (device time): ops handed over and not yet finished.
    const steps: [number, number][] = [];
    for (let i = 0; i < ops.length; i++) {
      if (ops.device[i] !== d) continue;
      steps.push([ops.enqueueNs[i]!, 1]);
      if (ops.status[i] !== 0) steps.push([ops.endNs[i]!, -1]);
    }
    steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let depth = 0;
    for (let k = 0; k < steps.length; k++) {
      depth += steps[k]![1];
      // One sample per timestamp: the depth after every change at that instant.
      if (k + 1 < steps.length && steps[k + 1]![0] === steps[k]![0]) continue;
      emit(`{"ph":"C","pid":${d + 1},"ts":${us(steps[k]![0])},"name":"queue depth","args":{"ops":${depth}}}`);
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
      emit(
        `{"ph":"C","pid":0,"ts":${us(lay.startNs + k * width)},"name":"host utilisation","args":{"busy":${Math.round(fraction * 1000) / 1000}}}`,
      );
    }
  }
  parts.push("\n]}\n");
  write(parts.join(""));
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
