import type { InstrumentationEvent } from "@npurt/core";
import { NpuError } from "@npurt/core";
import { type AttachTarget, resolveTarget, Subscription } from "./internal/attach-target.js";
import { kindCode, OpTable, statusCode } from "./internal/op-table.js";
import { oneOfOption, optionsOf } from "./internal/validate.js";
import type {
  CallbackInfo,
  ErrorInfo,
  EventUse,
  HostWaitInfo,
  MemorySample,
  QueueInfo,
  Recording,
  StreamInfo,
} from "./recording.js";

/**
 * How much a {@link TraceRecorder} keeps: `'counting'` counts events by type and keeps nothing
 * else (the cheap mode for always-on use); `'trace'` keeps every op, stream, callback and memory
 * change for the trace, timeline and summary writers.
 */
export type RecorderMode = "counting" | "trace";

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** Default `'trace'`. */
  readonly mode?: RecorderMode;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type QueueRow = Mutable<QueueInfo> & { streams: number[] };

/**
 * Records a device's instrumentation events. Attach it, run the program, then hand
 * {@link TraceRecorder.recording} to `toChromeTrace`, `toHtmlTimeline` or `summarize`.
 *
 * Streams are matched to the hardware queues they run on from the order of events: a stream's
 * state change, record, wait or callback is emitted right after the op it enqueued.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 * import { TraceRecorder, summarize } from "@npurt/profiler";
 *
 * const device = createDevice(new MockDeviceBackend());
 * const recorder = new TraceRecorder().attach(device);
 * const q = device.createQueue();
 * device.enqueue(q, { kind: "kernel", name: "add" });
 * await device.drain(q);
 * console.log(summarize(recorder.recording()).kernels[0]?.name); // "add"
 * ```
 */
export class TraceRecorder {
  /** The mode given at construction. */
  readonly mode: RecorderMode;
  #sub = new Subscription("TraceRecorder");
  #counts: Record<string, number> = Object.create(null);
  #ops = new OpTable();
  #names: string[] = [];
  #nameIndex = new Map<string, number>();
  #rowOf = new Map<number, number>();
  #baseOpId: number | undefined;
  #queues = new Map<number, QueueRow>();
  #streams = new Map<number, Mutable<StreamInfo>>();
  #callbacks = new Map<number, Mutable<CallbackInfo>>();
  #callbackList: Mutable<CallbackInfo>[] = [];
  #hostWaits = new Map<number, Mutable<HostWaitInfo>>();
  #hostWaitList: Mutable<HostWaitInfo>[] = [];
  #memory: MemorySample[] = [];
  #memoryInUse: number[] = [];
  #eventUses: EventUse[] = [];
  #errors: ErrorInfo[] = [];
  /** Queue of the op enqueued by the event just before, for stream-to-queue matching. */
  #lastEnqueuedQueue = -1;
  #lastTime = Number.NaN;
  #target: ReturnType<typeof resolveTarget> | undefined;

  constructor(options?: TraceRecorderOptions) {
    const opts = optionsOf(options, "TraceRecorder options");
    this.mode = oneOfOption(opts.mode, ["counting", "trace"] as const, "trace", "mode");
  }

  /** Starts recording the target's events (`ILLEGAL_STATE` if already attached). Returns `this`. */
  attach(target: AttachTarget): this {
    const resolved = resolveTarget(target);
    this.#sub.open(resolved.bus, this.mode === "counting" ? this.#count : this.#record);
    this.#target = resolved;
    return this;
  }

  /** Stops recording; what was recorded stays readable. */
  detach(): void {
    this.#sub.close();
  }

  /** Whether the recorder is attached. */
  get attached(): boolean {
    return this.#sub.attached;
  }

