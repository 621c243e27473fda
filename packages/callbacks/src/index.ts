/**
 * Host-side callback scheduling for npurt: callback graphs (DAGs) and chains, run by a
 * prioritised, batched, adaptive scheduler with error policies, timeouts, cancellation and a
 * reference-counted resource manager. {@link CallbackScheduler} also implements core's
 * `HostExecutor`, so stream host callbacks get priorities and batching.
 *
 * @example
 * ```ts
 * import { CallbackGraph, CallbackChain } from "@npurt/callbacks";
 *
 * const graph = new CallbackGraph({ errorPolicy: "skip" });
 * const a = graph.addNode(() => 2, { label: "a" });
 * const b = graph.addNode(async () => 3, { label: "b" });
 * const sum = graph.addNode((ctx) => ctx.inputs.reduce((s, i) => s + (i.value as number), 0), {
 *   dependsOn: [a, b],
 * });
 * const report = await graph.run();
 * report.value(sum); // 5
 *
 * const pipeline = CallbackChain.start<string>()
 *   .step((text) => text.split(" "))
 *   .step(async (words) => words.length);
 * await pipeline.run("a b c"); // 3
 * ```
 *
 * @packageDocumentation
 */

export {
  AdaptivePriorities,
  type AdaptivePrioritiesOptions,
  type AdaptiveStats,
  type PriorityChange,
} from "./adaptive-priorities.js";
export {
  CallbackChain,
  type ChainOutcome,
  type ChainRunOptions,
  type ChainStep,
  type ChainStepOptions,
  combineChains,
} from "./callback-chain.js";
export {
  CallbackGraph,
  type CallbackGraphOptions,
  type GraphCallback,
  type GraphRunOptions,
  type GraphState,
  type NodeOptions,
} from "./callback-graph.js";
export {
  CallbackScheduler,
  type CallbackSchedulerOptions,
  type ScheduleOptions,
  type SchedulerStats,
} from "./callback-scheduler.js";
export type { ErrorPolicy } from "./error-policy.js";
export {
  CallbackGraphError,
  type CycleReport,
  type GraphRunReport,
  type GraphValidation,
  type NodeCounts,
  type NodeDiagnostics,
  type NodeFailure,
  type NodeId,
  type NodeStatus,
} from "./graph-report.js";
export type { NodeContext, NodeInput } from "./node-context.js";
export {
  type ResourceDefinition,
  type ResourceLeak,
  ResourceManager,
  type ResourceManagerOptions,
} from "./resource-manager.js";
