import { checkRecording } from "./chrome-trace.js";
import { type EngineKind, layout } from "./internal/layout.js";
import type { Recording } from "./recording.js";

/** Duration statistics of one kernel name (device time, ns). */
export interface KernelStats {
  readonly name: string;
  readonly count: number;
  readonly totalNs: number;
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p95Ns: number;
  readonly p99Ns: number;
}

/** How busy one engine lane was over the recording's span. */
export interface EngineUtilisation {
  readonly device: number;
  /** `'compute'` (an AI core group) or a copy engine direction. */
  readonly engine: EngineKind;
  readonly lane: number;
  readonly busyNs: number;
  /** `busyNs` over the span, 0 … 1. */
  readonly utilisation: number;
}

/** What a stretch of the critical path was spent on. */
export type CriticalPathKind = "compute" | "copy" | "host-submission" | "wait";

/** The critical path: the chain of ops and host calls that ends last, walked back to the start. */
export interface CriticalPath {
  /** Nanoseconds of the path by what they were spent on. */
  readonly byKind: Readonly<Record<CriticalPathKind, number>>;
  /** The kind with the most time: what bounds the run. */
  readonly boundBy: CriticalPathKind | undefined;
  /** Op ids on the path, first to last. */
  readonly opIds: readonly number[];
}

/** A recording's summary: what {@link formatSummary} prints. */
export interface Summary {
  /** First to last instant seen (ns). */
  readonly spanNs: number;
  readonly ops: number;
  /** Per kernel name, by total time, most first. */
  readonly kernels: readonly KernelStats[];
  readonly engines: readonly EngineUtilisation[];
  /** Time some kernel ran, some copy ran, and both at once (ns); `fraction` is both / copy. */
  readonly overlap: {
    readonly computeNs: number;
    readonly copyNs: number;
    readonly bothNs: number;
    readonly fraction: number;
  };
  /**
   * Host time in API calls (each sized from the event before it, an upper bound) and in host
   * callbacks, over the span.
   */
  readonly hostBusyFraction: number;
  readonly criticalPath: CriticalPath;
}

/** Nearest-rank percentile of a sorted array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Length of the union of intervals (sorted by start). */
function unionLength(iv: [number, number][]): number {
  let total = 0;
  let s = Number.NEGATIVE_INFINITY;
  let e = Number.NEGATIVE_INFINITY;
  for (const [a, b] of iv) {
    if (a > e) {
      if (e > s) total += e - s;
      s = a;
      e = b;
    } else if (b > e) e = b;
  }
  if (e > s) total += e - s;
  return total;
}

/**
 * Summarises a recording: kernel statistics, engine utilisation, compute/copy overlap, host
 * busy fraction and the critical path with what bounds it.
 *
 * The critical path starts at the op that ends last and steps back to whichever constraint
 * released it latest: the op before it on its queue, the record it waited for, or the host
 * call that enqueued it; from a host call it steps back along the host's own calls, and to
 * the op whose completion the host woke up on.
 */
