import { type Clock, currentDeviceClock, NpuError, NpuTypeError, wallClock } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { AdaptivePriorities } from "./adaptive-priorities.js";
import { ERROR_POLICIES, type ErrorPolicy } from "./error-policy.js";
import type {
  CycleReport,
  GraphRunReport,
  GraphValidation,
  NodeDiagnostics,
  NodeId,
} from "./graph-report.js";
import { findCycle } from "./internal/find-cycle.js";
import { GraphRun } from "./internal/graph-run.js";
import { validationReport } from "./internal/graph-validation.js";
import { type NodeMeta, nodeMeta, PLAIN_WITH_CONTEXT } from "./internal/node-meta.js";
import { POISONED, statusName } from "./internal/node-status.js";
import {
  adaptiveOption,
  concurrencyOption,
  optionReadError,
  resourcesOption,
  sliceOption,
  timeoutOption,
} from "./internal/options.js";
import { clockOption } from "./internal/port-options.js";
import { nodeText } from "./internal/report-text.js";
import type { FrozenGraph } from "./internal/run-input.js";
import type { NodeContext } from "./node-context.js";
import type { ResourceManager } from "./resource-manager.js";

/**
 * A node's work. It runs once all its dependencies have settled. A callback that returns a
 * promise is awaited (under the graph's concurrency bound); anything else counts as done at
 * once. A callback declared with a parameter receives the node's {@link NodeContext}.
 */
export type GraphCallback<D = unknown, R = unknown> = (context: NodeContext<D>) => R | PromiseLike<R>;

/** Options of one node. Everything is optional; a plain node costs a few bytes. */
export interface NodeOptions<D = unknown> {
  /** Names the node in errors, reports and adaptive-priority learning. Default `#id`. */
  readonly label?: string;
  /** User data, handed to the callback as {@link NodeContext.data}. */
  readonly data?: D;
  /** Ready-queue priority: lower runs first (ties in the order they became ready). Default 0. */
  readonly priority?: number;
  /** The expected duration in milliseconds, for adaptive priority (else it is learned). */
  readonly expectedDurationMs?: number;
  /**
   * Fails the node with `CALLBACK_TIMEOUT` if it has not finished within this many
   * milliseconds: in (0, 9007199254] (2^53 ns), else `INVALID_PARAM`.
   */
  readonly timeoutMs?: number;
  /** What a failure of this node does; overrides the graph's policy. */
  readonly errorPolicy?: ErrorPolicy;
  /** Nodes this one runs after (edges `d → this` for each `d`). */
  readonly dependsOn?: readonly NodeId[];
  /** Keys of resources (in the graph's {@link ResourceManager}) this node holds while the run lasts. */
  readonly resources?: readonly string[];
}

/** Options of a {@link CallbackGraph}. */
export interface CallbackGraphOptions {
  /** What a failing node does unless it sets its own policy. Default `"skip"`. */
  readonly errorPolicy?: ErrorPolicy;
  /** Ready callbacks run per turn before yielding to the event loop. Default 16. */
  readonly batchSize?: number;
  /** Async callbacks in flight at most; the drain waits while the bound is reached. Default 64. */
  readonly concurrency?: number;
  /** A timeout for every node that sets none, in milliseconds (at most 9007199254). Default none. */
  readonly timeoutMs?: number;
  /**
   * Measures durations, fires timeouts and times slices. Default: the device's clock when the
   * graph is made or run inside a device's host callback (a `StreamManager`'s callbacks run
   * with core's `currentDeviceClock()` set), else core's `wallClock()`. Pass `device.clock` for
   * a deterministic simulation anywhere else, or a `VirtualClock` in tests. Checked when the
   * graph is made (`TypeError` for anything but a `Clock`).
   */
  readonly clock?: Clock;
  /**
   * Adaptive priority for labelled nodes: `true` for a private learner, or a shared
   * {@link AdaptivePriorities} so learning carries across runs. Default off.
   */
  readonly adaptive?: boolean | AdaptivePriorities;
  /**
   * When cycles are looked for: `"add"` (default) refuses the edge that would close one;
   * `"run"` defers the check to {@link CallbackGraph.validate} / {@link CallbackGraph.run}, for
   * bulk-built graphs whose edges come in no particular order.
   */
  readonly cycleCheck?: "add" | "run";
  /** Where nodes' declared `resources` come from. */
  readonly resources?: ResourceManager;
  /**
   * Continuous draining after which a turn yields to the event loop, in ms of `clock` (default
   * 10). On a virtual clock the yield points depend only on the program, which keeps a simulated
   * device's timeline identical from run to run.
   */
  readonly sliceMs?: number;
}

