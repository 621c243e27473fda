/**
 * The Node-only parts of `@npurt/profiler`: writing trace and timeline files, host heap
 * sampling and heap snapshots. The main entry stays browser-safe; this one imports `node:`
 * modules.
 *
 * @example
 * ```ts
 * import { TraceRecorder, MemoryTracker } from "@npurt/profiler";
 * import { nodeHeapUsed, writeTraceFile } from "@npurt/profiler/node";
 *
 * const recorder = new TraceRecorder().attach(device);
 * const memory = new MemoryTracker({ hostMemory: nodeHeapUsed }).attach(device);
 * // … run …
 * await writeTraceFile("out/trace.json", recorder.recording());
 * ```
 *
 * @packageDocumentation
 */

export { writeHtmlTimelineFile, writeTraceFile } from "./files.js";
export { nodeHeapUsed, writeHeapSnapshot } from "./host-memory.js";
