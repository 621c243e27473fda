import { type Clock, NpuError, type TimerId, wallClock } from "@npurt/core";
import type { AdaptivePriorities } from "../adaptive-priorities.js";
import type { ErrorPolicy } from "../error-policy.js";
import { CallbackGraphError, type GraphRunReport, type NodeFailure, type NodeId } from "../graph-report.js";
import type { NodeContext, NodeInput } from "../node-context.js";
import type { ResourceManager } from "../resource-manager.js";
import { isThenable, Pump, type TurnTarget } from "./async.js";
import { type ContextHost, GraphNodeContext } from "./graph-node-context.js";
import { LevelQueue } from "./level-queue.js";
import type { NodeMeta } from "./node-meta.js";
import { CANCELLED, FAILED, OK, POISONED, RUNNING, SKIPPED, statusName } from "./node-status.js";
import { messageOf, quoted } from "./report-text.js";
import { runReport } from "./run-report.js";

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

/** Executes one frozen graph once: Kahn's algorithm with a batched, bounded drain loop. */
export class GraphRun implements TurnTarget, ContextHost {
  readonly #g: FrozenGraph;
  readonly #cfg: RunConfig;
  readonly #callbacks: readonly Function[];
  readonly #meta: readonly (NodeMeta | undefined)[];
  readonly #pending: Int32Array;
  readonly #status: Uint8Array;
  readonly #off: Int32Array;
  readonly #adj: Int32Array;
  // Allocated on the first non-undefined result: graphs of side-effect callbacks never pay.
  #values: unknown[] | null = null;
  readonly #failures: NodeFailure[] = [];
  // Each failed node's own error, for its dependents' inputs (the failures list also holds
  // clean-up errors, and searching it per input would be quadratic).
  readonly #errors = new Map<number, NpuError>();
  // FIFO ready queue: every node is enqueued at most once, so a flat array of n ids with a
  // head and a tail is the whole queue (no wrap-around needed).
  readonly #fifo: Int32Array | null;
  #head = 0;
  #tail = 0;
  readonly #heap: LevelQueue<number> | null;
  // Whether any node has options, or the graph has a timeout: otherwise every node takes the
  // fast path without looking at its options slot.
  readonly #slowAny: boolean;
  readonly #slowAll: boolean;
  #inFlight = 0;
  #settled = 0;
  #finished = false;
  #signalAborted = false;
  #promoted = 0;
  #demoted = 0;
  // Nodes below this id hold their declared resources (acquired in id order when the run
  // starts): a run cancelled before, or stopped by a failed acquisition, releases only those.
  #acquiredBelow = 0;
  readonly #controller = new AbortController();
  readonly #pump: Pump;
  readonly #timers = new Map<NodeId, TimerId>();
  #preds: { off: Int32Array; adj: Int32Array } | null = null;
  #signal: AbortSignal | undefined;
  #onSignal: (() => void) | undefined;
  #resolve!: (report: GraphRunReport) => void;
  #reject!: (error: CallbackGraphError) => void;
  readonly promise: Promise<GraphRunReport>;

