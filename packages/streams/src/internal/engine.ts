import {
  type CounterHandle,
  check,
  type Device,
  type DeviceBuffer,
  HandleTable,
  type HostExecutor,
  type HostTaskOutcome,
  NpuError,
  NpuTypeError,
  type OpCompletion,
  type OpSpec,
  type OpStatus,
  type QueueHandle,
  RingQueue,
} from "@npurt/core";
import type { CallbackContext } from "../callback-context.js";
import { FifoHostExecutor } from "../fifo-host-executor.js";
import type { ProfileBehaviours } from "../profile.js";
import type {
  DeadlockReport,
  LeakReport,
  ResourceCounts,
  ResourceStats,
  StreamPoolStats,
} from "../reports.js";
import { Stream } from "../stream.js";
import { StreamEvent } from "../stream-event.js";
import type {
  CreateEventOptions,
  CreateStreamOptions,
  FailureMode,
  HostCallbackOptions,
  SynchronizeOptions,
} from "../stream-options.js";
import { reduceStreamState, type StreamAction } from "../stream-state.js";
import { assertNotInCallback, runAsCallback } from "./callback-scope.js";
import { findCallbackCycle, findDeadlocks } from "./deadlocks.js";
import { findFutureCycle } from "./dependency-graph.js";
import {
  type CallbackRecord,
  type DrainWaiter,
  type EventCounter,
  EventRecord,
  type EventWaiter,
  type FutureWait,
  type SpecialOp,
  StreamRecord,
} from "./records.js";
import { StreamPool } from "./stream-pool.js";
import { type Done, removeFrom, timedWait } from "./timed-wait.js";

/** The resolved options the engine runs with. */
export interface EngineOptions {
  readonly behaviours: ProfileBehaviours;
  readonly executor: HostExecutor | undefined;
  readonly poolBound: number;
}

/** A user-facing priority range. */
export interface PriorityRange {
  readonly greatest: number;
  readonly least: number;
  readonly default: number;
}

class Counts {
  created = 0;
  succeeded = 0;
  released = 0;
  snapshot(): ResourceCounts {
    return { created: this.created, succeeded: this.succeeded, released: this.released };
  }
}

const NOOP = (): void => {};

/**
 * The stream runtime behind {@link StreamManager}, {@link Stream} and {@link StreamEvent}: one
 * object holds every table so the public classes stay thin handles.
 */
export class Engine {
  readonly device: Device;
  readonly behaviours: ProfileBehaviours;
  readonly executor: HostExecutor;
  readonly priorityRange: PriorityRange;

  readonly streams: HandleTable<Stream, StreamRecord>;
  readonly events: HandleTable<StreamEvent, EventRecord>;
  /** Destroyed streams still finishing their work. */
  readonly draining = new Set<StreamRecord>();
  /** Host callbacks started and not finished. */
  readonly runningCallbacks = new Set<CallbackRecord>();
  /** Host callbacks handed to the executor and not started: an abort still discards them. */
  readonly #queuedCallbacks = new Set<CallbackRecord>();

