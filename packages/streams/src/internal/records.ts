import type { CounterHandle, Handle, NpuError, OpSpec, QueueHandle } from "@npurt/core";
import type { RingQueue } from "@npurt/core/internal";
import type { FailureMode, SynchronizeOptions } from "../stream-options.js";
import type { StreamState } from "../stream-state.js";
import type { DrainWaiterQueue } from "./drain-waiter-queue.js";
import type { EventTraits } from "./event-traits.js";
import type { DeviceOpHandle, OpLog } from "./op-log.js";
import type { OpRecord } from "./op-record.js";

/** Someone waiting for a stream to drain: a stream or device synchronize, a destroy. */
export interface DrainWaiter {
  /** The stream's op count to reach. */
  readonly target: number;
  /** Called once, with the error to report or `undefined`. */
  readonly done: (error: NpuError | undefined) => void;
  /**
   * Where the waiter is in its stream's {@link DrainWaiterQueue}: 0 not queued (yet), 1 waiting,
   * 2 withdrawn (timed out), 3 taken. Kept on the waiter so the queue needs no set beside it.
   */
  phase: 0 | 1 | 2 | 3;
  /** The queue it was pushed to: a pooled record gets a new queue, and must not take old waiters. */
  owner: DrainWaiterQueue | undefined;
}

/** A wait for the next record of an event, issued before that record exists. */
export interface FutureWait {
  readonly stream: StreamRecord;
  /** Stream id when the wait was issued (the record may be reused later). */
  readonly streamId: number;
  /** Position of the wait op in its stream. */
  readonly seq: number;
  readonly event: EventRecord;
  readonly value: number;
  /** The stream whose record satisfies the wait, once recorded. */
  producer: StreamRecord | undefined;
  producerId: number;
  /** Position of that record in the producer stream. */
  producerSeq: number;
  done: boolean;
}

/**
 * One timeline counter of an event. The records on it come from one stream at a time (a record
 * on another stream while one is pending starts a fresh counter), so its value rises in record
 * order and a wait for record `v` is released by that record's own work, never by a later record
 * that a faster stream completed first.
 */
export interface EventCounter {
  readonly handle: CounterHandle;
  /** The highest record value completed on this counter. */
  completed: number;
  /** Records on this counter not completed yet. */
  pendingRecords: number;
  /** Signal and wait ops on this counter not completed yet: it lives until they are. */
  pendingOps: number;
  /** No longer the event's current counter: destroyed once its ops completed. */
  retired: boolean;
  /**
   * The record ops on this counter not completed yet, with their streams, in issue order (kept
   * by the runtime as record ops are queued and complete): who can raise the counter, found
   * without scanning every stream.
   */
  producers?: RingQueue<PendingRecord> | undefined;
}

/** A record op not completed yet, and the stream it sits in. */
export interface PendingRecord {
  readonly stream: StreamRecord;
  readonly op: RecordOp;
}

/** A host-side wait for record `target` of an event (event synchronize, a callback's wait). */
export interface EventWaiter {
  readonly target: number;
  /** The counter holding that record. */
  readonly counter: EventCounter;
  readonly done: (error: NpuError | undefined) => void;
}

/**
 * The argument the runtime hands a host callback: the public `CallbackContext`, with the event
 * taken as any handle (the runtime checks it), so the records need not import the handle types.
 */
export interface RuntimeCallbackContext {
  readonly stream: number;
  readonly callback: number;
  readonly error: NpuError | undefined;
  waitFor(event: unknown, options?: SynchronizeOptions): Promise<void>;
}

/** A host callback launched on a stream. */
export interface CallbackRecord {
  readonly id: number;
  readonly fn: (ctx: RuntimeCallbackContext) => unknown;
  readonly blocking: boolean;
  /** Launched with `receivesStatus`: runs exactly once, after a device error with that error. */
  readonly receivesStatus: boolean;
  /** The error handed to a status-receiving callback, decided when its marker completed. */
  status: NpuError | undefined;
  readonly label: string | undefined;
  readonly stream: StreamRecord;
  readonly streamId: number;
  /** Position of the callback's marker op in its stream. */
  readonly seq: number;
  releaseValue: number;
  phase: "launched" | "queued" | "running" | "done";
  /** The handle `launchHostCallback` returned. */
  readonly op: OpRecord;
  /** Host clock time its function started. */
  startNs: number;
  /**
   * With a serial executor (one callback at a time, in order): the runtime's running callbacks,
   * which this one cannot start before. `undefined` when callbacks run concurrently.
   */
  readonly serialAhead: ReadonlySet<CallbackRecord> | undefined;
  /** Event records the callback waits for through its context, while it does. */
  waits:
    | { readonly event: EventRecord; readonly counter: EventCounter; readonly value: number }[]
    | undefined;
}

