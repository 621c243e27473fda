import type { NpuError, TimerId } from "@npurt/core";
import { CallbackGraphError, type GraphRunReport, type NodeFailure, type NodeId } from "../graph-report.js";
import { Pump, type TurnTarget } from "./async.js";
import { LevelQueue } from "./level-queue.js";
import type { NodeMeta } from "./node-meta.js";
import type { FrozenGraph, RunConfig } from "./run-input.js";
import { runReport } from "./run-report.js";

/**
 * The state one graph run mutates, and the moves every part of the run makes on it: queueing a
 * ready node (a FIFO, or priority levels), storing a value, deciding what follows progress,
 * and the end (the report). {@link GraphRun} is the concrete class; each layer between adds
 * one concept ({@link RunOutcomes}: error policies, cancellation and resources;
 * {@link NodeExecution}: nodes off the fast path).
 *
 * The state is `protected` rather than `#private` (a subclass cannot see a `#` member): plain
 * fields that the drain loop reads directly, with no accessor and no extra call.
 */
export abstract class RunState implements TurnTarget {
  protected readonly g: FrozenGraph;
  protected readonly cfg: RunConfig;
  protected readonly callbacks: readonly Function[];
  protected readonly meta: readonly (NodeMeta | undefined)[];
  protected readonly pending: Int32Array;
  protected readonly status: Uint8Array;
  protected readonly off: Int32Array;
  protected readonly adj: Int32Array;
  // Allocated on the first non-undefined result: graphs of side-effect callbacks never pay.
  protected values: unknown[] | null = null;
  protected readonly failures: NodeFailure[] = [];
  // Each failed node's own error, for its dependents' inputs (the failures list also holds
  // clean-up errors, and searching it per input would be quadratic).
  protected readonly errors = new Map<number, NpuError>();
  // FIFO ready queue: every node is enqueued at most once, so a flat array of n ids with a
  // head and a tail is the whole queue (no wrap-around needed).
  protected readonly fifo: Int32Array | null;
  protected head = 0;
  protected tail = 0;
  protected readonly heap: LevelQueue<number> | null;
  // Whether any node has options, or the graph has a timeout: otherwise every node takes the
  // fast path without looking at its options slot.
  protected readonly slowAny: boolean;
  protected readonly slowAll: boolean;
  protected inFlight = 0;
  protected settled = 0;
  /** Whether the run has settled (see {@link RunState.finished}). */
  protected done = false;
  protected signalAborted = false;
  protected promoted = 0;
  protected demoted = 0;
  protected readonly controller = new AbortController();
  protected readonly pump: Pump;
  protected readonly timers = new Map<NodeId, TimerId>();
  protected signal: AbortSignal | undefined;
  protected onSignal: (() => void) | undefined;
  #resolve!: (report: GraphRunReport) => void;
  #reject!: (error: CallbackGraphError) => void;
  readonly promise: Promise<GraphRunReport>;

  constructor(graph: FrozenGraph, config: RunConfig) {
    this.g = graph;
    this.cfg = config;
    this.callbacks = graph.callbacks;
    this.meta = graph.meta;
    this.pending = graph.pending;
    this.status = graph.status;
    this.off = graph.off;
    this.adj = graph.adj;
    const prioritised = graph.priority !== null || config.adaptive !== undefined;
    this.fifo = prioritised ? null : (graph.scratch ?? new Int32Array(graph.n));
    this.heap = prioritised ? new LevelQueue<number>() : null;
    this.slowAll = config.timeoutMs !== undefined;
    this.slowAny = this.slowAll || graph.nodesWithOptions > 0;
    this.pump = new Pump(this, config.sliceMs, config.clock);
    this.promise = new Promise<GraphRunReport>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** One turn of the drain loop (called by the pump). */
  abstract turn(): void;

  /** Whether the run has settled. */
  get finished(): boolean {
    return this.done;
  }

  /** After progress: finish, schedule the next turn, or wait for async callbacks. */
  protected afterProgress(): void {
    if (this.done) return;
    if (this.settled === this.g.n) {
      this.finish();
      return;
    }
    const queued = this.fifo !== null ? this.tail - this.head : this.heap!.size;
    if (queued > 0 && this.inFlight < this.cfg.concurrency) this.pump.request();
  }

  protected store(v: number, value: unknown): void {
    let values = this.values;
    if (values === null) {
      // Pushed, not `new Array(n)`: V8 makes a large pre-sized array a slow dictionary.
      values = [];
      for (let i = 0; i < this.g.n; i++) values.push(undefined);
      this.values = values;
    }
    values[v] = value;
  }

  protected enqueue(w: number): void {
    if (this.fifo !== null) {
      this.fifo[this.tail++] = w;
      return;
    }
    const base = this.g.priority === null ? 0 : this.g.priority[w]!;
    const adaptive = this.cfg.adaptive;
    const label = adaptive === undefined ? undefined : this.meta[w]?.label;
    this.heap!.push(w, label === undefined ? base : adaptive!.priorityOf(label, base));
  }

  // ---- the end ----------------------------------------------------------------------------

  protected finish(): void {
    if (this.done) return;
    this.done = true;
    for (const timer of this.timers.values()) this.cfg.clock.clearTimer(timer);
    this.timers.clear();
    if (this.signal !== undefined && this.onSignal !== undefined) {
      this.signal.removeEventListener("abort", this.onSignal);
    }
    const report = runReport(
      this.status,
      this.values ?? [],
      this.failures,
      // Aborting the run is aborting the signal its callbacks see.
      this.controller.signal.aborted,
      { promoted: this.promoted, demoted: this.demoted },
      this.cfg.resources?.leaks() ?? [],
    );
    if (report.ok) this.#resolve(report);
    else this.#reject(new CallbackGraphError(report, this.signalAborted));
  }
}
