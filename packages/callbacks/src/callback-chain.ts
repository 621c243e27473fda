import { NpuError, NpuTypeError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import {
  CallbackGraph,
  type CallbackGraphOptions,
  type GraphRunOptions,
  type NodeOptions,
} from "./callback-graph.js";
import type { ErrorPolicy } from "./error-policy.js";
import type { CallbackGraphError } from "./graph-report.js";
import { optionReadError } from "./internal/options.js";
import type { NodeContext } from "./node-context.js";

/** One step of a chain: receives the previous step's result (the chain's input for the first). */
export type ChainStep<I, O> = (input: I, context: NodeContext) => O | PromiseLike<O>;

/** Options of one chain step (a subset of a graph node's). */
export interface ChainStepOptions {
  /** Names the step in errors and keys adaptive priority. */
  readonly label?: string;
  /** Ready-queue priority against other work of the same run. */
  readonly priority?: number;
  /** Expected duration in ms, for adaptive priority. */
  readonly expectedDurationMs?: number;
  /** Fails the step with `CALLBACK_TIMEOUT` after this many ms, in (0, 9007199254]. */
  readonly timeoutMs?: number;
  /**
   * What a failure of this step does. Default: the chain's policy, `"abort"` unless the run
   * says otherwise. Under `"continue"` the next step receives the last successful value (a
   * failed step passes its input on); under `"skip"` the remaining steps are
   * skipped.
   */
  readonly errorPolicy?: ErrorPolicy;
  /** Resource keys held from the start of the run until this step is done. */
  readonly resources?: readonly string[];
}

/** What a chain's completion callback receives. */
export type ChainOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: CallbackGraphError | NpuError };

/** Options of {@link CallbackChain.run}: the graph options plus a signal. */
export interface ChainRunOptions extends GraphRunOptions, Omit<CallbackGraphOptions, "cycleCheck"> {}

interface StepDef {
  readonly fn: ChainStep<unknown, unknown>;
  readonly options: ChainStepOptions | undefined;
}

type CompletionCallback = (outcome: ChainOutcome<unknown>) => void;

// Module-private access to chains' steps, for combineChains (set in the class's static block).
let stepsOf: (chain: CallbackChain<unknown, unknown>) => StepList;
let fromSteps: (steps: StepDef[]) => CallbackChain<unknown, unknown>;

/**
 * A chain's steps: the first `length` entries of `store`. Chains built from one another share
 * one store, and an entry below any chain's `length` is never changed, so every chain still
 * sees exactly its own steps (see {@link CallbackChain.step}).
 */
interface StepList {
  readonly store: StepDef[];
  readonly length: number;
}

/**
 * A linear callback chain built fluently (an inference pipeline's pre-processing, inference and
 * post-processing, say): each step runs after the previous one and receives its result; a final
 * completion callback sees the outcome. Chains are immutable templates: every `step` returns a
 * new chain (the old one is unchanged), and each `run` executes a fresh {@link CallbackGraph},
 * so one chain serves many requests at once. Combine chains with {@link combineChains}.
 *
 * Building is O(1) per step (amortised): a new chain shares its parent's steps instead of
 * copying them, so a chain of a million steps builds in linear time.
 *
 * @example
 * ```ts
 * const infer = CallbackChain.start<Float32Array>()
 *   .step((x) => normalise(x), { label: "normalise" })
 *   .step(async (x) => model.forward(x), { label: "forward", timeoutMs: 50 })
 *   .onComplete((outcome) => metrics.record(outcome.ok));
 * const logits = await infer.run(input);
 * ```
 *
 * @typeParam I - the input of the first step.
 * @typeParam O - the result of the last step.
 */
export class CallbackChain<I, O> {
  readonly #steps: StepList;
  readonly #onComplete: CompletionCallback | undefined;

  private constructor(steps: StepList, onComplete: CompletionCallback | undefined) {
    this.#steps = steps;
    this.#onComplete = onComplete;
  }

  /** An empty chain whose first step will receive an input of type `I`. */
  static start<I = void>(): CallbackChain<I, I> {
    return new CallbackChain<I, I>({ store: [], length: 0 }, undefined);
  }

  static {
    stepsOf = (chain) => chain.#steps;
    fromSteps = (store) => new CallbackChain({ store, length: store.length }, undefined);
  }

  /** Number of steps. */
  get length(): number {
    return this.#steps.length;
  }

