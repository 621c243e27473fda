import type { NodeStatus } from "../graph-report.js";

// Node states, one byte per node. A queued node is still "pending" (writing a state on every
// enqueue would cost a random memory access per edge on large graphs).
export const PENDING = 0;
export const RUNNING = 1;
export const OK = 2;
export const FAILED = 3;
export const SKIPPED = 4;
export const CANCELLED = 5;

/**
 * Set in a node's pending count when a dependency failed under the "skip" policy: the count
 * still reaches exactly this bit when the last dependency settles, and the node is then
 * skipped instead of run. Keeping the mark in the counter the hot loop touches anyway avoids a
 * second random access per edge.
 */
export const POISONED = 0x40000000;

const STATUS_NAMES: readonly NodeStatus[] = ["pending", "running", "ok", "failed", "skipped", "cancelled"];

/** Maps a status byte to its public name. */
export function statusName(code: number): NodeStatus {
  return STATUS_NAMES[code] ?? "pending";
}
