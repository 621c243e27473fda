import { type InstrumentationEvent, NpuError, NpuTypeError } from "@npurt/core";
import { type AttachTarget, resolveTarget, Subscription } from "./internal/attach-target.js";
import { captureStack } from "./internal/stack.js";
import { boolOption, optionsOf } from "./internal/validate.js";

/** The kinds of resource a {@link LeakTracker} follows. */
export type LeakKind = "stream" | "event" | "allocation" | "queue" | "callback" | "resource";

const KINDS: readonly LeakKind[] = ["stream", "event", "allocation", "queue", "callback", "resource"];

/** A resource still live when the report was taken. */
export interface LeakedResource {
  readonly kind: LeakKind;
  /** The id the instrumentation event carried (address for allocations, key for resources). */
  readonly id: number | string;
  /** What a person reads: kind, id, and the label or tag the user gave. */
  readonly description: string;
  readonly device: number | undefined;
  /** Bytes, for allocations. */
  readonly bytes: number | undefined;
  /** The allocation's tag or the callback's label. */
  readonly tag: string | undefined;
  readonly createdNs: number;
  /** Where it was created (only with `captureStacks`). */
  readonly stack: string | undefined;
}

/** Counts per resource kind, as CANN logs them at finalize. */
export interface ResourceStats {
  readonly created: number;
  readonly released: number;
  readonly live: number;
  readonly peak: number;
}

/** What {@link LeakTracker.report} returns. */
export interface LeakReport {
  /** Live resources, by kind then creation time. */
  readonly leaks: readonly LeakedResource[];
  readonly stats: Readonly<Record<LeakKind, ResourceStats>>;
  /** Bytes of device memory still allocated, per device. */
  readonly liveBytes: readonly number[];
  /** Whether nothing is live. */
  readonly clean: boolean;
}

/** Options of {@link LeakTracker}. */
export interface LeakTrackerOptions {
  /**
   * Capture the creation call stack of every resource (costly: one `Error` per creation; only
   * when asked). Default `false`.
   */
  readonly captureStacks?: boolean;
  /**
   * Called once when the attached device closes (`Device.close()`, npurt's `aclFinalize`), with
   * the report at that moment: what CANN's ACL layer logs at finalize, per resource type
   * (`formatResourceStatistics` prints it in that form). Needs a target with `onClose` (a
   * `Device`); a bare bus has no finalize.
   */
  readonly onFinalize?: (report: LeakReport) => void;
}

/** Options of {@link LeakTracker.assertNoLeaks}. */
export interface AssertNoLeaksOptions {
  /** Kinds that may stay live (e.g. `['queue']` for a stream pool that keeps its queues). */
  readonly allow?: readonly LeakKind[];
}

interface Live {
  kind: LeakKind;
  id: number | string;
  device: number | undefined;
  bytes: number | undefined;
  tag: string | undefined;
  createdNs: number;
  stack: string | undefined;
}

/**
 * Follows streams, events, allocations, hardware queues (a stream pool's memory), host
 * callbacks and managed resources through their instrumentation events, and reports what is
 * still live with the label or tag the user gave.
 *
 * @example
 * ```ts
 * const leaks = new LeakTracker({ captureStacks: true }).attach(device);
 * await runTheProgram(device);
 * leaks.assertNoLeaks(); // throws ILLEGAL_STATE listing e.g. `allocation 0x1000 (4096 B, tag "kv-cache")`
 * ```
 */
