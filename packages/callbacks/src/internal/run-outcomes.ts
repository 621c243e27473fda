import { NpuError } from "@npurt/core";
import type { NodeMeta } from "./node-meta.js";
import { CANCELLED, FAILED, OK, POISONED, RUNNING, SKIPPED } from "./node-status.js";
import { messageOf, quoted } from "./report-text.js";
import { RunState } from "./run-state.js";

/**
 * What a settled node does to the run: a success releases its dependents; a failure is
 * recorded and handled by its error policy (continue, skip its dependents, abort the run);
 * an abort (the policy, or the run's signal) cancels every unfinished node. Also the declared
 * resources, acquired when the run starts and released as each holder settles.
 */
export abstract class RunOutcomes extends RunState {
  // Nodes below this id hold their declared resources (acquired in id order when the run
  // starts): a run cancelled before, or stopped by a failed acquisition, releases only those.
  #acquiredBelow = 0;

  // ---- completion and error policies ------------------------------------------------------

  protected succeed(v: number, value: unknown): void {
    if (value !== undefined) this.store(v, value);
    this.status[v] = OK;
    this.settled++;
    this.#releaseDependents(v, false);
  }

  protected fail(v: number, thrown: unknown, meta: NodeMeta | undefined): void {
    const label = this.g.label(v);
    const error =
      NpuError.isInstance(thrown, "CALLBACK_TIMEOUT") && thrown.details?.node === v
        ? thrown
        : new NpuError("CALLBACK_FAILED", `callback ${this.g.text(v)} failed: ${messageOf(thrown)}`, {
            cause: thrown,
            details: { node: v, label },
          });
    this.failures.push({ node: v, label, error });
    this.errors.set(v, error);
    this.status[v] = FAILED;
    this.settled++;
    const policy = meta?.policy ?? this.cfg.policy;
    if (policy === "abort") this.#abort(error);
    else this.#releaseDependents(v, policy === "skip");
  }

  #releaseDependents(v: number, poison: boolean): void {
    const off = this.off;
    const adj = this.adj;
    const pending = this.pending;
    for (let e = off[v]!, end = off[v + 1]!; e < end; e++) {
      const w = adj[e]!;
      if (poison) pending[w]! |= POISONED;
      const left = --pending[w]!;
      if (left === 0) this.enqueue(w);
      else if (left === POISONED) this.skip(w);
    }
  }

  /** Skips `w`, whose dependencies all settled and one failed under "skip", and its dependents. */
  protected skip(w: number): void {
    // Iterative, so a long chain of skipped nodes cannot overflow the stack.
    const stack = [w];
    const off = this.off;
    const adj = this.adj;
    const pending = this.pending;
    const status = this.status;
    while (stack.length > 0) {
      const x = stack.pop()!;
      pending[x] = 0;
      status[x] = SKIPPED;
      this.settled++;
      this.releaseResources(x, this.meta[x]);
      for (let e = off[x]!, end = off[x + 1]!; e < end; e++) {
        const y = adj[e]!;
        pending[y]! |= POISONED;
        if (--pending[y]! === POISONED) stack.push(y);
      }
    }
  }

  protected abortBySignal(signal: AbortSignal): void {
    if (this.done) return;
    this.signalAborted = true;
    const error = new NpuError("ABORTED", "the graph run was aborted by its signal", {
      cause: signal.reason,
    });
    this.failures.push({ node: undefined, label: "run", error });
    this.#abort(error);
  }

  /** Stops the run: nothing else starts; every unfinished node is cancelled. */
  #abort(reason: NpuError): void {
    if (this.done) return;
    const status = this.status;
    for (let v = 0; v < this.g.n; v++) {
      const s = status[v]!;
      if (s === OK || s === FAILED || s === SKIPPED) continue;
      status[v] = CANCELLED;
      // A running callback keeps its resources until it actually settles.
      if (s !== RUNNING) this.releaseResources(v, this.meta[v]);
    }
    this.controller.abort(reason);
    this.finish();
  }

  // ---- resources --------------------------------------------------------------------------

  /** Acquires every declared resource up front, so each lives until its last holder is done. */
  protected acquireDeclared(): boolean {
    const manager = this.cfg.resources!;
    const meta = this.meta;
    for (let v = 0; v < this.g.n; v++) {
      this.#acquiredBelow = v;
      const keys = meta[v]?.resources;
      if (keys === undefined) continue;
      const holder = this.g.label(v);
      for (let i = 0; i < keys.length; i++) {
        try {
          manager.acquire(keys[i]!, holder);
        } catch (error) {
          for (let j = 0; j < i; j++) manager.release(keys[j]!, holder);
          this.fail(v, error, { ...meta[v]!, policy: "abort" });
          return false;
        }
      }
    }
    this.#acquiredBelow = this.g.n;
    return true;
  }

  protected releaseResources(v: number, meta: NodeMeta | undefined): void {
    const keys = meta?.resources;
    const manager = this.cfg.resources;
    if (keys === undefined || manager === undefined || v >= this.#acquiredBelow) return;
    const holder = this.g.label(v);
    for (const key of keys) {
      try {
        manager.release(key, holder);
      } catch (error) {
        // A dispose that throws is a failure of this node's clean-up: reported, not lost.
        const label = this.g.label(v);
        const wrapped = new NpuError(
          "CALLBACK_FAILED",
          `releasing resource ${quoted(key)} of ${this.g.text(v)} failed`,
          {
            cause: error,
            details: { node: v, label, resource: key },
          },
        );
        if (!this.done) this.failures.push({ node: v, label, error: wrapped });
        // A callback cancelled while running lets go after the report was delivered: there is
        // no report left to carry it, but it must not vanish either.
        else console.error("[npurt] a resource's dispose threw after its graph run ended", wrapped);
      }
    }
  }
}