/** Options of {@link CallbackGraph.run}. */
export interface GraphRunOptions {
  /** Cancels the run: nothing else starts and the promise rejects with code `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** The life of a graph: nodes and edges are added while `"building"`; it runs once. */
export type GraphState = "building" | "running" | "finished";

interface Dfs {
  stamp: Int32Array;
  epoch: number;
  stack: Int32Array;
  parent: Int32Array;
}

/**
 * A DAG of callbacks: each node runs when its last dependency settles (a count of pending
 * dependencies per node, triggered down to zero). Ready nodes run in a batched drain
 * loop: up to `batchSize` synchronous callbacks per turn, promises awaited under a concurrency
 * bound, a FIFO ready queue, or a priority queue once any node has a priority (or adaptive
 * priority is on). Failures follow an {@link ErrorPolicy} per graph or per node, and all of
 * them are reported with their nodes.
 *
 * Internally the graph is a few typed arrays (edges as a list while building, compressed
 * sparse rows once it runs), so a million nodes take well under 200 bytes each.
 *
 * @example
 * ```ts
 * const graph = new CallbackGraph();
 * const load = graph.addNode(() => fetchWeights(), { label: "load" });
 * const warm = graph.addNode(() => warmUp(), { label: "warm" });
 * const serve = graph.addNode((ctx) => ctx.inputs.map((i) => i.value), { dependsOn: [load, warm] });
 * const report = await graph.run({ signal: AbortSignal.timeout(5_000) });
 * report.value(serve);
 * ```
 */
export class CallbackGraph {
  #n = 0;
  #edges = 0;
  #capacity = 0;
  #edgeCapacity = 0;
  readonly #callbacks: Function[] = [];
  readonly #meta: (NodeMeta | undefined)[] = [];
  #nodesWithOptions = 0;
  #inDegree = new Int32Array(0);
  #outDegree = new Int32Array(0);
  #head = new Int32Array(0);
  #from = new Int32Array(0);
  #to = new Int32Array(0);
  #next = new Int32Array(0);
  #priority: Float64Array | null = null;
  // While every edge goes from a lower id to a higher one, ids are a topological order and
  // no edge can close a cycle; only after the first backward edge must additions be searched.
  #monotone = true;
  #dfs: Dfs | null = null;
  #csr: { off: Int32Array; adj: Int32Array } | null = null;
  #status: Uint8Array | null = null;
  // Set once the graph starts running: its state follows from it.
  #run: GraphRun | null = null;
  readonly #policy: ErrorPolicy;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number | undefined;
  readonly #clock: Clock | undefined;
  readonly #adaptive: AdaptivePriorities | undefined;
  readonly #cycleCheck: "add" | "run";
  readonly #resources: ResourceManager | undefined;
  readonly #sliceMs: number;

  constructor(options: CallbackGraphOptions = {}) {
    try {
      const o = check.options(options, "graph options");
      this.#policy =
        o.errorPolicy === undefined ? "skip" : check.oneOf(o.errorPolicy, ERROR_POLICIES, "errorPolicy");
      this.#batchSize = check.integer(o.batchSize ?? 16, "batchSize", 1);
      this.#concurrency = concurrencyOption(o.concurrency);
      this.#timeoutMs = o.timeoutMs === undefined ? undefined : timeoutOption(o.timeoutMs);
      // No clock given: the device's, when the graph is made inside a device's host callback.
      this.#clock = clockOption(o.clock) ?? currentDeviceClock();
      this.#adaptive = adaptiveOption(o.adaptive, false);
      this.#cycleCheck =
        o.cycleCheck === undefined ? "add" : check.oneOf(o.cycleCheck, ["add", "run"], "cycleCheck");
      this.#resources = resourcesOption(o.resources);
      this.#sliceMs = sliceOption(o.sliceMs);
    } catch (error) {
      throw optionReadError(error, "graph options");
    }
  }

