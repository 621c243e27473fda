import { NpuTypeError } from "@npurt/core";
import { type ByteSink, JsonBytes } from "./internal/json-bytes.js";
import { layout } from "./internal/layout.js";
import { L, NameTails, TrackHeads } from "./internal/trace-pieces.js";
import {
  startedCallbacks,
  type TraceContext,
  traceDevices,
  writeCallbacks,
  writeDependencyFlows,
  writeDeviceSlices,
  writeHostCalls,
  writeHostUtilisation,
  writeHostWaits,
  writeMemoryCounter,
  writeMetadata,
  writeQueueDepth,
} from "./internal/trace-sections.js";
import { boolOption, optionsOf } from "./internal/validate.js";
import type { Recording } from "./recording.js";

/** Options of {@link writeChromeTrace} and {@link toChromeTrace}. */
export interface ChromeTraceOptions {
  /** Flow arrows from each host launch to its op on the device. Default `true`. */
  readonly launchFlows?: boolean;
  /** A track per AI core group and copy engine, beside the per-queue tracks. Default `true`. */
  readonly engineTracks?: boolean;
}

/**
 * Writes a recording as Chrome Trace Event JSON (the JSON Object Format) in chunks, so a
 * million-op trace never needs one giant string. Open the result in Perfetto
 * (ui.perfetto.dev) or chrome://tracing.
 *
 * Layout: process 0 is the host (a track of API calls sized by their host cost, a track of
 * host callbacks, a track of host waits: each stream, device or event synchronize from its call
 * to when it settled, with its outcome); each device is a process with a track per queue (named by the streams that
 * used it), a track per AI core group and copy engine (ops packed onto the fewest
 * non-overlapping lanes), and counters for memory in use and queue depth; the host process
 * has a host utilisation counter (busy fraction in 200 equal windows of the span). Flow arrows run from
 * each record to the waits it satisfied (`s`/`f` events), and from each launch to its op (Flow v2
 * fields on the two slices: `bind_id` with `flow_out` and `flow_in`). An op's queue slice has its
 * id in `args.op`, and its status only when not ok. Output depends only on the recording, so a
 * seeded virtual-time run gives the same bytes every time.
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
  const lay = layout(recording);
  const c: TraceContext = {
    w: new JsonBytes(sink, chunkBytes),
    rec: recording,
    lay,
    heads: new TrackHeads(),
    tails: new NameTails(recording),
    launchFlows,
    engineTracks,
    devices: traceDevices(recording),
    callbacks: startedCallbacks(recording),
  };
  c.w.bytes(L.open);
  writeMetadata(c);
  writeHostCalls(c);
  writeCallbacks(c);
  writeHostWaits(c);
  writeDeviceSlices(c);
  writeDependencyFlows(c);
  writeMemoryCounter(c);
  writeQueueDepth(c);
  writeHostUtilisation(c);
  c.w.bytes(L.end);
  c.w.flush();
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
