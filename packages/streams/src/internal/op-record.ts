import type { NpuError } from "@npurt/core";
import type { OpHandle, OpHandleKind, OpHandleStatus } from "../op-handle.js";
import type { DeviceOpHandle } from "./op-log.js";

/**
 * An {@link OpHandle} that holds its own outcome: for host callbacks (settled when the function
 * ends) and waits that need no device op of their own. Device ops use {@link DeviceOpHandle}.
 * The promise and its settle functions exist only once someone reads `finished`.
 */
export class OpRecord implements OpHandle {
  readonly kind: OpHandleKind;
  readonly stream: number;
  status: OpHandleStatus = "pending";
  startNs: number | undefined = undefined;
  endNs: number | undefined = undefined;
  error: NpuError | undefined = undefined;
  /**
   * Made only when needed: the promise of `finished` with its settle function.
   */
  #watch: Watchers | undefined = undefined;

  constructor(kind: OpHandleKind, stream: number) {
    this.kind = kind;
    this.stream = stream;
  }

  get finished(): Promise<OpHandle> {
    const watch = this.#watchers();
    if (watch.promise === undefined) {
      if (this.status === "pending") {
        watch.promise = new Promise<OpHandle>((resolve, reject) => {
          watch.settle = (op) => (op.error === undefined ? resolve(op) : reject(op.error));
        });
      } else {
        watch.promise = this.error === undefined ? Promise.resolve(this) : Promise.reject(this.error);
      }
    }
    return watch.promise;
  }

  /** Settles the op once; later calls are ignored (an op completes exactly once). */
  settle(status: Exclude<OpHandleStatus, "pending">, startNs: number, endNs: number, error?: NpuError): void {
    if (this.status !== "pending") return;
    this.status = status;
    this.startNs = startNs;
    this.endNs = endNs;
    this.error = error;
    const watch = this.#watch;
    if (watch === undefined) return;
    const settle = watch.settle;
    watch.settle = undefined;
    settle?.(this);
  }

  /** Settles this handle as `source` (a device op's handle) settles, at once if it has. */
  follow(source: DeviceOpHandle): void {
    source.onSettled(() => {
      const status = source.status as Exclude<OpHandleStatus, "pending">;
      this.settle(status, source.startNs!, source.endNs!, source.error);
    });
  }

  #watchers(): Watchers {
    let watch = this.#watch;
    if (watch === undefined) {
      watch = { promise: undefined, settle: undefined };
      this.#watch = watch;
    }
    return watch;
  }
}

interface Watchers {
  promise: Promise<OpHandle> | undefined;
  settle: ((op: OpRecord) => void) | undefined;
}

/** A handle for an op that needed no device work (a wait already satisfied): done at `now`. */
export function settledOp(kind: OpHandleKind, stream: number, now: number): OpRecord {
  const op = new OpRecord(kind, stream);
  op.settle("done", now, now);
  return op;
}
