import type { Clock, DeviceCapabilities, Instrumentation } from "@npurt/core";

/**
 * What a profiler attaches to: a core `Device` (which has all three members) or anything else
 * that exposes the instrumentation bus it emits on. The clock and capability manifest are
 * optional; with them, reports know the time model and the devices' compute units.
 */
export interface ProfilerTarget {
  /** The bus the device and the packages over it emit on. */
  readonly instrumentation: Instrumentation;
  /** The device clock (a stall watchdog arms its timers on it). */
  readonly clock?: Clock;
  /** The backend's capability manifest. */
  readonly capabilities?: DeviceCapabilities;
  /** Calls `listener` when the device closes; returns its remover (a `Device` has it). */
  readonly onClose?: (listener: () => void) => () => void;
}

/** A {@link ProfilerTarget} or a bare instrumentation bus. */
export type AttachTarget = ProfilerTarget | Instrumentation;