/**
 * An op of a stream the runtime must act on when it completes (ordinary ops have none), by kind:
 * a `record` signals an event's counter, a `wait` waits on one, a `callback` marker tells the
 * host that the stream reached a host callback, and a `release` wait holds the stream until a
 * blocking callback finished.
 */
export type SpecialOp = RecordOp | WaitOp | CallbackMarkerOp | CallbackReleaseOp | BarrierOp | ResetOp;

/** An event reset (CANN `aclrtResetEvent`): a task in stream order that returns the event to its initial state. */
export interface ResetOp {
  readonly kind: "reset";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly event: EventRecord;
  readonly counter: EventCounter;
}

/** An event record: signals `value` on `counter`. */
export interface RecordOp {
  readonly kind: "record";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly event: EventRecord;
  readonly counter: EventCounter;
  readonly value: number;
}

/** An event wait: holds the stream until `counter` reaches `value`. */
export interface WaitOp {
  readonly kind: "wait";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly event: EventRecord;
  readonly counter: EventCounter;
  readonly value: number;
  /** Set when the wait is for a record not issued yet. */
  readonly future: FutureWait | undefined;
}

/** The marker whose completion starts a host callback. */
export interface CallbackMarkerOp {
  readonly kind: "callback";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly callback: CallbackRecord;
}

/**
 * A wait the runtime adds for the legacy default stream's implicit synchronization: holds the
 * stream until another stream's sync counter reaches `value`.
 */
export interface BarrierOp {
  readonly kind: "barrier";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly counter: CounterHandle;
  readonly value: number;
  /** The event a timed wait waits for (its wait status counts the op); none for implicit sync. */
  readonly event?: EventRecord;
  /** For implicit sync: the stream whose signal at `producerSeq` raises the counter to `value`. */
  readonly producer?: StreamRecord;
  readonly producerSeq?: number;
}

/** The wait that holds a stream until its blocking host callback finished. */
export interface CallbackReleaseOp {
  readonly kind: "release";
  /** Position of the op in its stream. */
  readonly seq: number;
  readonly callback: CallbackRecord;
  readonly value: number;
}

/**
 * Everything the runtime knows about one stream. Pooled with its hardware queue when the stream
 * is destroyed, so a new stream can reuse it; kept small, since a million idle streams must fit.
 */
export class StreamRecord {
  /** The live handle (a `Stream`), unset once destroyed. */
  handle: Handle | undefined = undefined;
  id = 0;
  readonly device: number;
  readonly backendPriority: number;
  priority = 0;
  failureMode: FailureMode = "continue";
  /** Default-stream and implicit-sync facts, made only for the streams that have any. */
  extras: StreamExtras | undefined = undefined;
  state: StreamState = "CREATING";
  queue: QueueHandle | undefined = undefined;
  /** Ops enqueued and completed, over the record's whole life (seqs are positions in this count). */
  enqueued = 0;
  completed = 0;
  /** Ops up to this count were discarded by an abort; the stream is ABORTED until they report. */
  abortTarget = 0;
  specials: RingQueue<SpecialOp> | undefined = undefined;
  /** The outcomes of the stream's ops, for their handles (made on the first op). */
  log: OpLog | undefined = undefined;
  waiters: DrainWaiterQueue | undefined = undefined;
  /** The first failure since the last synchronize (continue-on-failure). */
  pendingError: NpuError | undefined = undefined;
  callbackCounter: CounterHandle | undefined = undefined;
  callbacksPending = 0;
  /** Callbacks in launch order, finished ones dropped lazily from the head. */
  callbacks: RingQueue<CallbackRecord> | undefined = undefined;
  futureWaits: FutureWait[] | undefined = undefined;

  constructor(device: number, backendPriority: number) {
    this.device = device;
    this.backendPriority = backendPriority;
  }

  /** Whether the stream skips the legacy default stream's implicit sync. */
  get nonBlocking(): boolean {
    return this.extras?.nonBlocking === true;
  }

  /** Which default stream this is, if it is one. */
  get defaultKind(): StreamExtras["defaultKind"] {
    return this.extras?.defaultKind;
  }