  constructor(graph: FrozenGraph, config: RunConfig) {
    this.#g = graph;
    this.#cfg = config;
    this.#callbacks = graph.callbacks;
    this.#meta = graph.meta;
    this.#pending = graph.pending;
    this.#status = graph.status;
    this.#off = graph.off;
    this.#adj = graph.adj;
    const prioritised = graph.priority !== null || config.adaptive !== undefined;
    this.#fifo = prioritised ? null : (graph.scratch ?? new Int32Array(graph.n));
    this.#heap = prioritised ? new LevelQueue<number>() : null;
    this.#slowAll = config.timeoutMs !== undefined;
    this.#slowAny = this.#slowAll || graph.nodesWithOptions > 0;
    this.#pump = new Pump(this, config.sliceMs, config.clock);
    this.promise = new Promise<GraphRunReport>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Starts the run; callbacks begin on a later microtask, never inside this call. */
  start(signal: AbortSignal | undefined): void {
    const n = this.#g.n;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#abortBySignal(signal);
        return;
      }
      this.#signal = signal;
      this.#onSignal = () => this.#abortBySignal(signal);
      signal.addEventListener("abort", this.#onSignal, { once: true });
    }
    if (this.#cfg.resources !== undefined && !this.#acquireDeclared()) return;
    const pending = this.#pending;
    for (let v = 0; v < n; v++) if (pending[v] === 0) this.#enqueue(v);
    if (n === 0) this.#finish();
    else this.#pump.wake();
  }

  /** Whether the run has settled. */
  get finished(): boolean {
    return this.#finished;
  }

  // ---- the drain loop -------------------------------------------------------------------

  /** One turn of the drain loop (called by the pump). */
  turn(): void {
    if (this.#finished) return;
    if (this.#fifo !== null && !this.#slowAny) {
      this.#drainPlain(this.#fifo);
      return;
    }
    let budget = this.#cfg.batchSize;
    const concurrency = this.#cfg.concurrency;
    const fifo = this.#fifo;
    const heap = this.#heap;
    while (budget > 0 && this.#inFlight < concurrency) {
      let v: number;
      if (fifo !== null) {
        if (this.#head === this.#tail) break;
        v = fifo[this.#head++]!;
      } else {
        if (heap!.size === 0) break;
        v = heap!.pop()!;
      }
      budget--;
      this.#execute(v);
      if (this.#finished) return;
    }
    this.#continue();
  }

  /**
   * The drain loop of a FIFO graph whose nodes have no options (the million-node case): the
   * node step of {@link GraphRun.#execute} inlined, with the queue cursors in locals. Anything
   * unusual (a throw, a promise, a skipped dependent) goes through the general methods, with
   * the cursors written back before and re-read after.
   */
  #drainPlain(fifo: Int32Array): void {
    let budget = this.#cfg.batchSize;
    const concurrency = this.#cfg.concurrency;
    const callbacks = this.#callbacks;
    const status = this.#status;
    const off = this.#off;
    const adj = this.#adj;
    const pending = this.#pending;
    let head = this.#head;
    let tail = this.#tail;
    let ran = 0;
    while (budget > 0 && head !== tail && this.#inFlight < concurrency) {
      budget--;
      const v = fifo[head++]!;
      status[v] = RUNNING;
      const fn = callbacks[v]!;
      let result: unknown;
      try {
        result = fn();
      } catch (error) {
        // The callback aborted the run (its signal) before throwing: the run is over.
        if (status[v] !== RUNNING) return;
        this.#head = head;
        this.#tail = tail;
        this.#settled += ran;
        ran = 0;
        this.#fail(v, error, undefined);
        if (this.#finished) return;
        tail = this.#tail;
        continue;
      }
      if (status[v] !== RUNNING) {
        // The callback aborted the run: nothing else may start, its status stays "cancelled",
        // and a promise it returned is only settled (never an unhandled rejection).
        if (isThenable(result)) this.#awaitResult(v, result, undefined, 0, undefined);
        return;
      }
      if (result !== undefined) {
        if (isThenable(result)) {
          // A hand-made thenable may call back synchronously and queue dependents right here.
          this.#head = head;
          this.#tail = tail;
          this.#settled += ran;
          ran = 0;
          this.#awaitResult(v, result, undefined, 0, undefined);
          if (this.#finished) return;
          tail = this.#tail;
          continue;
        }
        this.#store(v, result);
      }
      status[v] = OK;
      ran++;
      for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
        const w = adj[e]!;
        const left = --pending[w]!;
        if (left === 0) {
          fifo[tail++] = w;
        } else if (left === POISONED) {
          this.#tail = tail;
          this.#skip(w);
          tail = this.#tail;
        }
      }
    }
    this.#head = head;
    this.#tail = tail;
    this.#settled += ran;
    this.#continue();
  }

  /** After progress: finish, schedule the next turn, or wait for async callbacks. */
  #continue(): void {
    if (this.#finished) return;
    if (this.#settled === this.#g.n) {
      this.#finish();
      return;
    }
    const queued = this.#fifo !== null ? this.#tail - this.#head : this.#heap!.size;
    if (queued > 0 && this.#inFlight < this.#cfg.concurrency) this.#pump.request();
  }

  #execute(v: number): void {
    if (this.#slowAny) {
      const meta = this.#meta[v];
      if (meta !== undefined || this.#slowAll) {
        this.#executeWithOptions(v, meta);
        return;
      }
    }
    this.#status[v] = RUNNING;
    let result: unknown;
    const fn = this.#callbacks[v]!;
    try {
      result = fn();
    } catch (error) {
      if (this.#status[v] === RUNNING) this.#fail(v, error, undefined);
      return;
    }
    if (result !== undefined && isThenable(result)) {
      this.#awaitResult(v, result, undefined, 0, undefined);
      return;
    }
    // The callback aborted the run: its status stays "cancelled", its value unreported.
    if (this.#status[v] !== RUNNING) return;
    if (result !== undefined) this.#store(v, result);
    this.#status[v] = OK;
    this.#settled++;
    const off = this.#off;
    const adj = this.#adj;
    const pending = this.#pending;
    const fifo = this.#fifo;
    for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
      const w = adj[e]!;
      const left = --pending[w]!;
      if (left === 0) {
        if (fifo !== null) fifo[this.#tail++] = w;
        else this.#enqueue(w);
      } else if (left === POISONED) {
        this.#skip(w);
      }
    }
  }

  #store(v: number, value: unknown): void {
    let values = this.#values;
    if (values === null) {
      // Pushed, not `new Array(n)`: V8 makes a large pre-sized array a slow dictionary.
      values = [];
      for (let i = 0; i < this.#g.n; i++) values.push(undefined);
      this.#values = values;
    }
    values[v] = value;
  }

  #executeWithOptions(v: number, meta: NodeMeta | undefined): void {
    const timeoutMs = meta?.timeoutMs ?? this.#cfg.timeoutMs;
    const key = this.#cfg.adaptive !== undefined ? meta?.label : undefined;
    const clock = this.#cfg.clock;
    const measure = timeoutMs !== undefined || key !== undefined;
    let nodeController: AbortController | undefined;
    let context: NodeContext | undefined;
    if (meta?.wantsContext === true) {
      let signal = this.#controller.signal;
      if (timeoutMs !== undefined) {
        nodeController = new AbortController();
        signal = AbortSignal.any([signal, nodeController.signal]);
      }
      context = new GraphNodeContext(this, v, meta, signal);
    }
    this.#status[v] = RUNNING;
    const t0 = measure ? clock.now() : 0;
    let result: unknown;
    try {
      const fn = this.#callbacks[v]!;
      result = context === undefined ? fn() : fn(context);
    } catch (error) {
      if (key !== undefined) this.#learn(key, clock.now() - t0, meta);
      this.#releaseResources(v, meta);
      if (this.#status[v] === RUNNING) this.#fail(v, error, meta);
      return;
    }
    if (isThenable(result)) {
      this.#awaitResult(v, result, meta, t0, timeoutMs, nodeController);
      return;
    }
    const elapsed = measure ? clock.now() - t0 : 0;
    if (key !== undefined) this.#learn(key, elapsed, meta);
    this.#releaseResources(v, meta);
    // The callback aborted the run: its status stays "cancelled".
    if (this.#status[v] !== RUNNING) return;
    if (timeoutMs !== undefined && elapsed > timeoutMs * 1e6) {
      this.#fail(v, this.#timeoutError(v, timeoutMs), meta);
      return;
    }
    this.#succeed(v, result);
  }

  #awaitResult(
    v: number,
    promise: PromiseLike<unknown>,
    meta: NodeMeta | undefined,
    t0: number,
    timeoutMs: number | undefined,
    nodeController?: AbortController,
  ): void {
    this.#inFlight++;
    // A callback that aborted the run still gets its outcome consumed below, but no timer.
    if (timeoutMs !== undefined && !this.#finished) {
      const onTimeout = (): void => {
        this.#timers.delete(v);
        if (this.#finished || this.#status[v] !== RUNNING) return;
        this.#inFlight--;
        const error = this.#timeoutError(v, timeoutMs);
        nodeController?.abort(error);
        this.#fail(v, error, meta);
        this.#continue();
      };
      try {
        this.#timers.set(v, this.#cfg.clock.setTimer(timeoutMs * 1e6, onTimeout));
      } catch (error) {
        // A clock that refuses the timer: without it the node could wait forever, so it fails
        // now, with the clock's error as the cause. Its promise is still consumed below, and
        // its settling then counts nothing twice, the node being no longer running.
        this.#inFlight--;
        this.#fail(v, error, meta);
        this.#continue();
      }
    }
    let settled = false;
    const settle = (ok: boolean, outcome: unknown): void => {
      // A hand-made thenable may call both of its callbacks, or one twice: release once.
      if (settled) return;
      settled = true;
      this.#releaseResources(v, meta);
      // A callback that timed out or was cancelled already has its outcome in the report.
      if (this.#finished || this.#status[v] !== RUNNING) return;
      this.#inFlight--;
      const timer = this.#timers.get(v);
      if (timer !== undefined) {
        this.#timers.delete(v);
        this.#cfg.clock.clearTimer(timer);
      }
      const key = this.#cfg.adaptive !== undefined ? meta?.label : undefined;
      if (key !== undefined) this.#learn(key, this.#cfg.clock.now() - t0, meta);
      if (ok) this.#succeed(v, outcome);
      else this.#fail(v, outcome, meta);
      this.#continue();
    };
    try {
      promise.then(
        (value) => settle(true, value),
        (error) => settle(false, error),
      );
    } catch (error) {
      settle(false, error);
    }
  }

  #learn(key: string, elapsedNs: number, meta: NodeMeta | undefined): void {
    const change = this.#cfg.adaptive!.record(key, elapsedNs / 1e6, meta?.expectedMs);
    if (change === "promoted") this.#promoted++;
    else if (change === "demoted") this.#demoted++;
  }

  // ---- completion and error policies ------------------------------------------------------

  #succeed(v: number, value: unknown): void {
    if (value !== undefined) this.#store(v, value);
    this.#status[v] = OK;
    this.#settled++;
    this.#releaseDependents(v, false);
  }

  #fail(v: number, thrown: unknown, meta: NodeMeta | undefined): void {
    const label = this.#g.label(v);
    const error =
      NpuError.isInstance(thrown, "CALLBACK_TIMEOUT") && thrown.details?.node === v
        ? thrown
        : new NpuError("CALLBACK_FAILED", `callback ${this.#g.text(v)} failed: ${messageOf(thrown)}`, {
            cause: thrown,
            details: { node: v, label },
          });
    this.#failures.push({ node: v, label, error });
    this.#errors.set(v, error);
    this.#status[v] = FAILED;
    this.#settled++;
    const policy = meta?.policy ?? this.#cfg.policy;
    if (policy === "abort") this.#abort(error);
    else this.#releaseDependents(v, policy === "skip");
  }

  #timeoutError(v: number, timeoutMs: number): NpuError {
    const label = this.#g.label(v);
    return new NpuError(
      "CALLBACK_TIMEOUT",
      `callback ${this.#g.text(v)} did not finish within ${timeoutMs} ms`,
      {
        details: { node: v, label, timeoutMs },
      },
    );
  }

  #releaseDependents(v: number, poison: boolean): void {
    const off = this.#off;
    const adj = this.#adj;
    const pending = this.#pending;
    for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
      const w = adj[e]!;
      if (poison) pending[w]! |= POISONED;
      const left = --pending[w]!;
      if (left === 0) this.#enqueue(w);
      else if (left === POISONED) this.#skip(w);
    }
  }

  /** Skips `w`, whose dependencies all settled and one failed under "skip", and its dependents. */
  #skip(w: number): void {
    // Iterative, so a long chain of skipped nodes cannot overflow the stack.
    const stack = [w];
    const off = this.#off;
    const adj = this.#adj;
    const pending = this.#pending;
    const status = this.#status;
    while (stack.length > 0) {
      const x = stack.pop()!;
      pending[x] = 0;
      status[x] = SKIPPED;
      this.#settled++;
      this.#releaseResources(x, this.#meta[x]);
      for (let e = off[x]!, end = off[x + 1]!; e < end; e++) {
        const y = adj[e]!;
        pending[y]! |= POISONED;
        if (--pending[y]! === POISONED) stack.push(y);
      }
    }
  }

  #enqueue(w: number): void {
    if (this.#fifo !== null) {
      this.#fifo[this.#tail++] = w;
      return;
    }
    const base = this.#g.priority === null ? 0 : this.#g.priority[w]!;
    const adaptive = this.#cfg.adaptive;
    const label = adaptive === undefined ? undefined : this.#meta[w]?.label;
    this.#heap!.push(w, label === undefined ? base : adaptive!.priorityOf(label, base));
  }

  #abortBySignal(signal: AbortSignal): void {
    if (this.#finished) return;
    this.#signalAborted = true;
    const error = new NpuError("ABORTED", "the graph run was aborted by its signal", {
      cause: signal.reason,
    });
    this.#failures.push({ node: undefined, label: "run", error });
    this.#abort(error);
  }

  /** Stops the run: nothing else starts; every unfinished node is cancelled. */
  #abort(reason: NpuError): void {
    if (this.#finished) return;
    const status = this.#status;
    for (let v = 0; v < this.#g.n; v++) {
      const s = status[v]!;
      if (s === OK || s === FAILED || s === SKIPPED) continue;
      status[v] = CANCELLED;
      // A running callback keeps its resources until it actually settles.
      if (s !== RUNNING) this.#releaseResources(v, this.#meta[v]);
    }
    this.#controller.abort(reason);
    this.#finish();
  }

  // ---- resources --------------------------------------------------------------------------

  /** Acquires every declared resource up front, so each lives until its last holder is done. */
  #acquireDeclared(): boolean {
    const manager = this.#cfg.resources!;
    const meta = this.#meta;
    for (let v = 0; v < this.#g.n; v++) {
      this.#acquiredBelow = v;
      const keys = meta[v]?.resources;
      if (keys === undefined) continue;
      const holder = this.#g.label(v);
      for (let i = 0; i < keys.length; i++) {
        try {
          manager.acquire(keys[i]!, holder);
        } catch (error) {
          for (let j = 0; j < i; j++) manager.release(keys[j]!, holder);
          this.#fail(v, error, { ...meta[v]!, policy: "abort" });
          return false;
        }
      }
    }
    this.#acquiredBelow = this.#g.n;
    return true;
  }

