import {
  type CounterHandle,
  type Device,
  type HostExecutor,
  NpuError,
  type OpCompletion,
  type OpSpec,
  type QueueHandle,
} from "@npurt/core";
import { errorMessage, HandleTable, RingQueue } from "@npurt/core/internal";
import type { ExceptionInfo } from "../exception-info.js";
import { FifoHostExecutor } from "../fifo-host-executor.js";
import type { OpHandleKind } from "../op-handle.js";
import type { ProfileBehaviours } from "../profile.js";
import type { ResourceCounts } from "../reports.js";
import type { Stream } from "../stream.js";
import type { StreamEvent } from "../stream-event.js";
import { assertNotInCallback } from "./callback-scope.js";
import { hostless } from "./hostless-streams.js";
import { DeviceOpHandle, OpLog } from "./op-log.js";
import type {
  CallbackRecord,
  EventCounter,
  EventRecord,
  RecordOp,
  SpecialOp,
  StreamRecord,
} from "./records.js";
import { StreamPool } from "./stream-pool.js";
import { updateStreamState } from "./stream-status.js";

/** Created, succeeded and released counts of one resource type (CANN logs them at finalize). */
export class ResourceCounter {
  created = 0;
  succeeded = 0;
  released = 0;
  releasedOk = 0;
  snapshot(): ResourceCounts {
    return {
      created: this.created,
      succeeded: this.succeeded,
      released: this.released,
      releaseSucceeded: this.releasedOk,
    };
  }
}

/**
 * What the runtime core calls in the concept modules. The composition root (`Engine`) fills it
 * in, so the core imports none of them and they import only the core.
 */
export interface RuntimeHooks {
  /** A record, wait or callback marker op completed (its stream's `completed` already counts it). */
  onSpecialDone(rec: StreamRecord, op: SpecialOp, c: OpCompletion): boolean;
  /** Resolves the drain waiters the stream has reached. */
  settleDrains(rec: StreamRecord): boolean;
  /** Releases a destroyed stream once its work is done; returns whether it did. */
  releaseIfDrained(rec: StreamRecord): boolean;
  /** Discards the stream's work (abort, force destroy, device stop). */
  abortStream(rec: StreamRecord, why: string, error?: NpuError): void;
  /** Rejects every host-side wait on the events of a stopped device. */
  failEvents(device: number, error: NpuError): void;
  /** Before an op on `rec`: the legacy default stream's implicit synchronization. */
  implicitSync(rec: StreamRecord, legacy: StreamRecord, queue: QueueHandle): void;
}

/**
 * The small core of the stream runtime: the tables (streams, events, the pool, per-device load
 * and stop state), the path every op takes onto a hardware queue, the routing of completions,
 * and the device-stop policy (what a failure does to the streams of its device). The concepts
 * built on it (stream lifecycle, drain waits, the event timeline, host callbacks) live in files
 * of their own and reach each other only through {@link RuntimeHooks}.
 */
export class Runtime {
  readonly device: Device;
  readonly behaviours: ProfileBehaviours;
  readonly executor: HostExecutor;
  readonly streams: HandleTable<Stream, StreamRecord>;
  readonly events: HandleTable<StreamEvent, EventRecord>;
  /** Destroyed streams still finishing their work. */
  readonly draining = new Set<StreamRecord>();
  /** Host callbacks started and not finished. */
  readonly runningCallbacks = new Set<CallbackRecord>();
  /** Host callbacks handed to the executor and not started: an abort still discards them. */
  readonly queuedCallbacks = new Set<CallbackRecord>();
  readonly pool: StreamPool;
  /** Per device: ops enqueued and not completed, for least-loaded choice. */
  readonly load: number[];
  readonly stats = {
    streams: new ResourceCounter(),
    events: new ResourceCounter(),
    eventRecords: new ResourceCounter(),
    callbacks: new ResourceCounter(),
    allocations: new ResourceCounter(),
  };
  hooks!: RuntimeHooks;
  /**
   * The last coded error of any call or failed task (CUDA's and CANN's last-error variable;
   * per manager here, since JavaScript has one host thread).
   */
  lastError: NpuError | undefined = undefined;
  /** `onException` listeners (CANN `aclrtExceptionInfoCallbackRegister`). */
  readonly exceptionListeners = new Set<(info: ExceptionInfo) => void>();
  /** Per device: the legacy default stream, once made (profile behaviour `defaultStream: 'legacy'`). */
  readonly legacy: (StreamRecord | undefined)[];
  /** The op execution timeout for kernels (`setOpExecuteTimeout`), in ns. */
  opTimeoutNs: number | undefined = undefined;
  /** Set once the manager is closed. */
  closed = false;
  /** Set once the device closed under the manager: no completion will ever come again. */
  deviceClosed: NpuError | undefined;
  /** Per device: the stored error once the device stopped (stop-on-failure or a sticky error). */
  readonly #stopped: (NpuError | undefined)[];
  /** Per device: whether a stop-on-failure stream was created on it. */
  readonly #stopMode: boolean[];

