/**
 * Helpers npurt's own packages share, and backend authors may use for the same checks and
 * messages: argument checks (`check`), safe text for messages about user values (`describe`,
 * `errorMessage`, `quote`), the handle table behind every handle, and two queue structures.
 * Kept off the main entry so it stays the runtime's API (`describe` also clashes with vitest's).
 * These follow core's version like the rest, but are shaped by what the packages need.
 *
 * @example
 * ```ts
 * import { check, quote } from "@npurt/core/internal";
 *
 * const n = check.integer(3, "blockDim", 1); // 3; a fraction is INVALID_PARAM, a string a TypeError
 * console.log(`unknown kernel ${quote("matmul")}`);
 * ```
 *
 * @packageDocumentation
 */

export { HandleTable } from "./device/handles.js";
export { describe, errorMessage, quote } from "./errors/safe-text.js";
export { check } from "./errors/validate.js";
export { PriorityHeap } from "./structures/priority-heap.js";
export { RingQueue } from "./structures/ring-queue.js";
