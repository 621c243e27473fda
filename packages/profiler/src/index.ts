/**
 * See what ran on an npurt device: a trace recorder with Chrome Trace Event JSON, a
 * self-contained HTML timeline and a text summary; a leak tracker, a memory tracker, a stream
 * race detector and a stall watchdog. Each attaches to a device's instrumentation bus and costs
 * nothing when not attached. Node-only helpers (files, host heap) are in `@npurt/profiler/node`.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 * import { formatSummary, LeakTracker, summarize, toChromeTrace, TraceRecorder } from "@npurt/profiler";
 *
 * const device = createDevice(new MockDeviceBackend());
 * const recorder = new TraceRecorder().attach(device);
 * const leaks = new LeakTracker().attach(device);
 * const q = device.createQueue();
 * device.enqueue(q, { kind: "kernel", name: "add" });
 * await device.drain(q);
 * console.log(formatSummary(summarize(recorder.recording())));
 * const trace = toChromeTrace(recorder.recording()); // open in ui.perfetto.dev
 * leaks.assertNoLeaks({ allow: ["queue"] });
 * ```
 *
 * @packageDocumentation
 */

export { type ChromeTraceOptions, toChromeTrace, writeChromeTrace } from "./chrome-trace.js";
export { type HtmlTimelineOptions, toHtmlTimeline } from "./html-timeline.js";
export {
  type AssertNoLeaksOptions,
  formatLeakReport,
  formatResourceStatistics,
  type LeakedResource,
  type LeakKind,
  type LeakReport,
  LeakTracker,
  type LeakTrackerOptions,
  type ResourceStats,
} from "./leak-tracker.js";
export {
  type CallbackMemoryCheckpoint,
  type MemoryPoint,
  type MemorySeries,
  MemoryTracker,
  type MemoryTrackerOptions,
} from "./memory-tracker.js";
export { type EngineKind, OP_KIND_NAMES, OP_STATUS_NAMES } from "./op-codes.js";
export { type RaceAccess, RaceDetector, type RaceReport } from "./race-detector.js";
export type * from "./recording.js";
export {
  type BlockedQueue,
  type StallReport,
  StallWatchdog,
  type StallWatchdogOptions,
  type WaitTarget,
} from "./stall-watchdog.js";
export {
  type CriticalPath,
  type CriticalPathKind,
  type EngineUtilisation,
  formatSummary,
  type KernelStats,
  type Summary,
  summarize,
} from "./summary.js";
export type { AttachTarget, ProfilerTarget } from "./target.js";
export { type RecorderMode, TraceRecorder, type TraceRecorderOptions } from "./trace-recorder.js";
