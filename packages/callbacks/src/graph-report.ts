import type { NpuError, NpuErrorCode } from "@npurt/core";
import type { ResourceLeak } from "./resource-manager.js";

/** A node's id in its {@link CallbackGraph}: the order it was added in, from 0. */
export type NodeId = number;

/**
 * Where a node ended up: `"pending"` (never became ready, or the run has not reached it),
 * `"running"`, `"ok"`, `"failed"` (threw, rejected or timed out), `"skipped"` (a dependency
 * failed under the `"skip"` policy) or `"cancelled"` (the run was aborted first).
 */
export type NodeStatus = "pending" | "running" | "ok" | "failed" | "skipped" | "cancelled";

/** One error of a run, with the node it came from. */
export interface NodeFailure {
  /** The failing node, or `undefined` for a failure of the run itself (an abort signal). */
  readonly node: NodeId | undefined;
  /** The node's label (or `#id`), for messages. */
  readonly label: string;
  /** `CALLBACK_FAILED` (cause: what was thrown), `CALLBACK_TIMEOUT` or `ABORTED`. */
  readonly error: NpuError;
}

/** How many nodes ended in each terminal state. */
export interface NodeCounts {
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
}

/** What a {@link CallbackGraph} run produced: per-node results and every error. */
export interface GraphRunReport {
  /** `true` when every node ran and none failed. */
  readonly ok: boolean;
  /** Whether the run was stopped early (its signal, or a failure under the `"abort"` policy). */
  readonly aborted: boolean;
  /** Every error, in the order they happened, each with its node. */
  readonly failures: readonly NodeFailure[];
  /** Node counts by terminal state. */
  readonly counts: NodeCounts;
  /** Adaptive priority changes made during the run. */
  readonly adaptive: { readonly promoted: number; readonly demoted: number };
  /** Resources still held when the run ended (only with the graph's `resources` option). */
  readonly leaks: readonly ResourceLeak[];
  /** What node `id`'s callback returned (resolved to), or `undefined`. */
  value(id: NodeId): unknown;
  /** Where node `id` ended up. */
  status(id: NodeId): NodeStatus;
}

/**
 * The error a failed run rejects with: an `AggregateError` of every failure's
 * {@link NodeFailure.error}, plus the full {@link GraphRunReport} (values of the nodes that
 * did run, statuses, counts). `code` sums it up: `ABORTED` for a cancelled run, otherwise the
 * first failure's code.
 */
export class CallbackGraphError extends AggregateError {
  /** `ABORTED`, `CALLBACK_FAILED` or `CALLBACK_TIMEOUT`. */
  readonly code: NpuErrorCode;
  /** The whole run's report. */
  readonly report: GraphRunReport;
  /** The failures with their nodes (the same order as `errors`). */
  readonly failures: readonly NodeFailure[];

  constructor(report: GraphRunReport, signalAborted: boolean) {
    const failures = report.failures;
    const first = failures[0];
    const code: NpuErrorCode = signalAborted ? "ABORTED" : (first?.error.code ?? "CALLBACK_FAILED");
    const summary =
      failures.length === 1 && first !== undefined
        ? first.error.message
        : `${failures.length} callbacks failed; first: ${first?.error.message ?? "none"}`;
    super(
      failures.map((f) => f.error),
      signalAborted ? `graph run aborted (${summary})` : summary,
    );
    this.name = "CallbackGraphError";
    this.code = code;
    this.report = report;
    this.failures = failures;
  }
}

/** A cycle found by {@link CallbackGraph.validate}. */
export interface CycleReport {
  /** The nodes of the cycle in edge order; the first node is repeated at the end. */
  readonly nodes: readonly NodeId[];
  /** The same path as labels, e.g. `a → b → a`. */
  readonly path: string;
}

/** One node as {@link CallbackGraph.validate} sees it. */
export interface NodeDiagnostics {
  readonly id: NodeId;
  readonly label: string;
  /** Dependencies not yet completed (before a run: all of them). */
  readonly pending: number;
  /** How many nodes wait for this one. */
  readonly dependents: number;
  readonly status: NodeStatus;
}

/** The result of {@link CallbackGraph.validate}. */
export interface GraphValidation {
  /** `true` when the graph has no cycle. */
  readonly ok: boolean;
  /** A cycle, when there is one. */
  readonly cycle: CycleReport | undefined;
  /** Every node with its pending count. */
  readonly nodes: readonly NodeDiagnostics[];
  /** Nodes with no dependency (where a run starts). */
  readonly roots: readonly NodeId[];
  /** A readable listing: one line per node, then the cycle if any. */
  toString(): string;
}
