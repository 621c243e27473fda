import { writeHeapSnapshot as v8WriteHeapSnapshot } from "node:v8";
import { NpuTypeError } from "@npurt/core";

/**
 * The host's V8 heap in use, in bytes (`process.memoryUsage().heapUsed`): pass it as
 * `MemoryTracker`'s `hostMemory` to checkpoint host memory around each callback.
 */
export function nodeHeapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/**
 * Writes a V8 heap snapshot (open it in Chrome DevTools' Memory tab) and returns its path:
 * the closer look at a callback whose memory checkpoint looks wrong (what Python's
 * `tracemalloc.take_snapshot()` gives).
 * Synchronous and slow (it walks the whole heap): for diagnosis, not for every callback.
 */
export function writeHeapSnapshot(path?: string): string {
  if (path !== undefined && typeof path !== "string") throw new NpuTypeError("path must be a string");
  return v8WriteHeapSnapshot(path);
}
