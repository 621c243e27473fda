import type { DeviceOp, OpFailure } from "@npurt/core";
import type { DeviceState, Resource } from "./device-state.js";

/** Queue states. Plain numbers: the engine compares them on every event. */
export const IDLE = 0;
/** The head op waits for its host enqueue time (an event at `at`). */
export const PENDING = 1;
/** The head op sits in a resource's ready queues. */
export const READY = 2;
/** The head op runs; its completion is an event at `at`. */
export const RUNNING = 3;
/** The head op is a wait on a counter that has not reached its value. */
export const BLOCKED = 4;
/** The head op is a hung kernel: it holds its cores and has no completion event. */
export const HUNG = 5;
/** A queue whose head the engine is examining; enqueue must not schedule it meanwhile. */
export const ADVANCING = 6;
/**
 * The head op is a copy spending its fixed latency on its engine (event at `at`); it then joins
 * its direction's shared link (see `CopyLink`) and becomes RUNNING.
 */
export const LATENCY = 7;

/** Tells event-heap items apart without `instanceof`. */
export const QUEUE_EVENT = 0;

/**
 * A hardware queue: its ops in a ring (the op, plus its id and the host time it was enqueued at
 * in a typed array), so a pending op costs three slots and no wrapper object. Only the queue (not
 * each op) enters the event heap and the ready queues.
 */
export class SimQueue {
  readonly eventKind = QUEUE_EVENT;
  readonly id: number;
  readonly device: DeviceState;
  readonly priority: number;
  state = IDLE;
  /** Time of this queue's live event (PENDING: ready time, RUNNING: end time). */
  at = 0;
  /** Ops with an ordinal below this are aborted when they reach the head. */
  abortBefore = 0;
  /** Ordinal of the head op (ops completed so far). */
  completed = 0;
  /** The counter a BLOCKED head waits on. */
  blockedOn = 0;
  runStart = 0;
  /** The resource the head waits for (READY) or holds (RUNNING, HUNG). */
  resource: Resource | undefined = undefined;
  runFailure: OpFailure | undefined = undefined;
  /**
   * The head op and what the engine needs of it, read once by {@link SimQueue.loadHead} when it
   * becomes the head: with a thousand queues the op and its ring slot are out of cache by the
   * time the queue is dispatched and completed, so touching them once is what keeps the engine
   * fast.
   */
  op: DeviceOp | undefined = undefined;
  opId = 0;
  readyAt = 0;
  /** Units the head needs of its resource (blockDim for kernels, 1 otherwise). */
  units = 1;
  /** The head's modelled duration, before jitter. */
  duration = 0;
  /** A copy on a shared link: the ns of transfer it still needs at the link's full rate. */
  work = 0;

  #ops: (DeviceOp | undefined)[];
  /** `[opId, readyAt]` per slot, interleaved so one cache line serves both. */
  #meta: Float64Array;
  #head = 0;
  #size = 0;
  /** The ordinal of the op `loadHead` last loaded. */
  #loaded = -1;
  #mask: number;

  constructor(id: number, device: DeviceState, priority: number) {
    this.id = id;
    this.device = device;
    this.priority = priority;
    // Four slots to start: their 8 doubles are 64 bytes, the most V8 keeps on its heap for a
    // typed array; one byte more gets a backing store of its own (≈550 ns instead of ≈30 ns),
    // paid by every stream that takes a fresh queue.
    this.#ops = new Array(4);
    this.#meta = new Float64Array(8);
    this.#mask = 3;
  }

  get size(): number {
    return this.#size;
  }

  /** Ordinal one past the last enqueued op. */
  get enqueued(): number {
    return this.completed + this.#size;
  }

  push(op: DeviceOp, opId: number, readyAt: number): void {
    if (this.#size > this.#mask) this.#grow();
    const i = (this.#head + this.#size) & this.#mask;
    this.#ops[i] = op;
    this.#meta[2 * i] = opId;
    this.#meta[2 * i + 1] = readyAt;
    this.#size++;
  }

  /** Caches the head op, its id and its ready time in `op`, `opId` and `readyAt`. */
  loadHead(): void {
    if (this.#loaded === this.completed) return;
    this.#loaded = this.completed;
    const h = this.#head;
    this.op = this.#ops[h];
    // `op` holds the reference from now on; clearing the slot here rather than in `shift`
    // saves touching the (by then cold) ring slot a second time.
    this.#ops[h] = undefined;
    this.opId = this.#meta[2 * h]!;
    this.readyAt = this.#meta[2 * h + 1]!;
    this.runFailure = undefined;
  }

  /** Removes the head (loaded by {@link SimQueue.loadHead}). */
  shift(): void {
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    this.completed++;
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const ops: (DeviceOp | undefined)[] = new Array(capacity);
    const meta = new Float64Array(2 * capacity);
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) & this.#mask;
      ops[k] = this.#ops[i];
      meta[2 * k] = this.#meta[2 * i]!;
      meta[2 * k + 1] = this.#meta[2 * i + 1]!;
    }
    this.#ops = ops;
    this.#meta = meta;
    this.#head = 0;
    this.#mask = capacity - 1;
  }
}
