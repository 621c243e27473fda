import { type CopySpec, type DeviceBuffer, type FillSpec, Handle, type KernelSpec } from "@npurt/core";
import type { CallbackContext } from "./callback-context.js";
import { reportHostWait } from "./internal/host-wait-events.js";
import type { StreamRecord } from "./internal/records.js";
import type { StreamPort } from "./internal/stream-port.js";
import type { AllocAsyncOptions } from "./memory-pool.js";
import type { OpHandle } from "./op-handle.js";
import type { StreamEvent } from "./stream-event.js";
import type {
  DestroyStreamOptions,
  FailureMode,
  HostCallbackOptions,
  SynchronizeOptions,
  WaitEventOptions,
} from "./stream-options.js";
import type { StreamState } from "./stream-state.js";

/** A kernel launch on a stream: core's {@link KernelSpec}, `kind` optional. */
export type StreamKernelSpec = Omit<KernelSpec, "kind"> & { readonly kind?: "kernel" };
/** A copy on a stream: core's {@link CopySpec}, `kind` optional. */
export type StreamCopySpec = Omit<CopySpec, "kind"> & { readonly kind?: "copy" };
/** A fill on a stream: core's {@link FillSpec}, `kind` optional. */
export type StreamFillSpec = Omit<FillSpec, "kind"> & { readonly kind?: "fill" };

/**
 * A stream: an ordered queue of device work (CANN `aclrtStream`, CUDA `cudaStream_t`). Ops run
 * one after another in submission order; ops of different streams are unordered unless events
 * order them. Every method is asynchronous in the runtime's sense: it returns once the op is
 * queued, with an {@link OpHandle} that tells what became of it; failures of the op also surface
 * at the next {@link Stream.synchronize}.
 *
 * A stream is a handle issued by {@link StreamManager.create}. Once destroyed, every use is
 * `INVALID_HANDLE`, also after the manager's pool has given its queue to a new stream.
 *
 * @example
 * ```ts
 * await using s = manager.create({ priority: 0 });
 * s.launch({ name: "matmul", inputs: [a, b], outputs: [c] });
 * s.record(done);
 * await s.synchronize({ timeoutMs: 100 });
 * ```
 */
export class Stream extends Handle {
  readonly #port: StreamPort;
  readonly #rec: StreamRecord;

  /** @internal Streams are created by {@link StreamManager.create}. */
  constructor(owner: object, slot: number, generation: number, port: StreamPort, rec: StreamRecord) {
    super(owner, slot, generation);
    this.#port = port;
    this.#rec = rec;
  }

  /** Always `"stream"`. */
  get kind(): "stream" {
    return "stream";
  }