export function summarize(recording: Recording): Summary {
  checkRecording(recording);
  const rec = recording;
  const ops = rec.ops;
  const lay = layout(rec);
  const spanNs = lay.endNs - lay.startNs;

  const durations = new Map<number, number[]>();
  const compute: [number, number][] = [];
  const copy: [number, number][] = [];
  const busy = new Map<string, number>();
  for (let k = 0; k < lay.completed; k++) {
    const i = lay.byStart[k]!;
    const d = ops.endNs[i]! - ops.startNs[i]!;
    if (ops.kind[i] === 0) {
      let list = durations.get(ops.name[i]!);
      if (list === undefined) {
        list = [];
        durations.set(ops.name[i]!, list);
      }
      list.push(d);
    }
    const e = lay.engine[i];
    if (e === undefined) continue;
    (e === "compute" ? compute : copy).push([ops.startNs[i]!, ops.endNs[i]!]);
    const key = `${ops.device[i]}:${e}:${lay.lane[i]}`;
    busy.set(key, (busy.get(key) ?? 0) + d);
  }
  const kernels: KernelStats[] = [];
  for (const [nameIndex, list] of durations) {
    const sorted = Float64Array.from(list).sort();
    let total = 0;
    for (const d of list) total += d;
    kernels.push({
      name: rec.names[nameIndex]!,
      count: list.length,
      totalNs: total,
      meanNs: total / list.length,
      p50Ns: percentile(sorted, 50),
      p95Ns: percentile(sorted, 95),
      p99Ns: percentile(sorted, 99),
    });
  }
  kernels.sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : 1));
  const engines: EngineUtilisation[] = [...busy]
    .map(([key, busyNs]) => {
      const [device, engine, lane] = key.split(":") as [string, EngineKind, string];
      return {
        device: Number(device),
        engine,
        lane: Number(lane),
        busyNs,
        utilisation: spanNs > 0 ? busyNs / spanNs : 0,
      };
    })
    .sort(
      (a, b) => a.device - b.device || (a.engine < b.engine ? -1 : a.engine > b.engine ? 1 : a.lane - b.lane),
    );

  const computeNs = unionLength(compute);
  const copyNs = unionLength(copy);
  const all = [...compute, ...copy].sort((a, b) => a[0] - b[0]);
  const bothNs = Math.max(0, computeNs + copyNs - unionLength(all));

  let hostNs = 0;
  for (let i = 0; i < ops.length; i++) hostNs += ops.enqueueNs[i]! - ops.hostStartNs[i]!;
  for (const c of rec.callbacks)
    if (c.startedNs !== undefined && c.finishedNs !== undefined) hostNs += c.finishedNs - c.startedNs;

  return {
    spanNs,
    ops: ops.length,
    kernels,
    engines,
    overlap: { computeNs, copyNs, bothNs, fraction: copyNs > 0 ? bothNs / copyNs : 0 },
    hostBusyFraction: spanNs > 0 ? Math.min(1, hostNs / spanNs) : 0,
    criticalPath: criticalPath(rec, lay),
  };
}

function criticalPath(rec: Recording, lay: ReturnType<typeof layout>): CriticalPath {
  const ops = rec.ops;
  const byKind: Record<CriticalPathKind, number> = { compute: 0, copy: 0, "host-submission": 0, wait: 0 };
  const opIds: number[] = [];
  if (lay.completed === 0) return { byKind, boundBy: undefined, opIds };
  // The op before each one on its queue, and the op that ended at each instant (host wake-ups).
  const prevOnQueue = new Int32Array(ops.length).fill(-1);
  const lastOnQueue = new Map<number, number>();
  const endedAt = new Map<number, number>();
  let last = -1;
  for (let i = 0; i < ops.length; i++) {
    if (ops.status[i] === 0) continue;
    const q = ops.queue[i]!;
    prevOnQueue[i] = lastOnQueue.get(q) ?? -1;
    lastOnQueue.set(q, i);
    if (!endedAt.has(ops.endNs[i]!)) endedAt.set(ops.endNs[i]!, i);
    if (last < 0 || ops.endNs[i]! > ops.endNs[last]!) last = i;
  }
  const kindOf = (i: number): CriticalPathKind =>
    ops.kind[i] === 1 ? "copy" : ops.kind[i] === 4 ? "wait" : "compute";
  let i = last;
  let guard = 4 * ops.length + 16;
  while (i >= 0 && guard-- > 0) {
    opIds.push(ops.opId[i]!);
    const p = prevOnQueue[i]!;
    const s = ops.kind[i] === 4 ? lay.signalOf[i]! : -1;
    const pEnd = p >= 0 ? ops.endNs[p]! : Number.NEGATIVE_INFINITY;
    const sEnd = s >= 0 && ops.status[s] !== 0 ? ops.endNs[s]! : Number.NEGATIVE_INFINITY;
    const hostEnd = ops.enqueueNs[i]!;
    const release = Math.max(pEnd, sEnd, hostEnd);
    // The op's own time, and any launch latency or engine contention before it, is its kind's.
    byKind[kindOf(i)] += Math.max(0, ops.endNs[i]! - Math.max(release, lay.startNs));
    if (release === pEnd && p >= 0) i = p;
    else if (release === sEnd && s >= 0) i = s;
    else {
      // Host-bound: walk the host's calls back until it was released by a completion.
      let h = i;
      i = -1;
      while (h >= 0 && guard-- > 0) {
        const t = ops.hostStartNs[h]!;
        byKind["host-submission"] += ops.enqueueNs[h]! - t;
        const woke = endedAt.get(t);
        if (woke !== undefined && ops.enqueueNs[woke]! < t && woke !== h) {
          i = woke;
          break;
        }
        h = h > 0 && ops.enqueueNs[h - 1]! <= t ? h - 1 : -1;
        if (t <= lay.startNs) break;
      }
    }
  }
  opIds.reverse();
  let boundBy: CriticalPathKind | undefined;
  for (const k of Object.keys(byKind) as CriticalPathKind[]) {
    if (byKind[k] > 0 && (boundBy === undefined || byKind[k] > byKind[boundBy])) boundBy = k;
  }
  return { byKind, boundBy, opIds };
}

