import { wallClock } from "@npurt/core";
import { isThenable } from "./async.js";
import { LevelQueue } from "./level-queue.js";
import { NodeExecution } from "./node-execution.js";
import { OK, POISONED, RUNNING } from "./node-status.js";

/**
 * Executes one frozen graph once: Kahn's algorithm with a batched, bounded drain loop. This is
 * the drain loop and the start; the layers below hold the rest ({@link NodeExecution}: nodes
 * with options and async results; {@link RunOutcomes}: error policies, cancellation and
 * resources; {@link RunState}: the state, the ready queue and the report).
 */
export class GraphRun extends NodeExecution {
  /** Starts the run; callbacks begin on a later microtask, never inside this call. */
  start(signal: AbortSignal | undefined): void {
    const n = this.g.n;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.abortBySignal(signal);
        return;
      }
      this.signal = signal;
      this.onSignal = () => this.abortBySignal(signal);
      signal.addEventListener("abort", this.onSignal, { once: true });
    }
    if (this.cfg.resources !== undefined && !this.acquireDeclared()) return;
    const pending = this.pending;
    for (let v = 0; v < n; v++) if (pending[v] === 0) this.enqueue(v);
    if (n === 0) this.finish();
    else this.pump.wake();
  }

  // ---- the drain loop -------------------------------------------------------------------

  /** One turn of the drain loop (called by the pump). */
  override turn(): void {
    if (this.done) return;
    if (this.fifo !== null && !this.slowAny) {
      this.#drainPlain(this.fifo);
      return;
    }
    let budget = this.cfg.batchSize;
    const concurrency = this.cfg.concurrency;
    const fifo = this.fifo;
    const heap = this.heap;
    while (budget > 0 && this.inFlight < concurrency) {
      let v: number;
      if (fifo !== null) {
        if (this.head === this.tail) break;
        v = fifo[this.head++]!;
      } else {
        if (heap!.size === 0) break;
        v = heap!.pop()!;
      }
      budget--;
      this.#execute(v);
      if (this.done) return;
    }
    this.afterProgress();
  }

  /**
   * The drain loop of a FIFO graph whose nodes have no options (the million-node case): the
   * node step of {@link GraphRun.#execute} inlined, with the queue cursors in locals. Anything
   * unusual (a throw, a promise, a skipped dependent) goes through the general methods, with
   * the cursors written back before and re-read after.
   */
  #drainPlain(fifo: Int32Array): void {
    let budget = this.cfg.batchSize;
    const concurrency = this.cfg.concurrency;
    const callbacks = this.callbacks;
    const status = this.status;
    const off = this.off;
    const adj = this.adj;
    const pending = this.pending;
    let head = this.head;
    let tail = this.tail;
    let ran = 0;
    while (budget > 0 && head !== tail && this.inFlight < concurrency) {
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
        this.head = head;
        this.tail = tail;
        this.settled += ran;
        ran = 0;
        this.fail(v, error, undefined);
        if (this.done) return;
        tail = this.tail;
        continue;
      }
      if (status[v] !== RUNNING) {
        // The callback aborted the run: nothing else may start, its status stays "cancelled",
        // and a promise it returned is only settled (never an unhandled rejection).
        if (isThenable(result)) this.awaitResult(v, result, undefined, 0, undefined);
        return;
      }
      if (result !== undefined) {
        if (isThenable(result)) {
          // A hand-made thenable may call back synchronously and queue dependents right here.
          this.head = head;
          this.tail = tail;
          this.settled += ran;
          ran = 0;
          this.awaitResult(v, result, undefined, 0, undefined);
          if (this.done) return;
          tail = this.tail;
          continue;
        }
        this.store(v, result);
      }
      status[v] = OK;
      ran++;
      for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
        const w = adj[e]!;
        const left = --pending[w]!;
        if (left === 0) {
          fifo[tail++] = w;
        } else if (left === POISONED) {
          this.tail = tail;
          this.skip(w);
          tail = this.tail;
        }
      }
    }
    this.head = head;
    this.tail = tail;
    this.settled += ran;
    this.afterProgress();
  }

  #execute(v: number): void {
    if (this.slowAny) {
      const meta = this.meta[v];
      if (meta !== undefined || this.slowAll) {
        this.executeWithOptions(v, meta);
        return;
      }
    }
    this.status[v] = RUNNING;
    let result: unknown;
    const fn = this.callbacks[v]!;
    try {
      result = fn();
    } catch (error) {
      if (this.status[v] === RUNNING) this.fail(v, error, undefined);
      return;
    }
    if (result !== undefined && isThenable(result)) {
      this.awaitResult(v, result, undefined, 0, undefined);
      return;
    }
    // The callback aborted the run: its status stays "cancelled", its value unreported.
    if (this.status[v] !== RUNNING) return;
    if (result !== undefined) this.store(v, result);
    this.status[v] = OK;
    this.settled++;
    const off = this.off;
    const adj = this.adj;
    const pending = this.pending;
    const fifo = this.fifo;
    for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
      const w = adj[e]!;
      const left = --pending[w]!;
      if (left === 0) {
        if (fifo !== null) fifo[this.tail++] = w;
        else this.enqueue(w);
      } else if (left === POISONED) {
        this.skip(w);
      }
    }
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
