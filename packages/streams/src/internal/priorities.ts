import { type DeviceCapabilities, NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { ProfileBehaviours } from "../profile.js";

/** A user-facing priority range (lower numbers are more urgent in both profiles). */
export interface PriorityRange {
  readonly greatest: number;
  readonly least: number;
  readonly default: number;
}

/**
 * The profile's priority range: CANN's 0 (highest) to 7 (lowest) whatever the hardware has,
 * CUDA's `cudaDeviceGetStreamPriorityRange` (0 least, negative numbers more urgent) with as many
 * levels as the device has.
 */
export function priorityRangeOf(
  behaviours: ProfileBehaviours,
  capabilities: DeviceCapabilities,
): PriorityRange {
  const { greatest, least } = capabilities.priorities;
  const levels = least - greatest + 1;
  return behaviours.priorityScale === "cann"
    ? { greatest: 0, least: 7, default: 0 }
    : { greatest: -(levels - 1), least: 0, default: 0 };
}

/**
 * Checks a user priority: an integer in the range, or out of it clamped (CUDA) or refused with
 * `INVALID_PARAM` (as the profile says). `undefined` is the default priority.
 */
export function userPriority(range: PriorityRange, behaviours: ProfileBehaviours, priority: unknown): number {
  if (priority === undefined) return range.default;
  const p = check.number(priority, "priority");
  if (!Number.isInteger(p)) throw new NpuError("INVALID_PARAM", `priority must be an integer, got ${p}`);
  if (p >= range.greatest && p <= range.least) return p;
  if (behaviours.priorityOutOfRange === "error") {
    throw new NpuError(
      "INVALID_PARAM",
      `priority ${p} is outside [${range.greatest}, ${range.least}] (lower is more urgent)`,
      { details: { priority: p, greatest: range.greatest, least: range.least } },
    );
  }
  return p < range.greatest ? range.greatest : range.least;
}

/** Maps a user priority onto the backend's range (linearly, most urgent onto most urgent). */
export function backendPriority(
  range: PriorityRange,
  capabilities: DeviceCapabilities,
  user: number,
): number {
  const { greatest, least } = capabilities.priorities;
  const span = range.least - range.greatest;
  if (span === 0) return greatest;
  return greatest + Math.round(((user - range.greatest) * (least - greatest)) / span);
}
