import type { OpCompletion } from "../backend/device-backend.js";
import { NpuError } from "../errors/npu-error.js";
import type { QueueHandle } from "./device-handles.js";
import type { OpSpec } from "./op-spec.js";

/** What a sync queue is made with (a subset of `Device.createQueue`'s options). */
export interface SyncQueueOptions {
  readonly device: number;
  readonly onComplete: (c: OpCompletion) => boolean;
}

/**
 * Copies and fills outside any user queue (`Device.memcpy`, `Device.memset`): each runs on a
 * queue of its own per device, made on first use, and its promise settles with the op's own
 * completion — rejecting with the op's coded error, which a queue's `drain()` would not.
 */
export class SyncCopies {
  readonly #createQueue: (options: SyncQueueOptions) => QueueHandle;
  readonly #enqueue: (queue: QueueHandle, op: OpSpec) => number;
  readonly #deviceOf: (ref: unknown) => number;
  /** Per device: the queue the sync ops run on. */
  readonly #queues: (QueueHandle | undefined)[] = [];
  /** Pending sync ops, by op id: how each one settles its caller's promise. */
  readonly #ops = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();

  constructor(
    createQueue: (options: SyncQueueOptions) => QueueHandle,
    enqueue: (queue: QueueHandle, op: OpSpec) => number,
    deviceOf: (ref: unknown) => number,
  ) {
    this.#createQueue = createQueue;
    this.#enqueue = enqueue;
    this.#deviceOf = deviceOf;
  }

  /** Enqueues `op` on the sync queue of the device `operand` lives on; settles with its completion. */
  run(op: OpSpec, operand: unknown): Promise<void> {
    const ref = (
      typeof operand === "object" && operand !== null && "buffer" in operand
        ? (operand as { buffer: unknown }).buffer
        : operand
    ) as unknown;
    const device = this.#deviceOf(ref);
    let queue = this.#queues[device];
    if (queue === undefined) {
      queue = this.#createQueue({ device, onComplete: (c) => this.#settle(c) });
      this.#queues[device] = queue;
    }
    const opId = this.#enqueue(queue, op);
    return new Promise<void>((resolve, reject) => this.#ops.set(opId, { resolve, reject }));
  }

  #settle(c: OpCompletion): boolean {
    const waiter = this.#ops.get(c.opId);
    if (waiter === undefined) return false;
    this.#ops.delete(c.opId);
    if (c.status === "ok") waiter.resolve();
    else
      waiter.reject(
        new NpuError(c.failure?.code ?? "INTERNAL_ERROR", c.failure?.message ?? "the op failed", {
          details: { opId: c.opId },
        }),
      );
    return true;
  }
}