  /** The extras, made now if needed. */
  withExtras(): StreamExtras {
    let x = this.extras;
    if (x === undefined) {
      x = {
        defaultKind: undefined,
        nonBlocking: false,
        syncCounter: undefined,
        syncValue: 0,
        syncSeq: -1,
        coveredByLegacy: 0,
        legacyCovered: 0,
        callbackSeq: 0,
        onReleased: undefined,
        failureModeSet: false,
        flags: 0,
        mode: undefined,
        persistent: undefined,
      };
      this.extras = x;
    }
    return x;
  }
}

/** A kernel, copy or fill kept on a persistent stream, with the handle its issue returned. */
export interface PersistentTask {
  readonly spec: OpSpec;
  readonly handle: OpRecord;
}

/**
 * What only some streams need, kept out of {@link StreamRecord} so that a million idle streams
 * stay small: whether it is a default stream or non-blocking, its implicit-sync state, the
 * blocking-callback sequence, and the promise of a destroy waiting for the stream to drain.
 */
export interface StreamExtras {
  /** Which default stream this is, if it is one. */
  defaultKind: "per-context" | "legacy" | "per-thread" | undefined;
  /** Created with `nonBlocking: true`: skips the legacy default stream's implicit synchronization. */
  nonBlocking: boolean;
  /** Counter other streams wait on for this stream's work so far (legacy implicit sync). */
  syncCounter: CounterHandle | undefined;
  /** The value last signalled on `syncCounter`, and the stream position of that signal. */
  syncValue: number;
  syncSeq: number;
  /** How far (in this stream's `enqueued`) the legacy stream already waited for this stream. */
  coveredByLegacy: number;
  /** How far (in the legacy stream's `enqueued`) this stream already waited for it. */
  legacyCovered: number;
  /** The release value of the last blocking host callback (its counter's next target). */
  callbackSeq: number;
  /** Set while destroyed and draining: called once it is released. */
  onReleased: (() => void) | undefined;
  /** Whether the failure mode was set (at creation or once after), which CANN allows once. */
  failureModeSet: boolean;
  /** The creation flags, as `Stream.flags` reports them. */
  flags: number;
  /**
   * A stream the host issues no ordinary work to (CANN `PERSISTENT`, `DEVICE_USE_ONLY`,
   * `CPU_SCHEDULE`): its query and synchronize return at once.
   */
  mode: "persistent" | "device-only" | "cpu-schedule" | undefined;
  /** The tasks kept on a persistent stream, in issue order. */
  persistent: PersistentTask[] | undefined;
}

/** Everything the runtime knows about one event. */
export class EventRecord {
  /** The live handle (a `StreamEvent`), unset once destroyed. */
  handle: Handle | undefined = undefined;
  readonly id: number;
  readonly device: number;
  /** What the creation call and its flags allow. */
  readonly traits: EventTraits;
  /** Whether it holds one of the device's limited event resources now (see {@link EventTraits.limited}). */
  holdsResource = false;
  /** Resets issued on a stream whose task has not run yet: until it has, a query still sees the record before. */
  resetsInFlight = 0;
  /** The counter the next record signals, made when a future wait for it is issued. */
  nextCounter: EventCounter | undefined = undefined;
  /** The counter new records and waits use (see {@link EventCounter}). */
  counter: EventCounter | undefined = undefined;
  /** The value of the latest record (records signal 1, 2, 3, ... on the counter). */
  recordCount = 0;
  /** `recordCount` at creation or the last reset: records up to it are forgotten. */
  resetBase = 0;
  /** Device time the latest record completed, when it has. */
  timestampNs: number | undefined = undefined;
  /** The handle of the latest record. */
  lastRecordOp: DeviceOpHandle | undefined = undefined;
  /** The stream of the latest record. */
  lastStream: StreamRecord | undefined = undefined;
  lastStreamId = 0;
  pendingRecords = 0;
  /** Waits issued on the event not completed yet (`aclrtQueryEventWaitStatus`). */
  pendingWaits = 0;
  /** Signal and wait ops on the event's counters not completed yet: the event lives until they are. */
  pendingOps = 0;
  destroyed = false;
  freed = false;
  waiters: EventWaiter[] | undefined = undefined;
  futureWaiters: FutureWait[] | undefined = undefined;
  /** The latest record that was discarded (by an abort or a force destroy), for deadlock reports. */
  discarded: { value: number; streamId: number; destroyed: boolean } | undefined = undefined;

  constructor(id: number, device: number, traits: EventTraits) {
    this.id = id;
    this.device = device;
    this.traits = traits;
  }

  /** Whether records carry timestamps. */
  get timing(): boolean {
    return this.traits.timing;
  }
}
