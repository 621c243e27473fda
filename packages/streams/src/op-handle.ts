import type { NpuError } from "@npurt/core";

/** What an {@link OpHandle} stands for. */
export type OpHandleKind = "kernel" | "copy" | "fill" | "record" | "wait" | "reset" | "callback";

/**
 * Where an op is: `pending` until it completes, then `done`, `failed` (its error says why) or
 * `aborted` (discarded by an abort, a force destroy, a stopped or closed device).
 */
export type OpHandleStatus = "pending" | "done" | "failed" | "aborted";

/**
 * The handle a stream op returns (`launch`, `copy`, `fill`, `record`, `waitEvent`,
 * `launchHostCallback`): what became of that one op, without correlating instrumentation events
 * by id. Reading it costs nothing; the promise is made only when {@link OpHandle.finished} is
 * first read. A stream's failure still surfaces at its next synchronize as well.
 *
 * @example
 * ```ts
 * const op = stream.launch({ name: "matmul", inputs: [a, b], outputs: [c] });
 * await op.finished; // rejects with the op's NpuError if it failed or was aborted
 * console.log(op.status, (op.endNs! - op.startNs!) / 1e3, "µs on the device");
 * ```
 */
export interface OpHandle {
  /** What the op is. */
  readonly kind: OpHandleKind;
  /** Id of the stream the op was issued on. */
  readonly stream: number;
  /** Where the op is now. */
  readonly status: OpHandleStatus;
  /**
   * Device time (ns, on the device clock) the op started, once it completed. For a host callback
   * the host clock's time its function started; for a wait that needed no device op (already
   * satisfied), the time of the call.
   */
  readonly startNs: number | undefined;
  /** Device time (ns) the op ended, once it completed (for a host callback: its function ended). */
  readonly endNs: number | undefined;
  /** Why the op failed or was aborted; `undefined` otherwise. */
  readonly error: NpuError | undefined;
  /**
   * Settles when the op does: resolves with this handle when it is `done`, rejects with
   * {@link OpHandle.error} when it `failed` or was `aborted`.
   */
  readonly finished: Promise<OpHandle>;
}
