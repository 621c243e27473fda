import { NpuError } from "@npurt/core";
import type { NodeContext, NodeInput } from "../node-context.js";
import { isThenable } from "./async.js";
import { type ContextHost, GraphNodeContext } from "./graph-node-context.js";
import type { NodeMeta } from "./node-meta.js";
import { RUNNING, statusName } from "./node-status.js";
import { quoted } from "./report-text.js";
import { RunOutcomes } from "./run-outcomes.js";

/**
 * How a node runs off the drain loop's fast path: with options (a {@link NodeContext}, a
 * timeout, adaptive timing, declared resources), and how a promise a callback returns settles
 * (timed out, failed or succeeded, exactly once). Also what a node's context asks of the run.
 */
export abstract class NodeExecution extends RunOutcomes implements ContextHost {
  #preds: { off: Int32Array; adj: Int32Array } | null = null;

  protected executeWithOptions(v: number, meta: NodeMeta | undefined): void {
    const timeoutMs = meta?.timeoutMs ?? this.cfg.timeoutMs;
    const key = this.cfg.adaptive !== undefined ? meta?.label : undefined;
    const clock = this.cfg.clock;
    const measure = timeoutMs !== undefined || key !== undefined;
    let nodeController: AbortController | undefined;
    let context: NodeContext | undefined;
    if (meta?.wantsContext === true) {
      let signal = this.controller.signal;
      if (timeoutMs !== undefined) {
        nodeController = new AbortController();
        signal = AbortSignal.any([signal, nodeController.signal]);
      }
      context = new GraphNodeContext(this, v, meta, signal);
    }
    this.status[v] = RUNNING;
    const t0 = measure ? clock.now() : 0;
    let result: unknown;
    try {
      const fn = this.callbacks[v]!;
      result = context === undefined ? fn() : fn(context);
    } catch (error) {
      if (key !== undefined) this.#learn(key, clock.now() - t0, meta);
      this.releaseResources(v, meta);
      if (this.status[v] === RUNNING) this.fail(v, error, meta);
      return;
    }
    if (isThenable(result)) {
      this.awaitResult(v, result, meta, t0, timeoutMs, nodeController);
      return;
    }
    const elapsed = measure ? clock.now() - t0 : 0;
    if (key !== undefined) this.#learn(key, elapsed, meta);
    this.releaseResources(v, meta);
    // The callback aborted the run: its status stays "cancelled".
    if (this.status[v] !== RUNNING) return;
    if (timeoutMs !== undefined && elapsed > timeoutMs * 1e6) {
      this.fail(v, this.#timeoutError(v, timeoutMs), meta);
      return;
    }
    this.succeed(v, result);
  }

  protected awaitResult(
    v: number,
    promise: PromiseLike<unknown>,
    meta: NodeMeta | undefined,
    t0: number,
    timeoutMs: number | undefined,
    nodeController?: AbortController,
  ): void {
    this.inFlight++;
    // A callback that aborted the run still gets its outcome consumed below, but no timer.
    if (timeoutMs !== undefined && !this.done) {
      const onTimeout = (): void => {
        this.timers.delete(v);
        if (this.done || this.status[v] !== RUNNING) return;
        this.inFlight--;
        const error = this.#timeoutError(v, timeoutMs);
        nodeController?.abort(error);
        this.fail(v, error, meta);
        this.afterProgress();
      };
      try {
        this.timers.set(v, this.cfg.clock.setTimer(timeoutMs * 1e6, onTimeout));
      } catch (error) {
        // A clock that refuses the timer: without it the node could wait forever, so it fails
        // now, with the clock's error as the cause. Its promise is still consumed below, and
        // its settling then counts nothing twice, the node being no longer running.
        this.inFlight--;
        this.fail(v, error, meta);
        this.afterProgress();
      }
    }
    let settled = false;
    const settle = (ok: boolean, outcome: unknown): void => {
      // A hand-made thenable may call both of its callbacks, or one twice: release once.
      if (settled) return;
      settled = true;
      this.releaseResources(v, meta);
      // A callback that timed out or was cancelled already has its outcome in the report.
      if (this.done || this.status[v] !== RUNNING) return;
      this.inFlight--;
      const timer = this.timers.get(v);
      if (timer !== undefined) {
        this.timers.delete(v);
        this.cfg.clock.clearTimer(timer);
      }
      const key = this.cfg.adaptive !== undefined ? meta?.label : undefined;
      if (key !== undefined) this.#learn(key, this.cfg.clock.now() - t0, meta);
      if (ok) this.succeed(v, outcome);
      else this.fail(v, outcome, meta);
      this.afterProgress();
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
    const change = this.cfg.adaptive!.record(key, elapsedNs / 1e6, meta?.expectedMs);
    if (change === "promoted") this.promoted++;
    else if (change === "demoted") this.demoted++;
  }

  #timeoutError(v: number, timeoutMs: number): NpuError {
    const label = this.g.label(v);
    return new NpuError(
      "CALLBACK_TIMEOUT",
      `callback ${this.g.text(v)} did not finish within ${timeoutMs} ms`,
      {
        details: { node: v, label, timeoutMs },
      },
    );
  }

  // ---- context support --------------------------------------------------------------------

  /** Whether node `v` is no longer running (its context is stale). */
  isSettled(v: number): boolean {
    return this.done || this.status[v] !== RUNNING;
  }

  /** A declared resource's value, for {@link NodeContext.resource}. */
  resource(v: number, meta: NodeMeta, key: string): unknown {
    if (meta.resources?.includes(key) !== true) {
      throw new NpuError("INVALID_PARAM", `${this.g.text(v)} did not declare resource ${quoted(key)}`, {
        details: { node: v, resource: key },
      });
    }
    return this.cfg.resources!.get(key);
  }

  inputs(v: number): NodeInput[] {
    const preds = this.#predecessors();
    const out: NodeInput[] = [];
    for (let e = preds.off[v]!, end = preds.off[v + 1]!; e < end; e++) {
      const u = preds.adj[e]!;
      const status = statusName(this.status[u]!);
      out.push({
        node: u,
        label: this.g.label(u),
        status,
        value: this.values?.[u],
        error: this.errors.get(u),
      });
    }
    return out;
  }

  /** Reverse CSR, built on first use: only callbacks that read their inputs pay for it. */
  #predecessors(): { off: Int32Array; adj: Int32Array } {
    if (this.#preds !== null) return this.#preds;
    const n = this.g.n;
    const off = this.off;
    const adj = this.adj;
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
}
