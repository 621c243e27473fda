import { type Device, type HostWaitTarget, NpuError } from "@npurt/core";
import { deviceIds } from "./device-ids.js";

/**
 * Runs a synchronize the host awaits (`wait`) and reports it on the device's bus: a `host.wait`
 * begin now and a `host.wait` end when its promise settles, so a timeline can draw the host
 * waiting. Callers check `device.instrumentation.active` first and call `wait` themselves when
 * no one listens, so an unobserved synchronize costs that one check (and its promise is not
 * chained). A `wait` that throws is reported as ended at once with its error, which is rethrown.
 */
export function reportHostWait(
  device: Device,
  target: HostWaitTarget,
  id: number | undefined,
  wait: () => Promise<void>,
): Promise<void> {
  const bus = device.instrumentation;
  const waitId = ++deviceIds(device).hostWait;
  const clock = device.clock;
  bus.emit({
    type: "host.wait",
    time: clock.now(),
    phase: "begin",
    wait: waitId,
    target,
    ...(id === undefined ? {} : { id }),
  });
  const end = (ok: boolean, error: unknown): void => {
    // The listeners may have changed meanwhile: the end goes to whoever listens now.
    if (!bus.active) return;
    const code = !ok && NpuError.isInstance(error) ? error.code : undefined;
    const outcome = ok
      ? "ok"
      : code === "STREAM_SYNC_TIMEOUT" || code === "EVENT_SYNC_TIMEOUT"
        ? "timeout"
        : "error";
    bus.emit({
      type: "host.wait",
      time: clock.now(),
      phase: "end",
      wait: waitId,
      target,
      ...(id === undefined ? {} : { id }),
      outcome,
      ...(code === undefined ? {} : { code }),
    });
  };
  let promise: Promise<void>;
  try {
    promise = wait();
  } catch (error) {
    end(false, error);
    throw error;
  }
  return promise.then(
    () => end(true, undefined),
    (error: unknown) => {
      end(false, error);
      throw error;
    },
  );
}

/**
 * The device index a device synchronize's options name, for its report: `undefined` (every
 * device) when they name none. Not a check: the synchronize itself refuses bad options.
 */
export function syncedDevice(options: unknown): number | undefined {
  const device =
    typeof options === "object" && options !== null ? (options as { device?: unknown }).device : undefined;
  return typeof device === "number" ? device : undefined;
}