  /** Events seen so far, by instrumentation event type (both modes). */
  counts(): Readonly<Record<string, number>> {
    return { ...this.#counts };
  }

  /** Bytes held for op rows (capacity of the columns); the memory benchmark reads it. */
  get opBytes(): number {
    return this.#ops.byteLength;
  }

  /**
   * What was recorded so far. The op columns are shared, not copied (a later event may extend
   * them); the lists are copies. `ILLEGAL_STATE` in `'counting'` mode, which keeps no records.
   */
  recording(): Recording {
    if (this.mode === "counting") {
      throw new NpuError("ILLEGAL_STATE", "a counting TraceRecorder keeps no records; use mode 'trace'");
    }
    return {
      timeModel: this.#target?.clock?.mode,
      capabilities: this.#target?.capabilities,
      ops: this.#ops,
      names: [...this.#names],
      queues: [...this.#queues.values()].map((q) => ({ ...q, streams: [...q.streams] })),
      streams: [...this.#streams.values()].map((s) => ({ ...s })),
      callbacks: this.#callbackList.map((c) => ({ ...c })),
      hostWaits: this.#hostWaitList.map((h) => ({ ...h })),
      memory: [...this.#memory],
      eventUses: [...this.#eventUses],
      errors: [...this.#errors],
    };
  }

  readonly #count = (e: InstrumentationEvent): void => {
    const counts = this.#counts;
    counts[e.type] = (counts[e.type] ?? 0) + 1;
  };

  readonly #record = (e: InstrumentationEvent): void => {
    const counts = this.#counts;
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    const lastQueue = this.#lastEnqueuedQueue;
    this.#lastEnqueuedQueue = -1;
    const lastTime = this.#lastTime;
    this.#lastTime = e.time;
    switch (e.type) {
      case "op.enqueued": {
        const t = this.#ops;
        const i = t.add();
        t.enqueueNs[i] = e.time;
        t.hostStartNs[i] = Number.isNaN(lastTime) || lastTime > e.time ? e.time : lastTime;
        t.opId[i] = e.opId;
        t.queue[i] = e.queue;
        t.device[i] = e.device;
        const kind = kindCode(e.kind);
        t.kind[i] = kind;
        if (kind === 3 || kind === 4) {
          // "counter:C=V": named by counter and value, which are unique per signal; interning
          // them would grow the name table by one entry per record.
          const colon = e.name.indexOf(":");
          const eq = e.name.indexOf("=", colon);
          t.name[i] = -1;
          t.counter[i] = Number(e.name.slice(colon + 1, eq));
          t.value[i] = Number(e.name.slice(eq + 1));
        } else {
          t.name[i] = this.#intern(e.name);
        }
        // Core numbers ops consecutively per device, so the row is usually opId - base; only ops
        // whose row does not follow that rule go into the map (a Map of a million in-flight ops
        // cost more than the rest of the recorder).
        if (this.#baseOpId === undefined) this.#baseOpId = e.opId - i;
        if (e.opId - this.#baseOpId !== i) this.#rowOf.set(e.opId, i);
        this.#lastEnqueuedQueue = e.queue;
        return;
      }
      case "op.completed": {
        const t = this.#ops;
        let i: number | undefined;
        const guess = this.#baseOpId === undefined ? -1 : e.opId - this.#baseOpId;
        if (guess >= 0 && guess < t.length && t.opId[guess] === e.opId && t.status[guess] === 0) i = guess;
        else i = this.#rowOf.get(e.opId);
        if (i === undefined) {
          // Enqueued before the recorder attached: keep it with its completion as the enqueue time.
          i = t.add();
          t.enqueueNs[i] = e.startNs;
          t.hostStartNs[i] = e.startNs;
          t.opId[i] = e.opId;
          t.queue[i] = e.queue;
          t.device[i] = e.device;
          t.kind[i] = kindCode(e.kind);
          t.name[i] = this.#intern(e.name);
        } else {
          this.#rowOf.delete(e.opId);
        }
        t.startNs[i] = e.startNs;
        t.endNs[i] = e.endNs;
        t.status[i] = statusCode(e.status);
        return;
      }
      case "queue.created":
        this.#queues.set(e.queue, {
          queue: e.queue,
          device: e.device,
          priority: e.priority,
          createdNs: e.time,
          destroyedNs: undefined,
          streams: [],
        });
        return;
      case "queue.destroyed": {
        const q = this.#queues.get(e.queue);
        if (q !== undefined) q.destroyedNs = e.time;
        return;
      }
      case "stream.created":
        this.#streams.set(e.stream, {
          stream: e.stream,
          device: e.device,
          priority: e.priority,
          createdNs: e.time,
          destroyedNs: undefined,
          queue: undefined,
        });
        return;
      case "stream.state":
        this.#bind(e.stream, lastQueue);
        return;
      case "stream.destroyed": {
        const s = this.#streams.get(e.stream);
        if (s !== undefined) s.destroyedNs = e.time;
        return;
      }
      case "event.recorded":
      case "event.waited":
        this.#bind(e.stream, lastQueue);
        this.#eventUses.push({
          type: e.type === "event.recorded" ? "recorded" : "waited",
          timeNs: e.time,
          event: e.event,
          stream: e.stream,
          value: e.value,
        });
        return;
      case "callback.enqueued": {
        this.#bind(e.stream, lastQueue);
        const c: Mutable<CallbackInfo> = {
          callback: e.callback,
          stream: e.stream,
          label: e.label,
          enqueuedNs: e.time,
          startedNs: undefined,
          finishedNs: undefined,
          status: undefined,
        };
        this.#callbacks.set(e.callback, c);
        this.#callbackList.push(c);
        return;
      }
      case "callback.started": {
        const c = this.#callbacks.get(e.callback);
        if (c !== undefined) c.startedNs = e.time;
        return;
      }
      case "callback.finished": {
        const c = this.#callbacks.get(e.callback);
        if (c === undefined) return;
        c.finishedNs = e.time;
        c.status = e.status;
        this.#callbacks.delete(e.callback);
        return;
      }
      case "host.wait": {
        if (e.phase === "begin") {
          const h: Mutable<HostWaitInfo> = {
            wait: e.wait,
            target: e.target,
            id: e.id,
            beginNs: e.time,
            endNs: undefined,
            outcome: undefined,
            code: undefined,
          };
          this.#hostWaits.set(e.wait, h);
          this.#hostWaitList.push(h);
          return;
        }
        // An end whose begin came before the recorder attached has no span to close.
        const h = this.#hostWaits.get(e.wait);
        if (h === undefined) return;
        h.endNs = e.time;
        h.outcome = e.outcome;
        h.code = e.code;
        this.#hostWaits.delete(e.wait);
        return;
      }
      case "memory.allocated":
      case "memory.released": {
        const delta = e.type === "memory.allocated" ? e.bytes : -e.bytes;
        const bytes = (this.#memoryInUse[e.device] ?? 0) + delta;
        this.#memoryInUse[e.device] = bytes;
        this.#memory.push({ timeNs: e.time, device: e.device, bytes, delta, tag: e.tag });
        return;
      }
      case "error":
        this.#errors.push({ timeNs: e.time, code: e.code, message: e.message, source: e.source });
        return;
      default:
        return;
    }
  };

  #bind(stream: number | undefined, queue: number): void {
    if (stream === undefined || queue < 0) return;
    const s = this.#streams.get(stream);
    if (s === undefined || s.queue === queue) return;
    s.queue = queue;
    this.#queues.get(queue)?.streams.push(stream);
  }

  #intern(name: string): number {
    let i = this.#nameIndex.get(name);
    if (i === undefined) {
      i = this.#names.length;
      this.#names.push(name);
      this.#nameIndex.set(name, i);
    }
    return i;
  }
}