  /** Number of nodes. */
  get size(): number {
    return this.#n;
  }

  /** Number of edges (a repeated edge counts each time). */
  get edgeCount(): number {
    return this.#edges;
  }

  /** `"building"`, `"running"` or `"finished"`. */
  get state(): GraphState {
    const run = this.#run;
    return run === null ? "building" : run.finished ? "finished" : "running";
  }

  /**
   * Adds a node and returns its id (0, 1, 2, … in the order added).
   *
   * @throws NpuTypeError when `callback` is not a function or an option has the wrong type.
   * @throws NpuError `INVALID_PARAM` for a bad option value or an unknown `dependsOn` node;
   *   `ILLEGAL_STATE` once the graph has started running.
   */
  addNode<D = unknown, R = unknown>(callback: GraphCallback<D, R>, options?: NodeOptions<D>): NodeId {
    this.#assertBuilding("add a node to");
    check.func(callback, "node callback");
    let meta: NodeMeta | undefined;
    let priority = 0;
    let dependsOn: readonly NodeId[] | undefined;
    if (options !== undefined) {
      try {
        const o = check.options(options, "node options");
        if (o.priority !== undefined) priority = check.number(o.priority, "priority");
        const deps = o.dependsOn;
        if (deps !== undefined) {
          if (!Array.isArray(deps)) throw new NpuTypeError("dependsOn must be an array of node ids");
          // Copied while checked: the edges below are added from the ids that passed, even if
          // the caller's array (or a Proxy) changes in between. Indexed, so holes are refused.
          const ids: NodeId[] = [];
          for (let i = 0; i < deps.length; i++) {
            const d = deps[i];
            this.#checkNode(d, "dependency");
            ids.push(d as NodeId);
          }
          dependsOn = ids;
        }
        meta = nodeMeta(o, callback.length > 0);
      } catch (error) {
        throw optionReadError(error, "node options");
      }
    } else if (callback.length > 0) {
      meta = PLAIN_WITH_CONTEXT;
    }
    const v = this.#n;
    if (v === this.#capacity) this.#growNodes(v + 1);
    this.#callbacks.push(callback);
    this.#meta.push(meta);
    if (meta !== undefined) this.#nodesWithOptions++;
    this.#head[v] = -1;
    if (priority !== 0) {
      this.#priority ??= new Float64Array(this.#capacity);
      this.#priority[v] = priority;
    }
    this.#n = v + 1;
    this.#csr = null;
    // A new node has no dependents yet, so these edges cannot close a cycle.
    if (dependsOn !== undefined) for (const d of dependsOn) this.#appendEdge(d, v);
    return v;
  }

  /**
   * Adds the edge `from → to`: `to` runs after `from` has settled. Refuses a self-edge and,
   * with the default `cycleCheck: "add"`, any edge that would close a cycle
   * (`CYCLE_DEPENDENCY`, naming the cycle). Returns the graph, for chaining.
   *
   * @throws NpuTypeError for ids that are not numbers.
   * @throws NpuError `INVALID_PARAM` for unknown nodes, `CYCLE_DEPENDENCY`, `ILLEGAL_STATE`.
   */
  addEdge(from: NodeId, to: NodeId): this {
    this.#assertBuilding("add an edge to");
    this.#checkNode(from, "edge source");
    this.#checkNode(to, "edge target");
    if (from === to) {
      throw this.#cycleError([from, from], "a node cannot depend on itself");
    }
    if (this.#cycleCheck === "add" && (from > to || !this.#monotone)) {
      const path = this.#pathBetween(to, from);
      if (path !== undefined) {
        const cycle = [from, ...path];
        throw this.#cycleError(cycle, `edge ${this.#text(from)} → ${this.#text(to)} would close a cycle`);
      }
    }
    this.#appendEdge(from, to);
    return this;
  }

  /**
   * Checks the graph, as a callback-chain debugger would: looks for a cycle
   * (reporting its path) and lists every node with its pending dependency count. During or
   * after a run the counts are live (what each node still waits for). O(nodes + edges).
   */
  validate(): GraphValidation {
    const n = this.#n;
    const { off, adj } = this.#compressed();
    const pending = this.#inDegree;
    const status = this.#status;
    const building = this.#run === null;
    const nodes: NodeDiagnostics[] = new Array(n);
    const roots: NodeId[] = [];
    for (let v = 0; v < n; v++) {
      const p = pending[v]! & ~POISONED;
      if (building && p === 0) roots.push(v);
      nodes[v] = {
        id: v,
        label: this.#label(v),
        pending: p,
        dependents: off[v + 1]! - off[v]!,
        status: status === null ? "pending" : statusName(status[v]!),
      };
    }
    const cycle = building ? this.#cycleReport(findCycle(n, this.#inDegree, off, adj)) : undefined;
    return validationReport(nodes, roots, cycle, (v) => this.#text(v));
  }

  /**
   * Runs the graph once. Resolves with the {@link GraphRunReport} when every node succeeded;
   * otherwise rejects with a {@link CallbackGraphError} (an `AggregateError` of every failure,
   * carrying the same report). Callbacks start on a later microtask, never inside this call.
   *
   * @throws NpuError `ILLEGAL_STATE` when the graph already ran or is running;
   *   `CYCLE_DEPENDENCY` (with `cycleCheck: "run"`) when the graph has a cycle.
   */
  run(options: GraphRunOptions = {}): Promise<GraphRunReport> {
    let signal: AbortSignal | undefined;
    try {
      signal = check.options(options, "run options").signal;
    } catch (error) {
      throw optionReadError(error, "run options");
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new NpuTypeError("signal must be an AbortSignal");
    }
    if (this.#run !== null) {
      throw new NpuError("ILLEGAL_STATE", `the graph is ${this.state}; a graph runs once (build a new one)`);
    }
    if (this.#cycleCheck === "run") {
      // Checked on separate rows: a refused run leaves the graph as it was.
      const rows = this.#compressed();
      const cycle = this.#cycleReport(findCycle(this.#n, this.#inDegree, rows.off, rows.adj));
      if (cycle !== undefined) {
        throw new NpuError("CYCLE_DEPENDENCY", `the graph has a cycle: ${cycle.path}`, {
          details: { cycle: cycle.nodes },
        });
      }
    }
    const { off, adj } = this.#compressed(true);
    const n = this.#n;
    // The build-time edge list is no longer needed once the rows are compressed; its source
    // column becomes the run's ready queue when it is long enough.
    const scratch = this.#from.length >= n ? this.#from : null;
    this.#from = this.#to = this.#next = this.#head = new Int32Array(0);
    const status = new Uint8Array(n);
    this.#status = status;
    const frozen: FrozenGraph = {
      n,
      callbacks: this.#callbacks,
      meta: this.#meta,
      pending: this.#inDegree,
      status,
      off,
      adj,
      priority: this.#priority,
      nodesWithOptions: this.#nodesWithOptions,
      scratch,
      label: (v) => this.#label(v),
      text: (v) => this.#text(v),
    };
    const run = new GraphRun(frozen, {
      policy: this.#policy,
      batchSize: this.#batchSize,
      concurrency: this.#concurrency,
      timeoutMs: this.#timeoutMs,
      clock: this.#clock ?? currentDeviceClock() ?? wallClock(),
      adaptive: this.#adaptive,
      resources: this.#resources,
      sliceMs: this.#sliceMs,
    });
    this.#run = run;
    run.start(signal);
    return run.promise;
  }

  // ---- building ---------------------------------------------------------------------------

  #assertBuilding(what: string): void {
    if (this.#run !== null) {
      throw new NpuError("ILLEGAL_STATE", `cannot ${what} a graph that is ${this.state}`);
    }
  }

  #checkNode(id: unknown, what: string): void {
    const v = check.integer(id, what, 0);
    if (v >= this.#n) {
      throw new NpuError("INVALID_PARAM", `${what} ${v} is not a node of this graph (it has ${this.#n})`, {
        details: { node: v, size: this.#n },
      });
    }
  }

  #label(v: NodeId): string {
    return this.#meta[v]?.label ?? `#${v}`;
  }

