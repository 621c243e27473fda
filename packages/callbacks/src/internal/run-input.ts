import type { Clock } from "@npurt/core";
import type { AdaptivePriorities } from "../adaptive-priorities.js";
import type { ErrorPolicy } from "../error-policy.js";
import type { NodeId } from "../graph-report.js";
import type { ResourceManager } from "../resource-manager.js";
import type { NodeMeta } from "./node-meta.js";

/** A graph frozen for running: CSR successors and the arrays the run mutates. */
export interface FrozenGraph {
  readonly n: number;
  readonly callbacks: readonly Function[];
  readonly meta: readonly (NodeMeta | undefined)[];
  /** Remaining dependencies per node; the run decrements it in place. */
  readonly pending: Int32Array;
  readonly status: Uint8Array;
  readonly off: Int32Array;
  readonly adj: Int32Array;
  readonly priority: Float64Array | null;
  /** How many entries of `meta` are set. */
  readonly nodesWithOptions: number;
  /** A buffer of at least `n` ints the run may use as its FIFO, or `null`. */
  readonly scratch: Int32Array | null;
  /** The node's label, or `#id`: the raw text, for reports' `label` fields. */
  label(v: NodeId): string;
  /** The node as messages name it: escaped, bounded label plus id (see `nodeText`). */
  text(v: NodeId): string;
}

/** Run-wide settings, validated by the graph. */
export interface RunConfig {
  readonly policy: ErrorPolicy;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
  readonly adaptive: AdaptivePriorities | undefined;
  readonly resources: ResourceManager | undefined;
  readonly sliceMs: number;
}
