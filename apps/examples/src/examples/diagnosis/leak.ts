import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { formatLeakReport, type LeakReport, LeakTracker } from "@npurt/profiler";
import { StreamManager } from "@npurt/streams";

/** What the leak example found. */
export interface LeakDiagnosis {
  /** The profiler's report, taken when the program thought it was done. */
  readonly report: LeakReport;
  /** The same as text (`formatLeakReport`). */
  readonly text: string;
  /** The report after the forgotten resources were released. */
  readonly afterFix: LeakReport;
}

/**
 * A stream leak: a request handler that returns early on a "cache hit" forgets to destroy its
 * stream and release its buffer. The profiler's leak tracker follows every stream, event and
 * allocation through the device's instrumentation and lists what is still alive, with the tag
 * the code gave it and (with `captureStacks`) the line that created it.
 */
export async function leakDiagnosis(): Promise<LeakDiagnosis> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 2 }));
  const leaks = new LeakTracker({ captureStacks: true }).attach(device);
  const manager = new StreamManager(device);

  const forgotten: {
    stream: ReturnType<typeof manager.create>;
    buffer: ReturnType<typeof device.allocate>;
  }[] = [];
  for (let request = 0; request < 4; request++) {
    const stream = manager.create();
    const buffer = device.allocate(16 * 1024, { tag: `request ${request} scratch` });
    stream.fill({ dst: buffer, value: 0 });
    await stream.synchronize();
    const cacheHit = request % 2 === 1;
    if (cacheHit) {
      forgotten.push({ stream, buffer }); // the bug: an early return skips the clean-up below
      continue;
    }
    device.release(buffer);
    await stream.destroy();
  }
  const report = leaks.report();
  const text = formatLeakReport(report);

  for (const { stream, buffer } of forgotten) {
    device.release(buffer);
    await stream.destroy();
  }
  manager.close();
  const afterFix = leaks.report();
  leaks.detach();
  device.close();
  return { report, text, afterFix };
}