const fmtNs = (ns: number): string =>
  ns >= 1e9
    ? `${(ns / 1e9).toFixed(3)} s`
    : ns >= 1e6
      ? `${(ns / 1e6).toFixed(3)} ms`
      : ns >= 1e3
        ? `${(ns / 1e3).toFixed(3)} µs`
        : `${Math.round(ns)} ns`;
const pct = (f: number): string => `${(f * 100).toFixed(1)} %`;

/** The summary as a plain-text report (fixed-width tables; same input, same text). */
export function formatSummary(summary: Summary): string {
  const s = summary;
  const lines: string[] = [];
  lines.push(`span ${fmtNs(s.spanNs)}, ${s.ops} ops`);
  lines.push("");
  lines.push(
    "kernel                          count        total         mean          p50          p95          p99",
  );
  for (const k of s.kernels) {
    lines.push(
      `${k.name.padEnd(28).slice(0, 28)} ${String(k.count).padStart(9)} ${[
        k.totalNs,
        k.meanNs,
        k.p50Ns,
        k.p95Ns,
        k.p99Ns,
      ]
        .map((v) => fmtNs(v).padStart(12))
        .join(" ")}`,
    );
  }
  if (s.kernels.length === 0) lines.push("(no kernels)");
  lines.push("");
  lines.push("engine                         busy   utilisation");
  for (const e of s.engines) {
    const name =
      e.engine === "compute"
        ? `device ${e.device} AI core group ${e.lane}`
        : `device ${e.device} copy ${e.engine} ${e.lane}`;
    lines.push(`${name.padEnd(28)} ${fmtNs(e.busyNs).padStart(12)} ${pct(e.utilisation).padStart(9)}`);
  }
  lines.push("");
  lines.push(
    `compute ${fmtNs(s.overlap.computeNs)}, copies ${fmtNs(s.overlap.copyNs)}, overlapped ${fmtNs(s.overlap.bothNs)} (${pct(s.overlap.fraction)} of copy time hidden behind compute)`,
  );
  lines.push(`host busy ${pct(s.hostBusyFraction)} of the span (API calls and host callbacks)`);
  const cp = s.criticalPath;
  const parts = (Object.keys(cp.byKind) as CriticalPathKind[])
    .filter((k) => cp.byKind[k] > 0)
    .map((k) => `${k} ${fmtNs(cp.byKind[k])}`);
  lines.push(
    `critical path: ${cp.opIds.length} ops; ${parts.join(", ") || "empty"}; bound by ${cp.boundBy ?? "nothing (no completed ops)"}`,
  );
  return `${lines.join("\n")}\n`;
}
