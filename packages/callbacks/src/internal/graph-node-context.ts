import { NpuError } from "@npurt/core";
import type { NodeId } from "../graph-report.js";
import type { NodeContext, NodeInput } from "../node-context.js";
import type { NodeMeta } from "./node-meta.js";
import { nodeText } from "./report-text.js";

/** What a {@link GraphNodeContext} asks of the run it belongs to. */
export interface ContextHost {
  /** Whether node `v` has settled (its context is stale from then on). */
  isSettled(v: NodeId): boolean;
  inputs(v: NodeId): NodeInput[];
  resource(v: NodeId, meta: NodeMeta, key: string): unknown;
}

/** The {@link NodeContext} handed to one node's callback. */
export class GraphNodeContext implements NodeContext {
  readonly #run: ContextHost;
  readonly #meta: NodeMeta;
  readonly id: NodeId;
  readonly signal: AbortSignal;

  constructor(run: ContextHost, id: NodeId, meta: NodeMeta, signal: AbortSignal) {
    this.#run = run;
    this.#meta = meta;
    this.id = id;
    this.signal = signal;
  }

  get label(): string {
    return this.#meta.label ?? `#${this.id}`;
  }

  get data(): unknown {
    return this.#meta.data;
  }

  get inputs(): readonly NodeInput[] {
    return this.#run.inputs(this.id);
  }

  resource<T = unknown>(key: string): T {
    // A context kept past its callback would hand out a resource its holder already let go
    // of (possibly disposed): refused with a code that says so, instead of a value or a
    // misleading error from the manager.
    if (this.#run.isSettled(this.id)) {
      throw new NpuError(
        "ILLEGAL_STATE",
        `the context of ${nodeText(this.id, this.#meta.label)} is stale: its callback has finished`,
        { details: { node: this.id, resource: key } },
      );
    }
    return this.#run.resource(this.id, this.#meta, key) as T;
  }
}