  constructor(
    device: Device,
    behaviours: ProfileBehaviours,
    executor: HostExecutor,
    poolBound: number,
    free: (rec: StreamRecord) => void,
  ) {
    this.device = device;
    this.behaviours = behaviours;
    this.executor = executor;
    const owner = {};
    this.streams = new HandleTable(owner, "stream");
    this.events = new HandleTable(owner, "event");
    const n = device.deviceCount;
    this.pool = new StreamPool(n, poolBound, free);
    this.load = new Array<number>(n).fill(0);
    this.legacy = new Array<StreamRecord | undefined>(n).fill(undefined);
    this.#stopped = new Array<NpuError | undefined>(n).fill(undefined);
    this.#stopMode = new Array<boolean>(n).fill(false);
  }

  /** Whether host callbacks run one at a time in submission order (the default executor, concurrency 1). */
  get serialExecutor(): boolean {
    return this.executor instanceof FifoHostExecutor && this.executor.concurrency === 1;
  }

  /** Every stream with a record: live ones, then destroyed ones still draining. */
  *allStreams(): IterableIterator<StreamRecord> {
    for (const [, rec] of this.streams.entries()) yield rec;
    yield* this.draining;
  }

  /** The streams of `device` (live and draining), as a list that later changes do not affect. */
  streamsOn(device: number | undefined): StreamRecord[] {
    const out: StreamRecord[] = [];
    for (const rec of this.allStreams()) if (device === undefined || rec.device === device) out.push(rec);
    return out;
  }

  /** Remembers `error` as the last error when it is a coded runtime error. */
  noteError(error: unknown): void {
    if (NpuError.isInstance(error)) this.lastError = error as NpuError;
  }

  /** The stored error of `device` once it stopped, else `undefined`. */
  stoppedError(device: number): NpuError | undefined {
    return this.#stopped[device];
  }

  /** Remembers that a stop-on-failure stream lives on `device`: any failure there stops it. */
  markStopMode(device: number): void {
    this.#stopMode[device] = true;
  }

  assertOpen(): void {
    if (this.deviceClosed !== undefined) throw this.deviceClosed;
    if (this.closed) throw new NpuError("DEVICE_CLOSED", "the stream manager is closed");
  }

  /** The counter's value, or 0 once the device has gone. */
  counterValue(counter: CounterHandle | undefined): number {
    if (counter === undefined) return 0;
    try {
      return this.device.counterValue(counter);
    } catch {
      return 0;
    }
  }

  // ---- the path of an op onto a hardware queue ------------------------------------------------

  /** Checks that `rec` may take new work; returns its queue. */
  queueForWork(rec: StreamRecord, api: string): QueueHandle {
    assertNotInCallback(api);
    this.assertOpen();
    if (rec.extras?.mode !== undefined) throw hostless(rec, api);
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
    const queue = rec.queue ?? this.acquireQueue(rec);
    const legacy = this.legacy[rec.device];
    if (legacy !== undefined) this.hooks.implicitSync(rec, legacy, queue);
    return queue;
  }

  /** Gives `rec` a hardware queue of its device and priority, its completions routed here. */
  acquireQueue(rec: StreamRecord): QueueHandle {
    const queue = this.device.createQueue({
      device: rec.device,
      priority: rec.backendPriority,
      onComplete: (c) => this.onComplete(rec, c),
    });
    rec.queue = queue;
    return queue;
  }

  /** Enqueues `spec` on the stream's queue; returns the op's position in the stream. */
  enqueue(rec: StreamRecord, queue: QueueHandle, spec: OpSpec): number {
    this.device.enqueue(queue, spec);
    this.load[rec.device]!++;
    let log = rec.log;
    if (log === undefined) {
      log = new OpLog();
      rec.log = log;
    }
    const seq = rec.enqueued++;
    log.slot(seq);
    return seq;
  }

  /** The handle of the op just enqueued at `seq` on `rec`. */
  opHandle(rec: StreamRecord, seq: number, kind: OpHandleKind): DeviceOpHandle {
    return new DeviceOpHandle(kind, rec.id, rec.log!.slot(seq), seq);
  }

  /** Remembers an op the runtime acts on when it completes. */
  addSpecial(rec: StreamRecord, op: SpecialOp): void {
    if (rec.specials === undefined) rec.specials = new RingQueue();
    rec.specials.push(op);
    if (op.kind === "record") {
      if (op.counter.producers === undefined) op.counter.producers = new RingQueue();
      op.counter.producers.push({ stream: rec, op });
    }
  }

  // ---- completion routing -------------------------------------------------------------------