  /**
   * A new chain with `fn` appended: it runs after the current last step with its result.
   * This chain is unchanged.
   *
   * @throws NpuTypeError when `fn` is not a function or `options` is not an object.
   */
  step<N>(fn: ChainStep<O, N>, options?: ChainStepOptions): CallbackChain<I, Awaited<N>> {
    check.func(fn, "chain step");
    const def: StepDef = { fn: fn as ChainStep<unknown, unknown>, options: stepOptionsOf(options) };
    const { store, length } = this.#steps;
    // The first chain to extend a store appends in place (Go's slice append): the entries the
    // other chains see stay as they are. A second extension of the same chain (a branch) finds
    // the slot taken and copies its own prefix, so the common linear build never copies.
    let next: StepDef[];
    if (store.length === length) {
      next = store;
    } else {
      next = store.slice(0, length);
    }
    next.push(def);
    return new CallbackChain<I, Awaited<N>>({ store: next, length: length + 1 }, this.#onComplete);
  }

  /**
   * A new chain with `callback` as its completion callback, called once per run with the
   * outcome, success or failure.
   */
  onComplete(callback: (outcome: ChainOutcome<O>) => void): CallbackChain<I, O> {
    check.func(callback, "completion callback");
    return new CallbackChain<I, O>(this.#steps, callback as CompletionCallback);
  }

  /**
   * Runs the chain on `input`; resolves with the last step's result (or `input` for an empty
   * chain). Rejects with the run's {@link CallbackGraphError} when a step failed (its report
   * lists every failure and step status), after the completion callback has seen it.
   */
  async run(input: I, options: ChainRunOptions = {}): Promise<O> {
    let signal: AbortSignal | undefined;
    let graphOptions: CallbackGraphOptions;
    try {
      ({ signal, ...graphOptions } = check.options(options, "chain run options"));
    } catch (error) {
      throw optionReadError(error, "chain run options");
    }
    const graph = new CallbackGraph({ errorPolicy: "abort", ...graphOptions });
    // What each step received: a step after a failed one (under "continue") gets the failed
    // step's own input, the last good value. Read from the graph's report rather than kept as
    // one running value, so a step that timed out and resolves late changes nothing.
    const received: unknown[] = [];
    let previous: number | undefined;
    const { store, length } = this.#steps;
    for (let i = 0; i < length; i++) {
      const { fn, options: stepOptions } = store[i]!;
      const index = received.length;
      received.push(undefined);
      const run = (context: NodeContext): unknown => {
        const before = context.inputs[0];
        const value =
          before === undefined ? input : before.status === "ok" ? before.value : received[index - 1];
        received[index] = value;
        return fn(value, context);
      };
      const nodeOptions: NodeOptions = {
        ...stepOptions,
        ...(previous === undefined ? {} : { dependsOn: [previous] }),
      };
      previous = graph.addNode(run, nodeOptions);
    }
    let outcome: ChainOutcome<O>;
    try {
      const report = await graph.run(signal === undefined ? {} : { signal });
      outcome = { ok: true, value: (previous === undefined ? input : report.value(previous)) as O };
    } catch (error) {
      outcome = { ok: false, error: error as CallbackGraphError };
    }
    if (this.#onComplete !== undefined) {
      try {
        this.#onComplete(outcome as ChainOutcome<unknown>);
      } catch (error) {
        throw new NpuError("CALLBACK_FAILED", "the chain's completion callback threw", {
          cause: error,
          details: { chainOutcome: outcome },
        });
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }
}

const STEP_OPTION_KEYS = [
  "label",
  "priority",
  "expectedDurationMs",
  "timeoutMs",
  "errorPolicy",
  "resources",
] as const satisfies readonly (keyof ChainStepOptions)[];

/**
 * A step's options, copied when the step is added: every run then sees the same values (a
 * getter or Proxy cannot change them between runs), and a getter that throws fails `step()`
 * with a `TypeError` instead of failing every later run. The values are checked by each run's
 * graph, like a node's.
 */
function stepOptionsOf(options: ChainStepOptions | undefined): ChainStepOptions | undefined {
  if (options === undefined) return undefined;
  try {
    const o = check.options(options, "step options") as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of STEP_OPTION_KEYS) {
      const value = o[key];
      if (value !== undefined) copy[key] = value;
    }
    return copy as ChainStepOptions;
  } catch (error) {
    throw optionReadError(error, "step options");
  }
}

/**
 * One chain made of several, run back to back (feature extraction, inference and
 * post-processing, say): each part's first step receives the previous
 * part's result. The parts' completion callbacks are not carried over (a part's end is not
 * the combined chain's end); set one on the result.
 *
 * @example
 * ```ts
 * const pipeline = combineChains(features, inference, postprocess);
 * const ranking = await pipeline.run(request);
 * ```
 */
export function combineChains<A, B, C>(
  first: CallbackChain<A, B>,
  second: CallbackChain<B, C>,
): CallbackChain<A, C>;
export function combineChains<A, B, C, D>(
  first: CallbackChain<A, B>,
  second: CallbackChain<B, C>,
  third: CallbackChain<C, D>,
): CallbackChain<A, D>;
export function combineChains<A, B, C, D, E>(
  first: CallbackChain<A, B>,
  second: CallbackChain<B, C>,
  third: CallbackChain<C, D>,
  fourth: CallbackChain<D, E>,
): CallbackChain<A, E>;
export function combineChains(...chains: CallbackChain<unknown, unknown>[]): CallbackChain<unknown, unknown>;
/**
 * The same with the parts in one array: for very many parts, which a call's argument list
 * cannot hold (spreading a million parts into `combineChains(...parts)` overflows the stack).
 */
export function combineChains(
  chains: readonly CallbackChain<unknown, unknown>[],
): CallbackChain<unknown, unknown>;
export function combineChains(
  ...args: (CallbackChain<unknown, unknown> | readonly CallbackChain<unknown, unknown>[])[]
): CallbackChain<unknown, unknown> {
  const first = args[0];
  const chains = args.length === 1 && Array.isArray(first) ? first : args;
  const steps: StepDef[] = [];
  // Indexed loops, not spreads or iterators: a spread of a long chain's steps into push() is
  // one call with that many arguments (a RangeError past about 1e5), and an index also visits
  // the holes of a sparse array, which are refused below instead of silently skipped.
  for (let i = 0; i < chains.length; i++) {
    const chain: unknown = chains[i];
    if (!(chain instanceof CallbackChain)) {
      throw new NpuTypeError(`combineChains: part ${i} is not a CallbackChain`);
    }
    const { store, length } = stepsOf(chain);
    for (let j = 0; j < length; j++) steps.push(store[j]!);
  }
  return fromSteps(steps);
}
