/**
 * See what ran on an npurt device.
 *
 * @packageDocumentation
 */

export { type ChromeTraceOptions, toChromeTrace, writeChromeTrace } from "./chrome-trace.js";
export { type HtmlTimelineOptions, toHtmlTimeline } from "./html-timeline.js";
export type { AttachTarget, ProfilerTarget } from "./internal/attach-target.js";
export { OP_KIND_NAMES, OP_STATUS_NAMES } from "./internal/op-table.js";
export {
  type AssertNoLeaksOptions,
  formatLeakReport,
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
export { type RecorderMode, TraceRecorder, type TraceRecorderOptions } from "./trace-recorder.js";