  /** One op of `rec` completed (in stream order); returns whether a host-side wait woke. */
  onComplete(rec: StreamRecord, c: OpCompletion): boolean {
    const index = rec.completed++;
    this.load[rec.device]!--;
    let woke = false;
    const specials = rec.specials;
    if (specials !== undefined && specials.size > 0 && specials.peek()!.seq === index) {
      const op = specials.shift()!;
      if (op.kind === "record") dropProducer(op.counter, op);
      woke = this.hooks.onSpecialDone(rec, op, c);
    }
    if (c.status === "error") {
      const f = c.failure;
      const error = new NpuError(
        f?.code ?? "INTERNAL_ERROR",
        `stream ${rec.id}: op ${c.opId} failed: ${f?.message ?? "no reason given"}`,
        { details: { stream: rec.id, opId: c.opId } },
      );
      rec.log?.complete(index, 2, c.startNs, c.endNs, error, undefined);
      this.fail(rec, error);
    } else if (c.status === "ok") {
      rec.log?.complete(index, 1, c.startNs, c.endNs, undefined, undefined);
    } else {
      rec.log?.complete(index, 3, c.startNs, c.endNs, undefined, {
        failure: c.failure,
        stream: rec.id,
        opId: c.opId,
      });
    }
    if (rec.waiters !== undefined && this.hooks.settleDrains(rec)) woke = true;
    updateStreamState(this, rec);
    if (rec.state === "DESTROYED" && this.hooks.releaseIfDrained(rec)) woke = true;
    return woke;
  }

  // ---- the device-stop policy ---------------------------------------------------------------

  /**
   * A failure on `rec`: with sticky errors (CUDA), a stop-on-failure stream on the device, or
   * `rec` itself in stop mode, the device stops; otherwise the error waits for the stream's next
   * synchronize.
   */
  fail(rec: StreamRecord, error: NpuError): void {
    this.lastError = error;
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
    if (this.exceptionListeners.size > 0) this.#reportException(rec, error);
    if (this.behaviours.stickyErrors || this.#stopMode[rec.device] || rec.failureMode === "stop") {
      this.stopDevice(rec.device, error);
    } else {
      rec.pendingError ??= error;
    }
  }

  /**
   * Tells the exception listeners of a failed task, each in a microtask of its own: never inside
   * the completion that reported it (a listener may call the runtime), and one listener's throw
   * (reported on the bus) does not keep the others from hearing.
   */
  #reportException(rec: StreamRecord, error: NpuError): void {
    const details = (error.details ?? {}) as { opId?: unknown; callback?: unknown };
    const info: ExceptionInfo = {
      stream: rec.id,
      device: rec.device,
      opId: typeof details.opId === "number" ? details.opId : undefined,
      callback: typeof details.callback === "number" ? details.callback : undefined,
      code: error.code,
      message: error.message,
      error,
    };
    for (const listener of this.exceptionListeners) {
      queueMicrotask(() => {
        try {
          listener(info);
        } catch (thrown) {
          const bus = this.device.instrumentation;
          if (bus.active) {
            bus.emit({
              type: "error",
              time: this.device.clock.now(),
              code: "CALLBACK_FAILED",
              message: `exception listener threw: ${errorMessage(thrown)}`,
              source: "streams",
            });
          }
        }
      });
    }
  }

  /** Stops `device` with `error`: its streams' work is discarded and every wait on it fails. */
  stopDevice(device: number, error: NpuError): void {
    if (this.#stopped[device] !== undefined) return;
    this.#stopped[device] = error;
    for (const rec of this.streamsOn(device)) this.hooks.abortStream(rec, "", error);
    this.hooks.failEvents(device, error);
  }

  /** Clears a stopped device (stop-on-failure or sticky error): its streams take work again. */
  resetDevice(device: number): void {
    if (this.#stopped[device] === undefined) return;
    this.#stopped[device] = undefined;
    for (const [, rec] of this.streams.entries()) if (rec.device === device) updateStreamState(this, rec);
  }

  /**
   * The device closed under the manager: no completion will ever come, so every pending wait
   * would hang. The device is stopped with `DEVICE_CLOSED` (pending synchronizes reject with it,
   * streams with work turn ABORTED and refuse more), and the ops that will never complete are
   * completed here as aborted, so callbacks, events and destroyed streams are released as after
   * a real abort.
   */
  onDeviceClosed(): void {
    const error = new NpuError("DEVICE_CLOSED", "the device was closed; its pending work is lost");
    this.deviceClosed = error;
    for (let d = 0; d < this.#stopped.length; d++) {
      this.#stopped[d] = undefined; // a stored failure gives way: nothing runs any more
      this.stopDevice(d, error);
    }
    this.pool.clear();
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
    for (const rec of recs) while (rec.completed < rec.enqueued) this.onComplete(rec, lost);
  }
}

/** Forgets a completed record op in its counter's producer list (usually the oldest entry). */
function dropProducer(counter: EventCounter, op: RecordOp): void {
  const list = counter.producers;
  if (list === undefined) return;
  if (list.peek()!.op === op) list.shift();
  else {
    // Records from two streams on one counter may complete out of issue order.
    const rest = list.drain().filter((p) => p.op !== op);
    for (const p of rest) list.push(p);
  }
  if (list.size === 0) counter.producers = undefined;
}