  /** The live record, or the coded error (`INVALID_HANDLE` once destroyed, pool reuse or not). */
  #live(): StreamRecord {
    const rec = this.#rec;
    return rec.handle === this ? rec : this.#port.streamOf(this);
  }

  /** The stream's id, unique within its manager (instrumentation and reports use it). */
  get id(): number {
    return this.#live().id;
  }

  /** The device index the stream runs on. */
  get device(): number {
    return this.#live().device;
  }

  /** The priority in the profile's numbers, after clamping. */
  get priority(): number {
    return this.#live().priority;
  }

  /**
   * Sets the failure mode after creation (CANN `aclrtSetStreamFailureMode`): once per stream — a
   * second call, or one on a stream created with a `failureMode`, is `ILLEGAL_STATE`. `'stop'`
   * makes the whole device stop on failure, as at creation. It decides what a failure reported
   * from now on does.
   */
  setFailureMode(mode: FailureMode): void {
    this.#port.setFailureMode(this.#live(), mode);
  }

  /** Whether the stream skips the legacy default stream's implicit sync (CUDA `cudaStreamNonBlocking`). */
  get nonBlocking(): boolean {
    return this.#live().nonBlocking;
  }

  /**
   * The creation flags (CANN `aclrtStreamGetFlags`: the OR of the known creation flags, 0 for
   * none; CUDA `cudaStreamGetFlags`: `CUDA_STREAM_FLAGS.NON_BLOCKING` or 0).
   */
  get flags(): number {
    return this.#live().extras?.flags ?? 0;
  }

  /** Tasks kept on a persistent stream (`CANN_STREAM_FLAGS.PERSISTENT`); 0 on other streams. */
  get persistentTasks(): number {
    return this.#port.persistentTaskCount(this.#live());
  }

  /**
   * Drops the tasks kept on this persistent stream (CANN `aclrtPersistentTaskClean`), so new
   * ones can be issued without destroying it; their handles end `aborted`. `INVALID_PARAM` on
   * a stream that is not persistent.
   */
  cleanPersistentTasks(): void {
    this.#port.cleanPersistentTasks(this.#live());
  }

  /**
   * Runs the tasks kept on this persistent stream, in order, as work of `stream` (what CANN
   * does when a model bound to the persistent stream is executed on another stream), and
   * returns their handles. The kept tasks stay for the next run. `INVALID_PARAM` when this
   * stream is not persistent or `stream` is not an ordinary stream of the same device.
   *
   * @example
   * ```ts
   * const graph = manager.create({ flags: CANN_STREAM_FLAGS.PERSISTENT });
   * graph.launch({ name: "layer1" });
   * graph.launch({ name: "layer2" });   // kept, not run
   * const runs = graph.executeOn(manager.create());
   * await Promise.all(runs.map((op) => op.finished));
   * ```
   */
  executeOn(stream: Stream): OpHandle[] {
    return this.#port.executeOn(this.#live(), stream);
  }

  /** Whether this is its device's default stream ({@link StreamManager.defaultStream}). */
  get isDefault(): boolean {
    return this.#live().defaultKind !== undefined;
  }

  /** What the stream does when an op fails. */
  get failureMode(): FailureMode {
    return this.#live().failureMode;
  }

  /** The current state; `DESTROYED` once destroyed (the only property readable then). */
  get state(): StreamState {
    const rec = this.#rec;
    return rec.handle === this ? rec.state : "DESTROYED";
  }

  /** Queues a kernel launch (its inputs and outputs declared, as core checks them). */
  launch(kernel: StreamKernelSpec): OpHandle {
    const rec = this.#live();
    return this.#port.submit(rec, this.#port.opSpec(kernel, "kernel"), "Stream.launch");
  }

  /** Queues a copy (direction from the operands: host view or device buffer on each side). */
  copy(spec: StreamCopySpec): OpHandle {
    const rec = this.#live();
    return this.#port.submit(rec, this.#port.opSpec(spec, "copy"), "Stream.copy");
  }

  /** Queues a fill of device memory with a byte value. */
  fill(spec: StreamFillSpec): OpHandle {
    const rec = this.#live();
    return this.#port.submit(rec, this.#port.opSpec(spec, "fill"), "Stream.fill");
  }

  /**
   * Stream-ordered allocation (CUDA `cudaMallocAsync`, CANN `aclrtMemPoolMallocAsync`;
   * runtime-semantics §1.4): returns a buffer at once, from `options.pool` or the device's default
   * pool, usable by work queued on this stream from now on. Another stream must be ordered after
   * this point (an event recorded here and waited on, or a synchronize) before it uses the
   * buffer. Free it with {@link Stream.freeAsync}.
   */
  allocAsync(bytes: number, options?: AllocAsyncOptions): DeviceBuffer {
    return this.#port.allocAsync(this.#live(), bytes, options);
  }

  /**
   * Stream-ordered free (CUDA `cudaFreeAsync`, CANN `aclrtMemPoolFreeAsync`): the buffer returns
   * to its pool — not to the device — once the work queued here so far has run. No stream may
   * use it after this point; the pool's attributes decide which later allocations may reuse it.
   */
  freeAsync(buffer: DeviceBuffer): void {
    this.#port.freeAsync(this.#live(), buffer);
  }

  /**
   * Records `event` here: it completes when the work queued so far on this stream has. A later
   * record of the same event replaces this one for later waits and queries, but waits issued
   * before it keep the record they captured. Throws `CYCLE_DEPENDENCY` when the record would
   * satisfy a future wait that (through other streams) waits for this stream's earlier work.
   */
  record(event: StreamEvent): OpHandle {
    return this.#port.record(this.#live(), event);
  }

  /**
   * Makes later work on this stream wait for `event`'s latest record, as captured now (a later
   * re-record does not change this wait). Before the event's first record it follows the
   * event's creation call: CUDA's events and CANN's Ex events stand for no work (the wait
   * passes); CANN's other events refuse the wait (`INVALID_PARAM`, "record it first"). CANN
   * events need `ACL_EVENT_SYNC` to be waited on (`INVALID_PARAM` otherwise). After
   * {@link Stream.resetEvent}, a wait on a CANN event waits for its next record, as CANN's wait
   * task does. With `{ future: true }`, waits for the event's next record instead.
   */
  waitEvent(event: StreamEvent, options?: WaitEventOptions): OpHandle {
    return this.#port.waitEvent(this.#live(), event, options);
  }

  /**
   * Resets `event` as a task in this stream's order (CANN `aclrtResetEvent(event, stream)`), so
   * it can be used again: calls after this one see it as never recorded — a wait issued now waits
   * for its next record, and `query()` says not ready once the task has run. Waits issued
   * before keep the record they captured. Only for events of `api: 'with-flag'` with `SYNC`;
   * others are refused as CANN refuses them (`FEATURE_NOT_SUPPORTED`, or `INVALID_PARAM` for
   * `DEVICE_USE_ONLY`), and the `'cuda'` event model has no reset at all (record again instead).
   *
   * @example
   * ```ts
   * const ready = manager.createEvent({ api: "with-flag", flags: CANN_EVENT_FLAGS.SYNC });
   * producer.record(ready);
   * consumer.waitEvent(ready);
   * consumer.resetEvent(ready); // after the wait, in the waiting stream (CANN's advice)
   * ```
   */
  resetEvent(event: StreamEvent): OpHandle {
    return this.#port.resetEvent(this.#live(), event);
  }

  /**
   * Queues a host callback: `fn` runs on the manager's `HostExecutor` when the stream
   * reaches this point. A blocking callback (the default) holds later work on the stream until
   * it returns (or its promise settles); a non-blocking one does not. Inside the callback,
   * runtime calls that synchronize or launch work are refused with `NOT_PERMITTED_IN_CALLBACK`
   * (for an async callback: up to its first `await`). If `fn` throws or rejects, the error
   * (`CALLBACK_FAILED`) follows the stream's failure mode and reaches its next synchronize.
   * `fn` gets a {@link CallbackContext}, whose `waitFor` is the one tracked way for a callback to
   * wait for device work.
   */
  launchHostCallback(fn: (ctx: CallbackContext) => unknown, options?: HostCallbackOptions): OpHandle {
    return this.#port.launchCallback(this.#live(), fn, options);
  }

  /**
   * `'complete'` when everything submitted (host callbacks included) has finished, else
   * `'not-ready'` (CANN `aclrtStreamQuery`). Throws the stored error of a stopped device.
   */
  query(): "complete" | "not-ready" {
    return this.#port.query(this.#live());
  }

  /**
   * Resolves when everything submitted so far has finished. Rejects with the first failure since
   * the last synchronize (continue-on-failure), the stored error (a stopped device),
   * `STREAM_ABORT` when {@link Stream.abort} discards the work, or `STREAM_SYNC_TIMEOUT` after
   * `timeoutMs` of the device clock.
   */
  synchronize(options?: SynchronizeOptions): Promise<void> {
    try {
      const port = this.#port;
      const rec = this.#live();
      const device = port.device;
      return device.instrumentation.active
        ? reportHostWait(device, "stream", rec.id, () => port.synchronizeStream(rec, options))
        : port.synchronizeStream(rec, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Discards the queued work (CANN `aclrtStreamAbort`): the ops complete as aborted, callbacks not
   * started never run, and pending synchronizes reject with `STREAM_ABORT`. The stream is
   * `ABORTED` (refusing work) until the discarded ops are reported, then usable again. Streams
   * waiting on events this stream would have recorded stay blocked: see
   * {@link StreamManager.findDeadlocks}.
   */
  abort(): void {
    this.#port.abort(this.#live());
  }

  /**
   * Destroys the stream; the handle is invalid from this call on. With pending work, the
   * `'cann'` profile's promise resolves once it has drained, the `'cuda'` profile's at once (the
   * work still finishes). `{ force: true }` discards the pending work instead. Destroying twice
   * is `INVALID_HANDLE`.
   */
  destroy(options?: DestroyStreamOptions): Promise<void> {
    return this.#port.destroyStream(this, options);
  }

  /** Destroys the stream unless already destroyed (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#rec.handle === this) await this.destroy();
  }
}