  /** Node `v` as messages name it: escaped, bounded label and id. */
  #text(v: NodeId): string {
    return nodeText(v, this.#meta[v]?.label);
  }

  #cycleReport(nodes: NodeId[] | undefined): CycleReport | undefined {
    return nodes === undefined ? undefined : { nodes, path: nodes.map((v) => this.#text(v)).join(" → ") };
  }

  #appendEdge(from: number, to: number): void {
    const e = this.#edges;
    if (e === this.#edgeCapacity) this.#growEdges(e + 1);
    this.#from[e] = from;
    this.#to[e] = to;
    this.#next[e] = this.#head[from]!;
    this.#head[from] = e;
    this.#outDegree[from]!++;
    this.#inDegree[to]!++;
    if (from > to) this.#monotone = false;
    this.#edges = e + 1;
    this.#csr = null;
  }

  #growNodes(min: number): void {
    const capacity = Math.max(min, this.#capacity * 2, 64);
    this.#inDegree = grownInt32(this.#inDegree, capacity);
    this.#outDegree = grownInt32(this.#outDegree, capacity);
    this.#head = grownInt32(this.#head, capacity);
    if (this.#priority !== null) {
      const p = new Float64Array(capacity);
      p.set(this.#priority);
      this.#priority = p;
    }
    this.#capacity = capacity;
  }

  #growEdges(min: number): void {
    const capacity = Math.max(min, this.#edgeCapacity * 2, 256);
    this.#from = grownInt32(this.#from, capacity);
    this.#to = grownInt32(this.#to, capacity);
    this.#next = grownInt32(this.#next, capacity);
    this.#edgeCapacity = capacity;
  }

  #cycleError(cycle: NodeId[], message: string): NpuError {
    const path = cycle.map((v) => this.#text(v)).join(" → ");
    return new NpuError("CYCLE_DEPENDENCY", `${message}: ${path}`, { details: { cycle, path } });
  }

  /** A path `start ⇝ goal` over the build-time edge lists (depth-first), or `undefined`. */
  #pathBetween(start: number, goal: number): NodeId[] | undefined {
    const n = this.#n;
    let dfs = this.#dfs;
    if (dfs === null || dfs.stamp.length < n) {
      const size = Math.max(n, this.#capacity);
      dfs = {
        stamp: new Int32Array(size),
        epoch: 0,
        stack: new Int32Array(size),
        parent: new Int32Array(size),
      };
      this.#dfs = dfs;
    }
    const epoch = ++dfs.epoch;
    const { stamp, stack, parent } = dfs;
    const head = this.#head;
    const next = this.#next;
    const to = this.#to;
    let top = 0;
    stack[top++] = start;
    stamp[start] = epoch;
    parent[start] = -1;
    while (top > 0) {
      const x = stack[--top]!;
      if (x === goal) {
        const path: NodeId[] = [];
        for (let y = goal; y !== -1; y = parent[y]!) path.push(y);
        return path.reverse();
      }
      for (let e = head[x]!; e !== -1; e = next[e]!) {
        const w = to[e]!;
        if (stamp[w] === epoch) continue;
        stamp[w] = epoch;
        parent[w] = x;
        stack[top++] = w;
      }
    }
    return undefined;
  }

  /**
   * Successors in compressed sparse rows, in the order edges were added.
   *
   * @param freezing - the graph is about to run and its edge list will never be read again:
   *   build the rows inside the list's own buffers instead of allocating (a run then allocates
   *   next to nothing, which keeps large runs clear of garbage-collection pauses).
   */
  #compressed(freezing = false): { off: Int32Array; adj: Int32Array } {
    if (this.#csr !== null) return this.#csr;
    const n = this.#n;
    const edges = this.#edges;
    const off = freezing && this.#head.length > n ? this.#head.subarray(0, n + 1) : new Int32Array(n + 1);
    const outDegree = this.#outDegree;
    // off[v] = end of v's row; filling edges backwards moves each cursor to its row's start.
    let sum = 0;
    for (let v = 0; v < n; v++) {
      sum += outDegree[v]!;
      off[v] = sum;
    }
    off[n] = sum;
    const adj = freezing ? this.#next.subarray(0, edges) : new Int32Array(edges);
    const from = this.#from;
    const to = this.#to;
    for (let e = edges - 1; e >= 0; e--) adj[--off[from[e]!]!] = to[e]!;
    this.#csr = { off, adj };
    return this.#csr;
  }
}

function grownInt32(old: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.set(old);
  return grown;
}
