import { NpuTypeError } from "@npurt/core";
import { checkRecording } from "./chrome-trace.js";
import { hostWaitLabel, layout, opLabel } from "./internal/layout.js";
import { TIMELINE_SCRIPT } from "./internal/timeline-script.js";
import { optionsOf } from "./internal/validate.js";
import { OP_STATUS_NAMES } from "./op-codes.js";
import type { Recording } from "./recording.js";

/** Options of {@link toHtmlTimeline}. */
export interface HtmlTimelineOptions {
  /** The page title. Default `"npurt timeline"`. */
  readonly title?: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/**
 * A self-contained HTML page (one file: no network, nothing to build) that draws the recording
 * on a canvas: a lane per stream (hardware queue), a host-callback lane, a lane of host waits
 * (the synchronizes the host awaited; more when they overlap), dependency arrows from
 * records to the waits they satisfied, and the device memory curve under it. Wheel to zoom,
 * drag to pan, double-click to reset, hover for an op's name, stream, times and status.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("timeline.html", toHtmlTimeline(recorder.recording(), { title: "my pipeline" }));
 * ```
 */
export function toHtmlTimeline(recording: Recording, options?: HtmlTimelineOptions): string {
  checkRecording(recording);
  const opts = optionsOf(options, "HTML timeline options");
  if (opts.title !== undefined && typeof opts.title !== "string")
    throw new NpuTypeError("title must be a string");
  const title = opts.title ?? "npurt timeline";
  const rec = recording;
  const ops = rec.ops;
  const lay = layout(rec);
  const laneOf = new Map<number, number>();
  const lanes: string[] = [];
  for (const q of lay.queueOrder) {
    laneOf.set(q, lanes.length);
    lanes.push(lay.queueNames.get(q)!);
  }
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const intern = (s: string): number => {
    let i = nameIndex.get(s);
    if (i === undefined) {
      i = names.length;
      names.push(s);
      nameIndex.set(s, i);
    }
    return i;
  };
  // Flat array, 6 numbers per op: lane, start, end, name index, status code, kind code.
  const flat: number[] = [];
  const index = new Int32Array(ops.length).fill(-1);
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    index[i] = flat.length / 6;
    flat.push(
      laneOf.get(ops.queue[i]!)!,
      ops.startNs[i]!,
      ops.endNs[i]!,
      intern(opLabel(rec, i)),
      ops.status[i]!,
      ops.kind[i]!,
    );
  }
  const callbacks = rec.callbacks.filter((c) => c.startedNs !== undefined);
  if (callbacks.length > 0) {
    const lane = lanes.length;
    lanes.push("host callbacks");
    for (const c of callbacks) {
      const status = c.status === undefined ? 0 : OP_STATUS_NAMES.indexOf(c.status);
      flat.push(
        lane,
        c.startedNs!,
        c.finishedNs ?? c.startedNs!,
        intern(c.label ?? `callback ${c.callback}`),
        status,
        // Kind 5 ("other"): coloured by label like a kernel, but not listed as one in the legend.
        5,
      );
    }
  }
  // Host waits: a lane per overlapping level, the outcome in the name when not ok (a timeout or
  // an error is drawn as a failure, a wait still pending as not completed).
  if (lay.hostWaits.length > 0) {
    const first = lanes.length;
    for (let l = 0; l < lay.hostWaitLanes; l++) lanes.push(l === 0 ? "host waits" : `host waits ${l + 1}`);
    for (let k = 0; k < lay.hostWaits.length; k++) {
      const h = lay.hostWaits[k]!;
      const ok = h.outcome === "ok";
      flat.push(
        first + lay.hostWaitLane[k]!,
        h.beginNs,
        h.endNs ?? lay.endNs,
        intern(ok ? hostWaitLabel(h) : `${hostWaitLabel(h)} (${h.outcome ?? "pending"})`),
        h.outcome === undefined ? 0 : ok ? 1 : 2,
        5,
      );
    }
  }
  const arrows: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const s = lay.signalOf[i]!;
    if (s >= 0 && index[s]! >= 0 && index[i]! >= 0) arrows.push(index[s]!, index[i]!);
  }
  // Total memory in use over all devices, as (time, bytes) steps.
  const memory: number[] = [];
  const perDevice: number[] = [];
  let peak = 0;
  for (const m of rec.memory) {
    perDevice[m.device] = m.bytes;
    let total = 0;
    for (const b of perDevice) total += b ?? 0;
    if (total > peak) peak = total;
    memory.push(m.timeNs, total);
  }
  const data = {
    lanes,
    names,
    ops: flat,
    arrows,
    memory,
    memoryPeak: peak,
    start: lay.startNs,
    end: lay.endNs,
    statuses: OP_STATUS_NAMES,
  };
  // `</` inside a script element would end it; the JSON escape keeps the data inert.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { margin: 0; padding: 8px; font: 13px system-ui, sans-serif; color: #222; background: #fff; }
  h1 { font-size: 15px; margin: 0 0 4px; }
  p.help { margin: 0 0 6px; color: #666; }
  canvas { display: block; cursor: grab; }
  #legend { margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
  #legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -2px; border-radius: 2px; }
  #legend .failed i { background: #fff; outline: 2px solid #d62728; outline-offset: -2px; }
  #tip { position: absolute; display: none; white-space: pre; background: #222; color: #fff; padding: 6px 8px;
         border-radius: 4px; font: 12px ui-monospace, monospace; pointer-events: none; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="help">${lanes.length} lanes, ${flat.length / 6} ops, ${arrows.length / 2} dependencies · wheel: zoom · drag: pan · double-click: reset · hover: details</p>
<div id="legend"></div>
<canvas id="timeline"></canvas>
<div id="tip"></div>
<script type="application/json" id="npurt-data">${json}</script>
<script>${TIMELINE_SCRIPT}</script>
</body>
</html>
`;
}
