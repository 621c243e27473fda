import type { OpCompletion } from "../backend/device-backend.js";
import type { DeviceOp } from "../backend/ops.js";
import { errorMessage, quote } from "../errors/safe-text.js";
import { RingQueue } from "../structures/ring-queue.js";
import type { DeviceMemory } from "./device-memory.js";
import type { BufferState, DeviceView, QueueState } from "./device-state.js";
import { completedEvent } from "./op-description.js";

/**
 * Routes a backend's completion reports to their queues: exactly once and in queue order (a
 * report out of order, or of no pending op, is dropped and reported as the backend bug it is),
 * releasing what each op held (its buffers' pending use, its counter), emitting `op.completed`,
 * then calling the queue's listener and resolving its drain waiters. Deliveries never nest.
 */
export class CompletionDelivery {
  readonly #host: DeviceView;
  readonly #queues: ReadonlyMap<number, QueueState>;
  readonly #memory: DeviceMemory;
  readonly #reportError: (message: string, error: unknown) => void;
  /** A completion is being delivered: another one reported now waits in `#backlog`. */
  #delivering = false;
  #backlog: RingQueue<OpCompletion> | undefined;

  constructor(
    host: DeviceView,
    queues: ReadonlyMap<number, QueueState>,
    memory: DeviceMemory,
    reportError: (message: string, error: unknown) => void,
  ) {
    this.#host = host;
    this.#queues = queues;
    this.#memory = memory;
    this.#reportError = reportError;
  }

  /**
   * The sink's entry. Deliveries never nest: a completion reported while another is being
   * delivered (by `close()` from a listener, or a backend reporting from a call a listener
   * made) waits in a backlog and is delivered right after, so every listener sees each queue's
   * completions in order and one at a time.
   */
  complete(c: OpCompletion): boolean {
    if (this.#delivering) {
      if (this.#backlog === undefined) this.#backlog = new RingQueue();
      this.#backlog.push(c);
      return false;
    }
    this.#delivering = true;
    try {
      let woke = this.#deliver(c);
      const backlog = this.#backlog;
      if (backlog !== undefined) while (backlog.size > 0) woke = this.#deliver(backlog.shift()!) || woke;
      return woke;
    } finally {
      this.#delivering = false;
    }
  }

  #deliver(reported: OpCompletion): boolean {
    let c = reported;
    const state = this.#queues.get(c.queue);
    const bus = this.#host.instrumentation;
    if (state === undefined || state.pendingIds.peek() !== c.opId) {
      // A backend bug (a second report, or one out of queue order): dropping it keeps "exactly
      // once, in queue order" true for listeners; the report says what the backend did.
      const expected = state?.pendingIds.peek();
      const message =
        expected === undefined
          ? `backend ${quote(this.#host.backend.name)} reported a completion for op ${c.opId} on queue ${c.queue}, which has none pending`
          : `backend ${quote(this.#host.backend.name)} reported op ${c.opId} on queue ${c.queue} out of queue order (op ${expected} is next); ignored`;
      this.#reportError(message, undefined);
      return false;
    }
    state.pendingIds.shift();
    state.completed++;
    const bufferOps = state.pendingBufferOps;
    if (bufferOps !== undefined && bufferOps.size > 0 && bufferOps.peek() === c.opId) {
      bufferOps.shift();
      const named = bufferOps.shift()!;
      const buffers = state.pendingBuffers!;
      let released: BufferState | undefined;
      for (let i = 0; i < named; i++) released = this.#memory.dropUser(buffers.shift()!) ?? released;
      if (released !== undefined && c.status === "ok") {
        c = {
          ...c,
          status: "error",
          failure: {
            code: "INVALID_HANDLE",
            message: `${released.handle} was released before the op completed`,
          },
        };
      }
    }
    const counterOps = state.counterOps;
    if (counterOps !== undefined && counterOps.size > 0 && counterOps.peek()!.opId === c.opId) {
      const counter = counterOps.shift()!.counter;
      if (--counter.users === 0 && counter.destroyed && !this.#host.closed) {
        // Inside a delivery: a throw here would strand the completions queued behind this one.
        try {
          this.#host.backend.destroyCounter(counter.backendId);
        } catch (error) {
          this.#reportError(
            `backend ${quote(this.#host.backend.name)} failed to destroy a counter: ${errorMessage(error)}`,
            error,
          );
        }
      }
    }
    // Ops complete in queue order, so an observed op, if this is one, is at the ring's head.
    let observed: DeviceOp | undefined;
    const observedIds = state.observedIds;
    if (observedIds !== undefined && observedIds.peek() === c.opId) {
      observedIds.shift();
      observed = state.observedOps!.shift();
      // Rings never shrink: drop them once empty, so a million ops observed in flight do not
      // stay allocated on an idle queue (the profiler's bytes-per-record benchmark).
      if (observedIds.size === 0) {
        state.observedIds = undefined;
        state.observedOps = undefined;
      }
    }
    if (bus.active) {
      bus.emit(
        completedEvent(
          this.#host.clock.now(),
          state.device,
          c.queue,
          c.opId,
          observed,
          c.status,
          c.startNs,
          c.endNs,
          c.failure?.code,
        ),
      );
    }
    let woke = false;
    if (state.listener !== undefined) {
      try {
        woke = state.listener(c) === true;
      } catch (error) {
        // A listener's bug must not break the backend's loop; report it on the bus and console.
        this.#reportError(
          `completion listener of queue ${state.handle} threw: ${errorMessage(error)}`,
          error,
        );
      }
    }
    const waiters = state.waiters;
    if (waiters !== undefined) {
      while (waiters.size > 0 && waiters.peek()!.target <= state.completed) {
        waiters.shift()!.resolve();
        woke = true;
      }
    }
    return woke;
  }
}