  readonly #owner = {};
  readonly #pool: StreamPool;
  /** Per device: ops enqueued and not completed, for least-loaded choice. */
  readonly #load: number[];
  /** Per device: the stored error once the device stopped (stop-on-failure or a sticky error). */
  readonly #stopped: (NpuError | undefined)[];
  /** Per device: whether a stop-on-failure stream was created on it. */
  readonly #stopMode: boolean[];
  readonly #buffers = new Set<DeviceBuffer>();
  readonly #stats = {
    streams: new Counts(),
    events: new Counts(),
    callbacks: new Counts(),
    allocations: new Counts(),
  };
  #streamIds = 0;
  #eventIds = 0;
  #callbackIds = 0;
  #created = 0;
  #peak = 0;
  #closed = false;
  /** Set once the device closed under the manager: no completion will ever come again. */
  #deviceClosed: NpuError | undefined;
  readonly #offClose: () => void;

  constructor(device: Device, options: EngineOptions) {
    this.device = device;
    this.behaviours = options.behaviours;
    this.executor = options.executor ?? new FifoHostExecutor();
    this.streams = new HandleTable(this.#owner, "stream");
    this.events = new HandleTable(this.#owner, "event");
    const n = device.deviceCount;
    this.#pool = new StreamPool(n, options.poolBound, (rec) => this.#freeRecord(rec));
    this.#load = new Array<number>(n).fill(0);
    this.#stopped = new Array<NpuError | undefined>(n).fill(undefined);
    this.#stopMode = new Array<boolean>(n).fill(false);
    const { greatest, least } = device.capabilities.priorities;
    const levels = least - greatest + 1;
    this.priorityRange =
      this.behaviours.priorityScale === "cann"
        ? { greatest: 0, least: 7, default: 0 }
        : { greatest: -(levels - 1), least: 0, default: 0 };
    // Last, since a device closed already calls back at once.
    this.#offClose = device.onClose(() => this.#onDeviceClosed());
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- streams ------------------------------------------------------------------------------

  createStream(options: CreateStreamOptions | undefined): Stream {
    this.#assertOpen();
    assertNotInCallback("StreamManager.create");
    const opts = check.options(options, "create options");
    const device = this.#pickDevice(opts.device);
    // CUDA: after a sticky error every call fails with it, stream creation included.
    const sticky = this.#stopped[device];
    if (sticky !== undefined && this.behaviours.stickyErrors) throw sticky;
    const priority = this.#userPriority(opts.priority);
    const failureMode: FailureMode =
      opts.failureMode === undefined
        ? "continue"
        : check.oneOf(opts.failureMode, ["continue", "stop"] as const, "failureMode");
    const backendPriority = this.#backendPriority(priority);
    this.#stats.streams.created++;
    const rec = this.#acquireRecord(device, backendPriority);
    rec.id = ++this.#streamIds;
    if (rec.state === "DESTROYED") this.transition(rec, "reuse");
    rec.priority = priority;
    rec.failureMode = failureMode;
    rec.abortTarget = rec.enqueued;
    const handle = this.streams.issue(rec, (o, s, g) => new Stream(o, s, g, this, rec));
    rec.handle = handle;
    if (failureMode === "stop") this.#stopMode[device] = true;
    this.#created++;
    if (this.streams.size > this.#peak) this.#peak = this.streams.size;
    this.#stats.streams.succeeded++;
    const bus = this.device.instrumentation;
    if (bus.active) {
      bus.emit({ type: "stream.created", time: this.device.clock.now(), device, stream: rec.id, priority });
    }
    this.transition(rec, "created");
    return handle;
  }

  /** Prewarms the pool with `count` streams holding hardware queues. */
  prewarm(count: number, device: number, priority: number): number {
    assertNotInCallback("StreamManager.prewarm");
    this.#assertOpen();
    const backendPriority = this.#backendPriority(this.#userPriority(priority));
    const d = check.integer(device, "device index", 0, this.device.deviceCount - 1);
    let added = 0;
    for (let i = 0; i < count && this.#pool.hasRoom; i++) {
      if (this.#pool.held(d) >= this.device.info(d).maxQueues) break;
      const rec = new StreamRecord(d, backendPriority);
      this.#pool.reserve(d, Number.POSITIVE_INFINITY);
      this.#acquireQueue(rec);
      // Never handed out, so nobody hears of it: the reducer still decides the state.
      rec.state = reduceStreamState(rec.state, "destroy");
      this.#pool.put(rec);
      added++;
    }
    return added;
  }

  #acquireRecord(device: number, backendPriority: number): StreamRecord {
    const pooled = this.#pool.take(device, backendPriority);
    if (pooled !== undefined) return pooled;
    this.#pool.reserve(device, this.device.info(device).maxQueues);
    return new StreamRecord(device, backendPriority);
  }

  #freeRecord(rec: StreamRecord): void {
    this.#pool.release(rec);
    try {
      if (rec.queue !== undefined) this.device.destroyQueue(rec.queue);
      if (rec.callbackCounter !== undefined) this.device.destroyCounter(rec.callbackCounter);
    } catch {
      // The device may be closed already; its resources went with it.
    }
    rec.queue = undefined;
    rec.callbackCounter = undefined;
  }

  #acquireQueue(rec: StreamRecord): QueueHandle {
    const queue = this.device.createQueue({
      device: rec.device,
      priority: rec.backendPriority,
      onComplete: (c) => this.#onComplete(rec, c),
    });
    rec.queue = queue;
    return queue;
  }

  #pickDevice(device: unknown): number {
    if (device === undefined) return 0;
    if (device === "least-loaded") {
      let best = 0;
      for (let d = 1; d < this.#load.length; d++) {
        const a = this.#load[d]!;
        const b = this.#load[best]!;
        if (a < b || (a === b && this.#pool.held(d) < this.#pool.held(best))) best = d;
      }
      return best;
    }
    if (typeof device === "string") return check.oneOf(device, ["least-loaded"], "device") as never;
    return check.integer(device, "device index", 0, this.device.deviceCount - 1);
  }

  #userPriority(priority: unknown): number {
    const range = this.priorityRange;
    if (priority === undefined) return range.default;
    const p = check.number(priority, "priority");
    if (!Number.isInteger(p)) throw new NpuError("INVALID_PARAM", `priority must be an integer, got ${p}`);
    if (p >= range.greatest && p <= range.least) return p;
    if (this.behaviours.priorityOutOfRange === "error") {
      throw new NpuError(
        "INVALID_PARAM",
        `priority ${p} is outside [${range.greatest}, ${range.least}] (lower is more urgent)`,
        { details: { priority: p, greatest: range.greatest, least: range.least } },
      );
    }
    return p < range.greatest ? range.greatest : range.least;
  }

  #backendPriority(user: number): number {
    const { greatest, least } = this.device.capabilities.priorities;
    const range = this.priorityRange;
    const span = range.least - range.greatest;
    if (span === 0) return greatest;
    return greatest + Math.round(((user - range.greatest) * (least - greatest)) / span);
  }

  /** The live record of `handle`, or the coded error. */
  streamOf(handle: Stream): StreamRecord {
    return this.streams.get(handle, "stream");
  }

  transition(rec: StreamRecord, action: StreamAction): void {
    const from = rec.state;
    const to = reduceStreamState(from, action);
    if (to === from) return;
    rec.state = to;
    const bus = this.device.instrumentation;
    if (bus.active)
      bus.emit({ type: "stream.state", time: this.device.clock.now(), stream: rec.id, from, to });
  }

  /** Brings `rec.state` in line with its queue: the only place RUNNING, BLOCKED and COMPLETED are decided. */
  #refresh(rec: StreamRecord): void {
    let state = rec.state;
    if (state === "DESTROYED") return;
    if (state === "ABORTED") {
      if (this.#stopped[rec.device] !== undefined || rec.completed < rec.abortTarget) return;
      this.transition(rec, "recover");
      state = rec.state;
    }
    const busy = rec.completed < rec.enqueued || rec.callbacksPending > 0;
    if (!busy) {
      if (state === "RUNNING" || state === "BLOCKED") this.transition(rec, "drain");
      return;
    }
    if (state === "READY" || state === "COMPLETED") this.transition(rec, "submit");
    if (this.#headBlocks(rec)) this.transition(rec, "block");
    else if (rec.state === "BLOCKED") this.transition(rec, "unblock");
  }

  #headBlocks(rec: StreamRecord): boolean {
    const head = rec.specials?.peek();
    if (head === undefined || head.seq !== rec.completed) return false;
    if (head.kind === "wait") return this.#counterValue(head.counter!.handle) < head.value;
    return head.kind === "release" && head.callback!.phase !== "done";
  }

  #counterValue(counter: CounterHandle): number {
    try {
      return this.device.counterValue(counter);
    } catch {
      return 0;
    }
  }

  #assertOpen(): void {
    if (this.#deviceClosed !== undefined) throw this.#deviceClosed;
    if (this.#closed) throw new NpuError("DEVICE_CLOSED", "the stream manager is closed");
  }

  /**
   * The device closed under the manager: no completion will ever come, so every pending wait
   * would hang. The device is stopped with `DEVICE_CLOSED` (pending synchronizes reject with it,
   * streams with work turn ABORTED and refuse more), and the ops that will never complete are
   * completed here as aborted, so callbacks, events and destroyed streams are released as after
   * a real abort.
   */
  #onDeviceClosed(): void {
    const error = new NpuError("DEVICE_CLOSED", "the device was closed; its pending work is lost");
    this.#deviceClosed = error;
    for (let d = 0; d < this.#stopped.length; d++) {
      this.#stopped[d] = undefined; // a stored failure gives way: nothing runs any more
      this.#stopDevice(d, error);
    }
    this.#pool.clear();
    const now = this.device.clock.now();
    const lost: OpCompletion = {
      queue: -1,
      opId: 0,
      status: "aborted",
      startNs: now,
      endNs: now,
      failure: { code: "DEVICE_CLOSED", message: error.message },
    };
    const recs = [...this.draining];
    for (const [, rec] of this.streams.entries()) recs.push(rec);
    for (const rec of recs) while (rec.completed < rec.enqueued) this.#onComplete(rec, lost);
  }

  /** Checks that `rec` may take new work; returns its queue. */
  #queueForWork(rec: StreamRecord, api: string): QueueHandle {
    assertNotInCallback(api);
    this.#assertOpen();
    const stopped = this.#stopped[rec.device];
    if (stopped !== undefined) {
      if (this.behaviours.stickyErrors) throw stopped;
      throw new NpuError(
        "STOPPED_ON_FAILURE",
        `device ${rec.device} stopped after a failure (${stopped.code}); it refuses new work until resetDevice()`,
        { cause: stopped, details: { stream: rec.id } },
      );
    }
    if (rec.state === "ABORTED") {
      throw new NpuError(
        "STREAM_ABORT",
        `stream ${rec.id} is aborting: ${rec.abortTarget - rec.completed} discarded op(s) not reported yet`,
        { details: { stream: rec.id } },
      );
    }
    return rec.queue ?? this.#acquireQueue(rec);
  }

  #enqueue(rec: StreamRecord, queue: QueueHandle, spec: OpSpec): number {
    this.device.enqueue(queue, spec);
    this.#load[rec.device]!++;
    return rec.enqueued++;
  }

  #special(rec: StreamRecord, op: SpecialOp): void {
    if (rec.specials === undefined) rec.specials = new RingQueue();
    rec.specials.push(op);
  }

  submit(rec: StreamRecord, spec: OpSpec, api: string): void {
    this.#enqueue(rec, this.#queueForWork(rec, api), spec);
    const state = rec.state;
    if (state === "READY" || state === "COMPLETED") this.transition(rec, "submit");
  }

  /** Core's op spec for a stream op given with or without its `kind`. */
  opSpec<K extends "kernel" | "copy" | "fill">(spec: unknown, kind: K): Extract<OpSpec, { kind: K }> {
    const s = check.options(spec as object, kind) as Record<string, unknown>;
    return (s.kind === kind ? s : { ...s, kind }) as unknown as Extract<OpSpec, { kind: K }>;
  }

  query(rec: StreamRecord): "complete" | "not-ready" {
    const stopped = this.#stopped[rec.device];
    if (stopped !== undefined) throw stopped;
    return rec.completed >= rec.enqueued && rec.callbacksPending === 0 ? "complete" : "not-ready";
  }

  synchronizeStream(rec: StreamRecord, options: SynchronizeOptions | undefined): Promise<void> {
    return timedWait(
      this.device.clock,
      options,
      (done) => {
        assertNotInCallback("Stream.synchronize");
        const stopped = this.#stopped[rec.device];
        if (stopped !== undefined) throw stopped;
        const waiter: DrainWaiter = { target: rec.enqueued, done };
        return this.#addWaiter(rec, waiter) ? () => removeFrom(rec.waiters, waiter) : undefined;
      },
      (timeoutMs) =>
        new NpuError(
          "STREAM_SYNC_TIMEOUT",
          `stream ${rec.id} did not finish within ${timeoutMs} ms: ${rec.enqueued - rec.completed} op(s) and ${rec.callbacksPending} callback(s) pending`,
          { details: { stream: rec.id, pending: rec.enqueued - rec.completed, timeoutMs } },
        ),
    );
  }

  synchronizeDevice(options: (SynchronizeOptions & { readonly device?: number }) | undefined): Promise<void> {
    let busy = 0;
    return timedWait(
      this.device.clock,
      options,
      (done) => {
        assertNotInCallback("StreamManager.synchronize");
        const opts = check.options(options, "synchronize options");
        const only =
          opts.device === undefined
            ? undefined
            : check.integer(opts.device, "device index", 0, this.device.deviceCount - 1);
        for (let d = 0; d < this.#stopped.length; d++) {
          const stopped = this.#stopped[d];
          if (stopped !== undefined && (only === undefined || only === d)) throw stopped;
        }
        const recs: StreamRecord[] = [];
        for (const [, rec] of this.streams.entries())
          if (only === undefined || rec.device === only) recs.push(rec);
        for (const rec of this.draining) if (only === undefined || rec.device === only) recs.push(rec);
        // One count per stream plus one for the registration itself, so streams that are
        // already drained cannot settle the promise before the others are registered.
        let remaining = recs.length + 1;
        let first: NpuError | undefined;
        const one: Done = (error) => {
          first ??= error;
          if (--remaining === 0) done(first);
        };
        const waiting: [StreamRecord, DrainWaiter][] = [];
        for (const rec of recs) {
          const waiter: DrainWaiter = { target: rec.enqueued, done: one };
          if (this.#addWaiter(rec, waiter)) waiting.push([rec, waiter]);
        }
        one(undefined);
        if (remaining === 0) return undefined;
        return () => {
          for (const [rec, waiter] of waiting) if (removeFrom(rec.waiters, waiter)) busy++;
          return busy > 0;
        };
      },
      (timeoutMs) =>
        new NpuError(
          "STREAM_SYNC_TIMEOUT",
          `device synchronize did not finish within ${timeoutMs} ms: ${busy} stream(s) still busy`,
          { details: { pendingStreams: busy, timeoutMs } },
        ),
    );
  }

  /** Registers `waiter`, or calls it at once when the stream is drained; returns whether it was registered. */
  #addWaiter(rec: StreamRecord, waiter: DrainWaiter): boolean {
    if (rec.completed >= waiter.target && this.#oldestCallback(rec) >= waiter.target) {
      const error = rec.pendingError;
      rec.pendingError = undefined;
      waiter.done(error);
      return false;
    }
    if (rec.waiters === undefined) rec.waiters = [];
    rec.waiters.push(waiter);
    return true;
  }

  /** Resolves the waiters the stream has reached; returns whether any was. */
  #settle(rec: StreamRecord): boolean {
    const list = rec.waiters;
    if (list === undefined || list.length === 0) return false;
    // A synchronize waits for the callbacks launched before it, not for those launched since.
    const reached = Math.min(rec.completed, this.#oldestCallback(rec));
    let n = 0;
    while (n < list.length && list[n]!.target <= reached) n++;
    if (n === 0) return false;
    const ready = list.splice(0, n);
    const error = rec.pendingError;
    rec.pendingError = undefined;
    for (const w of ready) w.done(error);
    return true;
  }

  /** Position of the oldest unfinished host callback of `rec`, or `Infinity`. */
  #oldestCallback(rec: StreamRecord): number {
    const list = rec.callbacks;
    if (list === undefined || rec.callbacksPending === 0) return Number.POSITIVE_INFINITY;
    while (list.peek()!.phase === "done") list.shift();
    return list.peek()!.seq;
  }

  #rejectWaiters(rec: StreamRecord, error: NpuError): boolean {
    const list = rec.waiters;
    if (list === undefined || list.length === 0) return false;
    rec.waiters = undefined;
    for (const w of list) w.done(error);
    return true;
  }

  abort(rec: StreamRecord): void {
    assertNotInCallback("Stream.abort");
    this.#abortRecord(rec, `stream ${rec.id} was aborted`);
  }

  #abortRecord(rec: StreamRecord, why: string, error?: NpuError): void {
    if (rec.queue !== undefined && rec.completed < rec.enqueued && this.#deviceClosed === undefined)
      this.device.abortQueue(rec.queue);
    rec.abortTarget = rec.enqueued;
    if (rec.state !== "DESTROYED") this.transition(rec, "abort");
    this.#rejectWaiters(rec, error ?? new NpuError("STREAM_ABORT", why, { details: { stream: rec.id } }));
    // The stream reached these callbacks, but their host function has not started: like the
    // queued ops, they are discarded (they would otherwise run after the abort, or after a stop).
    for (const cb of this.#queuedCallbacks) {
      if (cb.stream === rec) this.#finishCallback(cb, { ok: false, error: undefined }, true);
    }
    this.#refresh(rec);
  }

  destroyStream(handle: Stream, options: { force?: boolean } | undefined): Promise<void> {
    assertNotInCallback("Stream.destroy");
    const opts = check.options(options, "destroy options");
    const force = opts.force === undefined ? false : opts.force;
    if (typeof force !== "boolean") throw new NpuTypeError("force must be a boolean");
    const rec = this.streams.remove(handle, "stream");
    rec.handle = undefined;
    const stream = rec.id;
    if (force && (rec.completed < rec.enqueued || rec.callbacksPending > 0))
      this.#abortRecord(rec, `stream ${stream} was force-destroyed`);
    this.transition(rec, "destroy");
    this.#stats.streams.released++;
    const bus = this.device.instrumentation;
    if (bus.active) bus.emit({ type: "stream.destroyed", time: this.device.clock.now(), stream });
    if (this.#releaseIfDrained(rec)) return Promise.resolve();
    this.draining.add(rec);
    if (!force && !this.behaviours.destroyWaitsForWork) return Promise.resolve();
    return new Promise<void>((resolve) => {
      rec.onReleased = resolve;
    });
  }

  #releaseIfDrained(rec: StreamRecord): boolean {
    if (rec.state !== "DESTROYED" || rec.completed < rec.enqueued || rec.callbacksPending > 0) return false;
    this.draining.delete(rec);
    rec.pendingError = undefined;
    rec.futureWaits = undefined;
    rec.waiters = undefined;
    rec.specials = undefined;
    rec.callbacks = undefined;
    if (rec.queue === undefined || this.#closed || this.#deviceClosed !== undefined || !this.#pool.put(rec))
      this.#freeRecord(rec);
    const released = rec.onReleased;
    rec.onReleased = undefined;
    released?.();
    return true;
  }

  // ---- completions --------------------------------------------------------------------------

  #onComplete(rec: StreamRecord, c: OpCompletion): boolean {
    const index = rec.completed++;
    this.#load[rec.device]!--;
    let woke = false;
    const specials = rec.specials;
    if (specials !== undefined && specials.size > 0 && specials.peek()!.seq === index) {
      woke = this.#onSpecial(rec, specials.shift()!, c);
    }
    if (c.status === "error") {
      const f = c.failure;
      this.#fail(
        rec,
        new NpuError(
          f?.code ?? "INTERNAL_ERROR",
          `stream ${rec.id}: op ${c.opId} failed: ${f?.message ?? "no reason given"}`,
          { details: { stream: rec.id, opId: c.opId } },
        ),
      );
    }
    if (rec.waiters !== undefined && this.#settle(rec)) woke = true;
    this.#refresh(rec);
    if (rec.state === "DESTROYED" && this.#releaseIfDrained(rec)) woke = true;
    return woke;
  }

  #onSpecial(rec: StreamRecord, op: SpecialOp, c: OpCompletion): boolean {
    switch (op.kind) {
      case "record":
        return this.#onRecordDone(rec, op, c);
      case "wait": {
        const ev = op.event!;
        ev.pendingOps--;
        this.#counterOpDone(op.counter!);
        const fw = op.future;
        if (fw !== undefined) {
          fw.done = true;
          rec.futureWaits = without(rec.futureWaits, fw);
          ev.futureWaiters = without(ev.futureWaiters, fw);
        }
        this.#maybeFreeEvent(ev);
        return false;
      }
      case "callback": {
        const cb = op.callback!;
        if (c.status !== "ok" || this.#stopped[rec.device] !== undefined) {
          this.#finishCallback(cb, { ok: false, error: undefined }, true);
          return false;
        }
        this.#startCallback(cb);
        return true;
      }
      default:
        return false;
    }
  }

  #onRecordDone(rec: StreamRecord, op: SpecialOp, c: OpCompletion): boolean {
    const ev = op.event!;
    const counter = op.counter!;
    ev.pendingOps--;
    ev.pendingRecords--;
    counter.pendingRecords--;
    let woke = false;
    if (c.status === "ok") {
      if (op.value > counter.completed) counter.completed = op.value;
      if (op.value === ev.recordCount) ev.timestampNs = c.endNs;
      woke = this.#settleEvent(ev, undefined);
    } else {
      if (ev.discarded === undefined || ev.discarded.value <= op.value) {
        ev.discarded = { value: op.value, streamId: rec.id, destroyed: rec.state === "DESTROYED" };
      }
      woke = this.#settleEvent(
        ev,
        new NpuError(
          "STREAM_ABORT",
          `event ${ev.id}: its record on stream ${rec.id} was discarded (${c.failure?.code ?? c.status})`,
          { details: { event: ev.id, stream: rec.id } },
        ),
      );
    }
    this.#counterOpDone(counter);
    this.#maybeFreeEvent(ev);
    return woke;
  }

  #fail(rec: StreamRecord, error: NpuError): void {
    const bus = this.device.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "error",
        time: this.device.clock.now(),
        code: error.code,
        message: error.message,
        source: `stream:${rec.id}`,
      });
    }
    if (this.behaviours.stickyErrors || this.#stopMode[rec.device] || rec.failureMode === "stop") {
      this.#stopDevice(rec.device, error);
    } else {
      rec.pendingError ??= error;
    }
  }

  #stopDevice(device: number, error: NpuError): void {
    if (this.#stopped[device] !== undefined) return;
    this.#stopped[device] = error;
    const recs: StreamRecord[] = [];
    for (const [, rec] of this.streams.entries()) if (rec.device === device) recs.push(rec);
    for (const rec of this.draining) if (rec.device === device) recs.push(rec);
    for (const rec of recs) this.#abortRecord(rec, "", error);
    for (const [, ev] of this.events.entries()) if (ev.device === device) this.#settleEvent(ev, error, true);
  }

  /** Clears a stopped device (stop-on-failure or sticky error): its streams take work again. */
  resetDevice(device: unknown): void {
    assertNotInCallback("StreamManager.resetDevice");
    if (this.#deviceClosed !== undefined) throw this.#deviceClosed;
    const d = check.integer(device ?? 0, "device index", 0, this.device.deviceCount - 1);
    if (this.#stopped[d] === undefined) return;
    this.#stopped[d] = undefined;
    for (const [, rec] of this.streams.entries()) if (rec.device === d) this.#refresh(rec);
  }

  // ---- host callbacks -----------------------------------------------------------------------

  launchCallback(rec: StreamRecord, fn: unknown, options: HostCallbackOptions | undefined): void {
    const f = check.func<(ctx: CallbackContext) => unknown>(fn, "host callback");
    const opts = check.options(options, "host callback options");
    const blocking = opts.blocking === undefined ? true : opts.blocking;
    if (typeof blocking !== "boolean") throw new NpuTypeError("blocking must be a boolean");
    const label = opts.label === undefined ? undefined : check.string(opts.label, "label");
    const queue = this.#queueForWork(rec, "Stream.launchHostCallback");
    this.#stats.callbacks.created++;
    const counter = rec.callbackCounter ?? this.device.createCounter({ device: rec.device });
    rec.callbackCounter = counter;
    const cb: CallbackRecord = {
      id: ++this.#callbackIds,
      fn: f,
      blocking,
      label,
      stream: rec,
      streamId: rec.id,
      seq: rec.enqueued, // its marker op is the next one
      releaseValue: 0,
      phase: "launched",
      waits: undefined,
    };
    // The marker signal carries no information (value 0 never raises the counter): its
    // completion tells the host that the stream reached the callback.
    const seq = this.#enqueue(rec, queue, { kind: "signal", counter, value: 0 });
    this.#special(rec, {
      seq,
      kind: "callback",
      event: undefined,
      counter: undefined,
      value: 0,
      future: undefined,
      callback: cb,
    });
    if (blocking) {
      cb.releaseValue = ++rec.callbackSeq;
      const waitSeq = this.#enqueue(rec, queue, { kind: "wait", counter, value: cb.releaseValue });
      this.#special(rec, {
        seq: waitSeq,
        kind: "release",
        event: undefined,
        counter: undefined,
        value: cb.releaseValue,
        future: undefined,
        callback: cb,
      });
    }
    rec.callbacksPending++;
    if (rec.callbacks === undefined) rec.callbacks = new RingQueue();
    rec.callbacks.push(cb);
    this.#emitCallback("callback.enqueued", cb, undefined);
    this.#refresh(rec);
  }

  #startCallback(cb: CallbackRecord): void {
    cb.phase = "queued";
    this.#queuedCallbacks.add(cb);
    this.executor.submit({
      run: () => {
        if (cb.phase === "done") return undefined; // discarded by an abort while queued
        this.#queuedCallbacks.delete(cb);
        cb.phase = "running";
        this.runningCallbacks.add(cb);
        this.#emitCallback("callback.started", cb, undefined);
        const ctx: CallbackContext = {
          stream: cb.streamId,
          callback: cb.id,
          waitFor: (event, options) => this.callbackWait(cb, event, options),
        };
        return runAsCallback(() => cb.fn(ctx));
      },
      done: (outcome) => this.#finishCallback(cb, outcome, false),
      priority: cb.stream.backendPriority,
      ...(cb.label === undefined ? {} : { label: cb.label }),
    });
  }

  #finishCallback(cb: CallbackRecord, outcome: HostTaskOutcome, discarded: boolean): void {
    if (cb.phase === "done") return;
    cb.phase = "done";
    this.runningCallbacks.delete(cb);
    this.#queuedCallbacks.delete(cb);
    const rec = cb.stream;
    rec.callbacksPending--;
    const stats = this.#stats.callbacks;
    stats.released++;
    if (outcome.ok) stats.succeeded++;
    this.#emitCallback("callback.finished", cb, outcome.ok ? "ok" : discarded ? "aborted" : "error");
    if (!outcome.ok && !discarded) {
      const name = cb.label === undefined ? `host callback ${cb.id}` : `host callback "${cb.label}"`;
      this.#fail(
        rec,
        new NpuError(
          "CALLBACK_FAILED",
          `${name} on stream ${cb.streamId} failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
          { cause: outcome.error, details: { stream: cb.streamId, callback: cb.id } },
        ),
      );
    }
    if (cb.blocking && rec.callbackCounter !== undefined) {
      try {
        this.device.signalCounter(rec.callbackCounter, cb.releaseValue);
      } catch {
        // A closed device has nothing left to release.
      }
    }
    this.#settle(rec);
    this.#refresh(rec);
    this.#releaseIfDrained(rec);
  }

  // ---- events -------------------------------------------------------------------------------

  createEvent(options: CreateEventOptions | undefined): StreamEvent {
    this.#assertOpen();
    assertNotInCallback("StreamManager.createEvent");
    const opts = check.options(options, "createEvent options");
    const timing = opts.timing === undefined ? true : opts.timing;
    if (typeof timing !== "boolean") throw new NpuTypeError("timing must be a boolean");
    const device =
      opts.device === undefined
        ? 0
        : check.integer(opts.device, "device index", 0, this.device.deviceCount - 1);
    this.#stats.events.created++;
    const ev = new EventRecord(++this.#eventIds, device, timing);
    const handle = this.events.issue(ev, (o, s, g) => new StreamEvent(o, s, g, this, ev));
    ev.handle = handle;
    this.#stats.events.succeeded++;
    this.#emitEvent("event.created", ev, undefined, undefined);
    return handle;
  }

  eventOf(handle: unknown): EventRecord {
    return this.events.get(handle, "event");
  }

  #counterOf(ev: EventRecord): EventCounter {
    if (ev.counter === undefined) ev.counter = this.#newCounter(ev);
    return ev.counter;
  }

  #newCounter(ev: EventRecord): EventCounter {
    const handle = this.device.createCounter({ device: ev.device });
    return { handle, completed: 0, pendingRecords: 0, pendingOps: 0, retired: false };
  }

  /** One op on `counter` completed; a retired counter is destroyed after its last one. */
  #counterOpDone(counter: EventCounter): void {
    counter.pendingOps--;
    if (counter.retired && counter.pendingOps === 0) this.#destroyCounter(counter);
  }

  #destroyCounter(counter: EventCounter): void {
    try {
      this.device.destroyCounter(counter.handle);
    } catch {
      // The device may be closed already.
    }
  }

  /** Whether the latest record of `ev` completed (it is always on the current counter). */
  #latestDone(ev: EventRecord): boolean {
    return ev.counter !== undefined && ev.counter.completed >= ev.recordCount;
  }

  record(rec: StreamRecord, event: unknown): void {
    const ev = this.eventOf(event);
    const queue = this.#queueForWork(rec, "Stream.record");
    const value = ev.recordCount + 1;
    const pos = rec.enqueued;
    const resolved = ev.futureWaiters?.filter((fw) => fw.value <= value);
    if (resolved !== undefined && resolved.length > 0) {
      const cycle = findFutureCycle(resolved, rec, pos);
      if (cycle !== undefined) {
        const hops = cycle.map(
          (fw) =>
            `stream ${fw.streamId} waits for event ${fw.event.id} on stream ${fw.producer === undefined ? rec.id : fw.producerId}`,
        );
        const streams = [...new Set(cycle.map((fw) => fw.streamId))];
        throw new NpuError(
          "CYCLE_DEPENDENCY",
          `recording event ${ev.id} on stream ${rec.id} would close a dependency cycle between streams ${streams.join(" → ")} → ${streams[0]}: ${hops.join("; ")}`,
          { details: { streams, event: ev.id } },
        );
      }
    }
    const current = this.#counterOf(ev);
    // A record on another stream than the pending ones gets a fresh counter: on a shared one it
    // could complete first and raise the value past records that earlier waits captured. Not
    // while future waits sit on the counter for exactly this next record.
    const rotate = current.pendingRecords > 0 && ev.lastStreamId !== rec.id && !ev.futureWaiters?.length;
    const counter = rotate ? this.#newCounter(ev) : current;
    let seq: number;
    try {
      seq = this.#enqueue(rec, queue, { kind: "signal", counter: counter.handle, value });
    } catch (error) {
      if (rotate) this.#destroyCounter(counter);
      throw error;
    }
    if (rotate) {
      current.retired = true;
      ev.counter = counter;
    }
    this.#special(rec, {
      seq,
      kind: "record",
      event: ev,
      counter,
      value,
      future: undefined,
      callback: undefined,
    });
    if (resolved !== undefined && resolved.length > 0) {
      for (const fw of resolved) {
        fw.producer = rec;
        fw.producerId = rec.id;
        fw.producerSeq = pos;
      }
      ev.futureWaiters = ev.futureWaiters!.filter((fw) => fw.value > value);
    }
    ev.recordCount = value;
    ev.timestampNs = undefined;
    ev.lastStream = rec;
    ev.lastStreamId = rec.id;
    ev.pendingRecords++;
    ev.pendingOps++;
    counter.pendingRecords++;
    counter.pendingOps++;
    this.#emitEvent("event.recorded", ev, rec.id, value);
    this.#refresh(rec);
  }

  waitEvent(rec: StreamRecord, event: unknown, options: { future?: boolean } | undefined): void {
    const ev = this.eventOf(event);
    const opts = check.options(options, "waitEvent options");
    const future = opts.future === true;
    const queue = this.#queueForWork(rec, "Stream.waitEvent");
    let value: number;
    let fw: FutureWait | undefined;
    if (future) {
      value = ev.recordCount + 1;
      fw = {
        stream: rec,
        streamId: rec.id,
        seq: rec.enqueued,
        event: ev,
        value,
        producer: undefined,
        producerId: 0,
        producerSeq: 0,
        done: false,
      };
    } else {
      value = ev.recordCount;
      if (value === ev.resetBase) {
        if (this.behaviours.unrecordedEvent === "error") {
          throw new NpuError(
            "INVALID_PARAM",
            `event ${ev.id} has not been recorded; record it before waiting on it (CANN events created without the Ex flag)`,
            { details: { event: ev.id } },
          );
        }
        return; // an empty set of work: nothing to wait for
      }
      // Already satisfied, or recorded earlier on this very stream: FIFO order covers it.
      // (By id: a pooled record may now serve another stream than the one that recorded.)
      if (this.#latestDone(ev) || ev.lastStreamId === rec.id) return;
    }
    const counter = this.#counterOf(ev);
    const seq = this.#enqueue(rec, queue, { kind: "wait", counter: counter.handle, value });
    this.#special(rec, { seq, kind: "wait", event: ev, counter, value, future: fw, callback: undefined });
    ev.pendingOps++;
    counter.pendingOps++;
    if (fw !== undefined) {
      if (rec.futureWaits === undefined) rec.futureWaits = [];
      rec.futureWaits.push(fw);
      if (ev.futureWaiters === undefined) ev.futureWaiters = [];
      ev.futureWaiters.push(fw);
    }
    this.#emitEvent("event.waited", ev, rec.id, value);
    this.#refresh(rec);
  }

  /** The stored error of the device an event's records run on, once that device stopped. */
  #eventStopped(ev: EventRecord): NpuError | undefined {
    return this.#stopped[ev.lastStream?.device ?? ev.device];
  }

  eventQuery(ev: EventRecord): "complete" | "not-ready" {
    // As a stream query: a stopped device (CANN's context in abort state, CUDA's sticky error)
    // fails every query and synchronize with its stored error.
    const stopped = this.#eventStopped(ev);
    if (stopped !== undefined) throw stopped;
    if (ev.recordCount === ev.resetBase)
      return this.behaviours.unrecordedEvent === "empty" ? "complete" : "not-ready";
    return this.#latestDone(ev) ? "complete" : "not-ready";
  }

  eventSynchronize(ev: EventRecord, options: SynchronizeOptions | undefined): Promise<void> {
    const target = ev.recordCount;
    return timedWait(
      this.device.clock,
      options,
      (done) => {
        assertNotInCallback("StreamEvent.synchronize");
        const stopped = this.#eventStopped(ev);
        if (stopped !== undefined) throw stopped;
        if (target === ev.resetBase || this.#latestDone(ev)) {
          done(undefined);
          return undefined;
        }
        const waiter: EventWaiter = { target, counter: ev.counter!, done };
        if (ev.waiters === undefined) ev.waiters = [];
        ev.waiters.push(waiter);
        if (ev.pendingRecords === 0 && ev.discarded !== undefined && ev.discarded.value >= target) {
          this.#settleEvent(
            ev,
            new NpuError("STREAM_ABORT", `event ${ev.id}: its latest record was discarded`),
          );
        }
        return () => removeFrom(ev.waiters, waiter);
      },
      (timeoutMs) =>
        new NpuError(
          "EVENT_SYNC_TIMEOUT",
          `event ${ev.id} did not complete within ${timeoutMs} ms (record ${target})`,
          {
            details: { event: ev.id, timeoutMs },
          },
        ),
    );
  }

  /** {@link CallbackContext.waitFor}: an event wait from inside a callback, known to the dependency checks. */
  callbackWait(cb: CallbackRecord, event: unknown, options: SynchronizeOptions | undefined): Promise<void> {
    let evId = 0;
    return timedWait(
      this.device.clock,
      options,
      (done) => {
        const ev = this.eventOf(event);
        evId = ev.id;
        if (this.#deviceClosed !== undefined) throw this.#deviceClosed;
        const value = ev.recordCount;
        if (value === ev.resetBase) {
          if (this.behaviours.unrecordedEvent === "error") {
            throw new NpuError(
              "INVALID_PARAM",
              `event ${ev.id} has not been recorded; record it before waiting on it`,
              {
                details: { event: ev.id },
              },
            );
          }
          done(undefined);
          return undefined;
        }
        if (this.#latestDone(ev)) {
          done(undefined);
          return undefined;
        }
        const counter = ev.counter!;
        if (ev.pendingRecords === 0 && ev.discarded !== undefined && ev.discarded.value >= value) {
          throw new NpuError("STREAM_ABORT", `event ${ev.id}: its latest record was discarded`, {
            details: { event: ev.id },
          });
        }
        const cycle = findCallbackCycle(this, cb, counter, value);
        if (cycle !== undefined) {
          const ids = cycle.map((r) => r.id);
          throw new NpuError(
            "CYCLE_DEPENDENCY",
            `host callback ${cb.id} on stream ${cb.streamId} would wait for event ${ev.id}, whose record waits for the callback itself: streams ${ids.join(" → ")} → ${ids[0]}`,
            { details: { streams: ids, event: ev.id, callback: cb.id } },
          );
        }
        const wait = { event: ev, counter, value };
        if (cb.waits === undefined) cb.waits = [];
        cb.waits.push(wait);
        const waiter: EventWaiter = {
          target: value,
          counter,
          done: (error: NpuError | undefined) => {
            removeFrom(cb.waits, wait);
            done(error);
          },
        };
        if (ev.waiters === undefined) ev.waiters = [];
        ev.waiters.push(waiter);
        return () => removeFrom(cb.waits, wait) && removeFrom(ev.waiters, waiter);
      },
      (timeoutMs) =>
        new NpuError(
          "EVENT_SYNC_TIMEOUT",
          `host callback ${cb.id}: event ${evId} did not complete within ${timeoutMs} ms`,
          {
            details: { callback: cb.id, timeoutMs },
          },
        ),
    );
  }

  /** Resolves event waiters the event reached; with `error`, rejects those it can no longer reach. */
  #settleEvent(ev: EventRecord, error: NpuError | undefined, all = false): boolean {
    const list = ev.waiters;
    if (list === undefined || list.length === 0) return false;
    const keep: typeof list = [];
    let woke = false;
    for (const w of list) {
      if (w.counter.completed >= w.target) {
        w.done(undefined);
        woke = true;
      } else if (error !== undefined && (all || w.counter.pendingRecords === 0)) {
        w.done(error);
        woke = true;
      } else keep.push(w);
    }
    ev.waiters = keep;
    return woke;
  }

  elapsedTime(start: EventRecord, end: EventRecord): number {
    for (const ev of [start, end]) {
      if (!ev.timing || !this.device.capabilities.timing) {
        throw new NpuError(
          "EVENT_TIMESTAMP_INVALID",
          `event ${ev.id} carries no timestamp: ${ev.timing ? "the backend does not time ops" : "it was created with timing: false"}`,
          { details: { event: ev.id } },
        );
      }
    }
    for (const ev of [start, end]) {
      if (ev.recordCount === ev.resetBase) {
        throw new NpuError("EVENT_NOT_RECORDED", `event ${ev.id} has not been recorded`, {
          details: { event: ev.id },
        });
      }
    }
    for (const ev of [start, end]) {
      if (!this.#latestDone(ev) || ev.timestampNs === undefined) {
        throw new NpuError(
          "EVENT_NOT_COMPLETE",
          `event ${ev.id}: its latest record has not completed; synchronize first`,
          { details: { event: ev.id } },
        );
      }
    }
    return (end.timestampNs! - start.timestampNs!) / 1e6;
  }

  eventReset(ev: EventRecord): void {
    assertNotInCallback("StreamEvent.reset");
    ev.resetBase = ev.recordCount;
    ev.timestampNs = undefined;
    ev.lastStream = undefined;
    ev.lastStreamId = 0;
  }

  destroyEvent(handle: unknown): void {
    assertNotInCallback("StreamEvent.destroy");
    const ev = this.events.remove(handle, "event");
    ev.handle = undefined;
    ev.destroyed = true;
    this.#emitEvent("event.destroyed", ev, undefined, undefined);
    this.#maybeFreeEvent(ev);
  }

  #maybeFreeEvent(ev: EventRecord): void {
    if (!ev.destroyed || ev.freed || ev.pendingOps > 0) return;
    ev.freed = true;
    this.#stats.events.released++;
    if (ev.counter !== undefined) this.#destroyCounter(ev.counter);
    ev.counter = undefined;
  }

  #emitCallback(
    type: "callback.enqueued" | "callback.started" | "callback.finished",
    cb: CallbackRecord,
    status: OpStatus | undefined,
  ): void {
    const bus = this.device.instrumentation;
    if (!bus.active) return;
    bus.emit({
      type,
      time: this.device.clock.now(),
      callback: cb.id,
      stream: cb.streamId,
      ...(cb.label === undefined ? {} : { label: cb.label }),
      ...(status === undefined ? {} : { status }),
    });
  }

  #emitEvent(
    type: "event.created" | "event.recorded" | "event.waited" | "event.destroyed",
    ev: EventRecord,
    stream: number | undefined,
    value: number | undefined,
  ): void {
    const bus = this.device.instrumentation;
    if (!bus.active) return;
    bus.emit({
      type,
      time: this.device.clock.now(),
      event: ev.id,
      ...(stream === undefined ? {} : { stream }),
      ...(value === undefined ? {} : { value }),
    });
  }

  // ---- memory -------------------------------------------------------------------------------

  allocate(bytes: number, options: { device?: number; tag?: string } | undefined): DeviceBuffer {
    assertNotInCallback("StreamManager.allocate");
    this.#assertOpen();
    this.#stats.allocations.created++;
    const buffer = this.device.allocate(bytes, options);
    this.#buffers.add(buffer);
    this.#stats.allocations.succeeded++;
    return buffer;
  }

  release(buffer: DeviceBuffer): void {
    assertNotInCallback("StreamManager.release");
    if (!this.#buffers.has(buffer)) {
      throw new NpuError(
        "INVALID_HANDLE",
        `${String(buffer)} was not allocated through this manager or is released`,
      );
    }
    this.device.release(buffer);
    this.#buffers.delete(buffer);
    this.#stats.allocations.released++;
  }

  // ---- reports ------------------------------------------------------------------------------

  stats(): StreamPoolStats {
    let queues = this.#pool.size;
    for (const [, rec] of this.streams.entries()) if (rec.queue !== undefined) queues++;
    for (const rec of this.draining) if (rec.queue !== undefined) queues++;
    return {
      created: this.#created,
      active: this.streams.size,
      pooled: this.#pool.size,
      peak: this.#peak,
      reused: this.#pool.reused,
      draining: this.draining.size,
      queues,
    };
  }

  resourceStats(): ResourceStats {
    const s = this.#stats;
    return {
      streams: s.streams.snapshot(),
      events: s.events.snapshot(),
      callbacks: s.callbacks.snapshot(),
      allocations: s.allocations.snapshot(),
    };
  }

  findDeadlocks(): DeadlockReport[] {
    return findDeadlocks(this);
  }

  /** Whether host callbacks run one at a time in submission order (the default executor, concurrency 1). */
  get serialExecutor(): boolean {
    return this.executor instanceof FifoHostExecutor && this.executor.concurrency === 1;
  }

  counterValue(counter: CounterHandle | undefined): number {
    return counter === undefined ? 0 : this.#counterValue(counter);
  }

  close(): LeakReport {
    if (this.#closed) throw new NpuError("DEVICE_CLOSED", "the stream manager is already closed");
    assertNotInCallback("StreamManager.close");
    const streams = [...this.streams.entries()].map(([, r]) => r.id);
    const events = [...this.events.entries()].map(([, e]) => e.id);
    const allocations = [...this.#buffers].map(String);
    const report: LeakReport = { streams, events, allocations, stats: this.resourceStats() };
    const live = [...this.streams.entries()].map(([h]) => h);
    for (const h of live) this.destroyStream(h, { force: true }).catch(NOOP);
    for (const [h] of [...this.events.entries()]) this.destroyEvent(h);
    this.#closed = true;
    this.#pool.clear();
    this.#offClose();
    return report;
  }
}

function without<T>(list: T[] | undefined, item: T): T[] | undefined {
  if (list === undefined) return undefined;
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  return list.length === 0 ? undefined : list;
}