export class LeakTracker {
  readonly #captureStacks: boolean;
  #sub = new Subscription("LeakTracker");
  #live = new Map<string, Live>();
  #stats = new Map<LeakKind, { created: number; released: number; live: number; peak: number }>(
    KINDS.map((k) => [k, { created: 0, released: 0, live: 0, peak: 0 }]),
  );
  #bytes: number[] = [];
  readonly #onFinalize: ((report: LeakReport) => void) | undefined;
  #offClose: (() => void) | undefined;

  constructor(options?: LeakTrackerOptions) {
    const opts = optionsOf(options, "LeakTracker options");
    this.#captureStacks = boolOption(opts.captureStacks, false, "captureStacks");
    if (opts.onFinalize !== undefined && typeof opts.onFinalize !== "function") {
      throw new NpuTypeError("onFinalize must be a function");
    }
    this.#onFinalize = opts.onFinalize;
  }

  /** Starts following the target (`ILLEGAL_STATE` if already attached). Returns `this`. */
  attach(target: AttachTarget): this {
    const t = resolveTarget(target);
    this.#sub.open(t.bus, this.#listener);
    const onFinalize = this.#onFinalize;
    if (onFinalize !== undefined && t.onClose !== undefined) {
      this.#offClose = t.onClose(() => onFinalize(this.report()));
    }
    return this;
  }

  /** Stops following (and waiting for the device's finalize); the report keeps what was seen. */
  detach(): void {
    this.#sub.close();
    this.#offClose?.();
    this.#offClose = undefined;
  }

  /** What is live now, and the per-kind statistics. */
  report(): LeakReport {
    const leaks = [...this.#live.values()]
      .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || a.createdNs - b.createdNs)
      .map((l) => ({ ...l, description: describe(l) }));
    const stats = Object.fromEntries([...this.#stats].map(([k, s]) => [k, { ...s }])) as Record<
      LeakKind,
      ResourceStats
    >;
    return { leaks, stats, liveBytes: [...this.#bytes], clean: leaks.length === 0 };
  }

  /**
   * Throws `ILLEGAL_STATE` listing every live resource (with its creation site when stacks are
   * captured) unless nothing is live; the error's `details.leaks` holds the list.
   */
  assertNoLeaks(options?: AssertNoLeaksOptions): void {
    const opts = optionsOf(options, "assertNoLeaks options");
    const allow = opts.allow ?? [];
    if (!Array.isArray(allow)) throw new NpuTypeError("allow must be an array of resource kinds");
    const leaks = this.report().leaks.filter((l) => !allow.includes(l.kind));
    if (leaks.length === 0) return;
    const lines = leaks.map(
      (l) => `  - ${l.description}${l.stack ? `\n      ${l.stack.split("\n").join("\n      ")}` : ""}`,
    );
    throw new NpuError("ILLEGAL_STATE", `${leaks.length} resource(s) leaked:\n${lines.join("\n")}`, {
      details: { leaks },
    });
  }

  #add(kind: LeakKind, id: number | string, time: number, extra: Partial<Live> = {}): void {
    const key = `${kind}:${id}`;
    this.#live.set(key, {
      kind,
      id,
      device: extra.device,
      bytes: extra.bytes,
      tag: extra.tag,
      createdNs: time,
      stack: this.#captureStacks ? captureStack() : undefined,
    });
    const s = this.#stats.get(kind)!;
    s.created++;
    s.live++;
    if (s.live > s.peak) s.peak = s.live;
  }

  #remove(kind: LeakKind, id: number | string): void {
    if (!this.#live.delete(`${kind}:${id}`)) return;
    const s = this.#stats.get(kind)!;
    s.released++;
    s.live--;
  }

  readonly #listener = (e: InstrumentationEvent): void => {
    switch (e.type) {
      case "stream.created":
        this.#add("stream", e.stream, e.time, { device: e.device });
        return;
      case "stream.destroyed":
        this.#remove("stream", e.stream);
        return;
      case "event.created":
        this.#add("event", e.event, e.time);
        return;
      case "event.destroyed":
        this.#remove("event", e.event);
        return;
      case "queue.created":
        this.#add("queue", e.queue, e.time, { device: e.device });
        return;
      case "queue.destroyed":
        this.#remove("queue", e.queue);
        return;
      case "memory.allocated":
        this.#bytes[e.device] = (this.#bytes[e.device] ?? 0) + e.bytes;
        this.#add("allocation", e.ptr, e.time, { device: e.device, bytes: e.bytes, tag: e.tag });
        return;
      case "memory.released":
        this.#bytes[e.device] = (this.#bytes[e.device] ?? 0) - e.bytes;
        this.#remove("allocation", e.ptr);
        return;
      case "callback.enqueued":
        this.#add("callback", e.callback, e.time, { tag: e.label });
        return;
      case "callback.finished":
        this.#remove("callback", e.callback);
        return;
      case "resource.acquired":
        if (!this.#live.has(`resource:${e.resource}`)) this.#add("resource", e.resource, e.time);
        return;
      case "resource.released":
        if (e.holders === 0) this.#remove("resource", e.resource);
        return;
      default:
        return;
    }
  };
}

function describe(l: Live): string {
  switch (l.kind) {
    case "allocation":
      return `allocation 0x${(l.id as number).toString(16)} on device ${l.device} (${l.bytes} B${l.tag === undefined ? ", untagged" : `, tag "${l.tag}"`})`;
    case "callback":
      return `host callback ${l.id}${l.tag === undefined ? "" : ` "${l.tag}"`} (enqueued, never finished)`;
    case "queue":
      return `hardware queue ${l.id} on device ${l.device} (a stream pool holds destroyed streams' queues until the manager closes)`;
    case "resource":
      return `resource "${l.id}" (still held)`;
    default:
      return `${l.kind} ${l.id}${l.device === undefined ? "" : ` on device ${l.device}`}`;
  }
}

/** The report as text, one line per leak and a statistics table. */
export function formatLeakReport(report: LeakReport): string {
  const lines = [report.clean ? "no leaks" : `${report.leaks.length} leaked:`];
  for (const l of report.leaks) lines.push(`  ${l.description}`);
  lines.push("resource      created  released      live      peak");
  for (const k of KINDS) {
    const s = report.stats[k];
    lines.push(
      `${k.padEnd(12)} ${[s.created, s.released, s.live, s.peak].map((v) => String(v).padStart(9)).join(" ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The per-type statistics in the form CANN's ACL layer logs them at `aclFinalize`
 * (runtime-semantics §A-SRC-STAT): one line per resource type,
 * `The ResourceType:stream, applyTotal = 2, applySucc = 2, releaseTotal = 2, releaseSucc = 2`,
 * plus the live count and the peak. The profiler sees successful creations and releases only
 * (a refused call emits no event), so the totals equal the successes.
 */
export function formatResourceStatistics(report: LeakReport): string {
  return `${KINDS.map((k) => {
    const s = report.stats[k];
    return `The ResourceType:${k}, applyTotal = ${s.created}, applySucc = ${s.created}, releaseTotal = ${s.released}, releaseSucc = ${s.released}, live = ${s.live}, peak = ${s.peak}`;
  }).join("\n")}\n`;
}
