/**
 * Streams, events and dependencies for npurt, over any `DeviceBackend` through core's
 * `createDevice`: a {@link StreamManager} with a pool and the device's stream limit, streams with
 * a state machine of their life cycle (see `StreamState`), events on timeline counters, host
 * callbacks through a `HostExecutor`, a dependency graph checked for cycles, a deadlock finder
 * and a leak report. Where CANN and CUDA differ, the `profile` option (`'cann'` by default, or
 * `'cuda'`) picks, and each such behaviour is an option of its own.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 * import { StreamManager } from "@npurt/streams";
 *
 * const manager = new StreamManager(createDevice(new MockDeviceBackend()));
 * const producer = manager.create();
 * const consumer = manager.create({ priority: 0 });
 * const ready = manager.createEvent();
 * producer.launch({ name: "produce" });
 * producer.record(ready);
 * consumer.waitEvent(ready);
 * consumer.launch({ name: "consume" });
 * consumer.launchHostCallback(() => console.log("consumed"));
 * await consumer.synchronize({ timeoutMs: 10 });
 * ```
 *
 * @packageDocumentation
 */

export type { CallbackContext } from "./callback-context.js";
export { CANN_EVENT_FLAGS, CUDA_EVENT_FLAGS, type EventCreationApi } from "./event-flags.js";
export type { ExceptionInfo } from "./exception-info.js";
export { FifoHostExecutor, type FifoHostExecutorOptions } from "./fifo-host-executor.js";
export {
  type AllocAsyncOptions,
  MemPool,
  type MemPoolAttributes,
  type MemPoolOptions,
  type MemPoolStats,
} from "./memory-pool.js";
export type { OpHandle, OpHandleKind, OpHandleStatus } from "./op-handle.js";
export { PROFILES, type ProfileBehaviours, type RuntimeProfile } from "./profile.js";
export type {
  DeadlockReason,
  DeadlockReport,
  LeakReport,
  ResourceCounts,
  ResourceStats,
  StreamPoolStats,
} from "./reports.js";
export { Stream, type StreamCopySpec, type StreamFillSpec, type StreamKernelSpec } from "./stream.js";
export { StreamEvent } from "./stream-event.js";
export { CANN_STREAM_FLAGS, CUDA_STREAM_FLAGS } from "./stream-flags.js";
export {
  createStreamManager,
  StreamManager,
  type StreamManagerOptions,
  type StreamPoolOptions,
} from "./stream-manager.js";
export type {
  CreateEventOptions,
  CreateStreamOptions,
  DestroyStreamOptions,
  FailureMode,
  HostCallbackOptions,
  SynchronizeOptions,
  WaitEventOptions,
} from "./stream-options.js";
export { reduceStreamState, type StreamAction, type StreamState } from "./stream-state.js";
