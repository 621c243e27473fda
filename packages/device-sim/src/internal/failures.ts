import { NpuError, type OpFailure } from "@npurt/core";

/** The failure of a hung kernel, kept on its queue until an abort or a device loss ends it. */
export const HANG: OpFailure = { code: "TASK_TIMEOUT", message: "hung" };

/**
 * `String(value)`, for a value user code threw. It never throws: a value whose `toString` or
 * `Symbol.toPrimitive` throws (`Object.create(null)`, a hostile Proxy) is described instead,
 * because a throw here would escape the engine's loop and leave the op unreported.
 */
export function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return `an unprintable ${typeof value}`;
    } catch {
      return "an unprintable value";
    }
  }
}

/** The failure an op reports for what user code threw: an `NpuError` keeps its code. */
export function failureOf(error: unknown, what: string): OpFailure {
  try {
    if (NpuError.isInstance(error)) return { code: error.code, message: error.message };
  } catch {
    // A Proxy that throws on the property reads of isInstance is not an NpuError.
  }
  return { code: "KERNEL_FAILED", message: `${what}: ${printable(error)}` };
}

/** The failure of an op discarded (or stopped) by an abort of its queue. */
export function aborted(running: boolean): OpFailure {
  return running
    ? { code: "STREAM_ABORT", message: "the queue was aborted while the op ran; it was stopped" }
    : { code: "STREAM_ABORT", message: "the queue was aborted before the op ran" };
}

/** The failure of every op on a lost device. */
export function lost(device: number): OpFailure {
  return { code: "DEVICE_LOST", message: `device ${device} was lost` };
}

/** Calls `console.error` for a bug in user code the engine survived; never throws itself. */
export function logSurvived(what: string, error: unknown): void {
  try {
    console.error(`[npurt] device-sim: ${what}: ${printable(error)}`);
  } catch {
    // Nothing left to report to.
  }
}
