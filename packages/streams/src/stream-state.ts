import { NpuError } from "@npurt/core";

/**
 * The states of a stream, after the stream-management seed article, plus `ABORTED`:
 *
 * - `CREATING`: inside `create` (never observable once `create` returns).
 * - `READY`: created, nothing submitted yet (`query()` is `'complete'`).
 * - `RUNNING`: work is queued and the head op can run.
 * - `BLOCKED`: the head op is an event wait that is not satisfied yet, or a blocking host
 *   callback that has not finished.
 * - `COMPLETED`: everything submitted has finished. Not terminal: new work makes it `RUNNING`.
 * - `ABORTED`: `abort()` discarded the queued work (until the discarded ops are reported), or a
 *   stop-on-failure device stopped; new work is refused.
 * - `DESTROYED`: the handle is gone; any use is `INVALID_HANDLE`.
 */
export type StreamState =
  | "CREATING"
  | "READY"
  | "RUNNING"
  | "BLOCKED"
  | "COMPLETED"
  | "DESTROYED"
  | "ABORTED";

/** What can happen to a stream; the input of {@link reduceStreamState}. */
export type StreamAction =
  | "created"
  | "submit"
  | "block"
  | "unblock"
  | "drain"
  | "abort"
  | "recover"
  | "destroy"
  | "reuse";

const TRANSITIONS: Readonly<Record<StreamState, Partial<Record<StreamAction, StreamState>>>> = {
  CREATING: { created: "READY", destroy: "DESTROYED" },
  READY: { submit: "RUNNING", abort: "ABORTED", destroy: "DESTROYED" },
  RUNNING: {
    submit: "RUNNING",
    block: "BLOCKED",
    drain: "COMPLETED",
    abort: "ABORTED",
    destroy: "DESTROYED",
  },
  BLOCKED: {
    submit: "BLOCKED",
    block: "BLOCKED",
    unblock: "RUNNING",
    drain: "COMPLETED",
    abort: "ABORTED",
    destroy: "DESTROYED",
  },
  COMPLETED: { submit: "RUNNING", abort: "ABORTED", destroy: "DESTROYED" },
  ABORTED: { abort: "ABORTED", recover: "COMPLETED", destroy: "DESTROYED" },
  DESTROYED: { reuse: "CREATING" },
};

/**
 * The one function that changes a stream's state. Every state change of every stream goes
 * through it, so the transition table above is the whole state machine.
 *
 * @throws NpuError `INVALID_HANDLE` for a transition the table does not allow (any use of a
 * destroyed stream among them).
 *
 * @example
 * ```ts
 * reduceStreamState("READY", "submit"); // "RUNNING"
 * reduceStreamState("DESTROYED", "submit"); // throws INVALID_HANDLE
 * ```
 */
export function reduceStreamState(state: StreamState, action: StreamAction): StreamState {
  const next = TRANSITIONS[state]?.[action];
  if (next === undefined) {
    throw new NpuError(
      "INVALID_HANDLE",
      state === "DESTROYED"
        ? `the stream is destroyed; "${action}" is not allowed`
        : `illegal stream transition: "${action}" in state ${state}`,
      { details: { state, action } },
    );
  }
  return next;
}
