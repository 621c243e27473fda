import type { NpuError } from "@npurt/core";
import type { OpHandle, OpHandleKind, OpHandleStatus } from "../op-handle.js";

/**
 * The runtime's side of an {@link OpHandle}: the object handed out, settled by the runtime when
 * the op completes. Kept small (it is made for every op): the promise and its settle functions
 * exist only once someone reads `finished`.
 */
export class OpRecord implements OpHandle {
  readonly kind: OpHandleKind;
  readonly stream: number;
  status: OpHandleStatus = "pending";
  startNs: number | undefined = undefined;
  endNs: number | undefined = undefined;
  error: NpuError | undefined = undefined;
  /**
   * Made only when needed, so a handle nobody watches stays small: the promise of `finished`
   * with its settle function, and the handles that settle as this one does (a wait that FIFO
   * order satisfies follows its record).
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
    const { settle, followers } = watch;
    watch.settle = undefined;
    watch.followers = undefined;
    settle?.(this);
    if (followers !== undefined) for (const f of followers) f.settle(status, startNs, endNs, error);
  }

  /** Settles this handle as `source` settles (at once, if it has). */
  follow(source: OpRecord): void {
    if (source.status !== "pending") {
      this.settle(source.status, source.startNs!, source.endNs!, source.error);
      return;
    }
    const watch = source.#watchers();
    if (watch.followers === undefined) watch.followers = [this];
    else watch.followers.push(this);
  }

  #watchers(): Watchers {
    let watch = this.#watch;
    if (watch === undefined) {
      watch = { promise: undefined, settle: undefined, followers: undefined };
      this.#watch = watch;
    }
    return watch;
  }
}

interface Watchers {
  promise: Promise<OpHandle> | undefined;
  settle: ((op: OpRecord) => void) | undefined;
  followers: OpRecord[] | undefined;
}

/** A handle for an op that needed no device work (a wait already satisfied): done at `now`. */
export function settledOp(kind: OpHandleKind, stream: number, now: number): OpRecord {
  const op = new OpRecord(kind, stream);
  op.settle("done", now, now);
  return op;
}
