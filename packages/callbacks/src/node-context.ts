import type { NpuError } from "@npurt/core";
import type { NodeId, NodeStatus } from "./graph-report.js";

/** One dependency of a node, as its callback sees it in {@link NodeContext.inputs}. */
export interface NodeInput {
  /** The dependency's id. */
  readonly node: NodeId;
  /** Its label (or `#id`). */
  readonly label: string;
  /** `"ok"` or `"failed"` (a failed dependency is only visible under the `"continue"` policy). */
  readonly status: NodeStatus;
  /** What it returned (resolved to), when it succeeded. */
  readonly value: unknown;
  /** Its error, when it failed. */
  readonly error: NpuError | undefined;
}

/**
 * What a node's callback receives, if it declares a parameter (a callback declared without
 * one, `() => ...`, is called with none: the fast path of large graphs).
 *
 * @typeParam D - the node's user data.
 */
export interface NodeContext<D = unknown> {
  /** The node's id. */
  readonly id: NodeId;
  /** The node's label (or `#id`). */
  readonly label: string;
  /** The user data given when the node was added. */
  readonly data: D;
  /**
   * Aborted when the run is cancelled (signal, or a failure under the `"abort"` policy) or,
   * for a node with a timeout, when the timeout fires. Pass it on to cancellable work. A
   * listener must not throw: an `EventTarget` reports a listener's error as an uncaught
   * exception, out of the run's reach.
   */
  readonly signal: AbortSignal;
  /** The node's dependencies with their values or errors, in the order of their ids. */
  readonly inputs: readonly NodeInput[];
  /** The value of resource `key`, which the node must have declared in its `resources`. */
  resource<T = unknown>(key: string): T;
}