  #releaseResources(v: number, meta: NodeMeta | undefined): void {
    const keys = meta?.resources;
    const manager = this.#cfg.resources;
    if (keys === undefined || manager === undefined || v >= this.#acquiredBelow) return;
    const holder = this.#g.label(v);
    for (const key of keys) {
      try {
        manager.release(key, holder);
      } catch (error) {
        // A dispose that throws is a failure of this node's clean-up: reported, not lost.
        const label = this.#g.label(v);
        const wrapped = new NpuError(
          "CALLBACK_FAILED",
          `releasing resource ${quoted(key)} of ${this.#g.text(v)} failed`,
          {
            cause: error,
            details: { node: v, label, resource: key },
          },
        );
        if (!this.#finished) this.#failures.push({ node: v, label, error: wrapped });
        // A callback cancelled while running lets go after the report was delivered: there is
        // no report left to carry it, but it must not vanish either.
        else console.error("[npurt] a resource's dispose threw after its graph run ended", wrapped);
      }
    }
  }

  // ---- context support --------------------------------------------------------------------

  /** Whether node `v` is no longer running (its context is stale). */
  isSettled(v: number): boolean {
    return this.#finished || this.#status[v] !== RUNNING;
  }

  /** A declared resource's value, for {@link NodeContext.resource}. */
  resource(v: number, meta: NodeMeta, key: string): unknown {
    if (meta.resources?.includes(key) !== true) {
      throw new NpuError("INVALID_PARAM", `${this.#g.text(v)} did not declare resource ${quoted(key)}`, {
        details: { node: v, resource: key },
      });
    }
    return this.#cfg.resources!.get(key);
  }

  inputs(v: number): NodeInput[] {
    const preds = this.#predecessors();
    const out: NodeInput[] = [];
    for (let e = preds.off[v]!, end = preds.off[v + 1]!; e < end; e++) {
      const u = preds.adj[e]!;
      const status = statusName(this.#status[u]!);
      out.push({
        node: u,
        label: this.#g.label(u),
        status,
        value: this.#values?.[u],
        error: this.#errors.get(u),
      });
    }
    return out;
  }

  /** Reverse CSR, built on first use: only callbacks that read their inputs pay for it. */
  #predecessors(): { off: Int32Array; adj: Int32Array } {
    if (this.#preds !== null) return this.#preds;
    const n = this.#g.n;
    const off = this.#off;
    const adj = this.#adj;
    const poff = new Int32Array(n + 1);
    for (let e = 0; e < adj.length; e++) poff[adj[e]! + 1]!++;
    for (let v = 0; v < n; v++) poff[v + 1]! += poff[v]!;
    const cursor = poff.slice(0, n);
    const padj = new Int32Array(adj.length);
    for (let u = 0; u < n; u++) {
      for (let e = off[u]!, end = off[u + 1]!; e < end; e++) padj[cursor[adj[e]!]!++] = u;
    }
    this.#preds = { off: poff, adj: padj };
    return this.#preds;
  }

  // ---- the end ----------------------------------------------------------------------------

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const timer of this.#timers.values()) this.#cfg.clock.clearTimer(timer);
    this.#timers.clear();
    if (this.#signal !== undefined && this.#onSignal !== undefined) {
      this.#signal.removeEventListener("abort", this.#onSignal);
    }
    const report = runReport(
      this.#status,
      this.#values ?? [],
      this.#failures,
      // Aborting the run is aborting the signal its callbacks see.
      this.#controller.signal.aborted,
      { promoted: this.#promoted, demoted: this.#demoted },
      this.#cfg.resources?.leaks() ?? [],
    );
    if (report.ok) this.#resolve(report);
    else this.#reject(new CallbackGraphError(report, this.#signalAborted));
  }
}

// V8 keeps the hidden class (map) of a class's instances only while some instance lives: when
// a full collection finds none, the map dies, every optimised function that saw it is thrown
// away, and the next run starts cold (measured: a 1e5-node run took 10× longer after a full
// GC). Idle, never-used instances keep the maps of the per-run classes alive.
const NO_NODES = new Int32Array(0);
/** Idle instances that keep hot classes' hidden classes alive; never used otherwise. */
export const mapAnchors: readonly unknown[] = [
  new GraphRun(
    {
      n: 0,
      callbacks: [],
      meta: [],
      pending: NO_NODES,
      status: new Uint8Array(0),
      off: NO_NODES,
      adj: NO_NODES,
      priority: null,
      nodesWithOptions: 0,
      scratch: null,
      label: String,
      text: String,
    },
    {
      policy: "skip",
      batchSize: 16,
      concurrency: 64,
      timeoutMs: undefined,
      clock: wallClock(),
      adaptive: undefined,
      resources: undefined,
      sliceMs: 10,
    },
  ),
  new LevelQueue<number>(),
];
