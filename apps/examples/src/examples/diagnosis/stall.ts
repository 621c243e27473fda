import { createDevice, NpuError } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { type StallReport, StallWatchdog } from "@npurt/profiler";
import { StreamManager } from "@npurt/streams";

/** What the stall example found. */
export interface StallDiagnosis {
  /** The watchdog's report on the hung kernel. */
  readonly hung: StallReport | undefined;
  /** What the blocked synchronize gave up with. */
  readonly timeoutCode: string;
}

/** A kernel that never finishes (an injected fault): the watchdog says which queue and op. */
async function hungKernel(): Promise<{ report: StallReport | undefined; timeoutCode: string }> {
  const device = createDevice(
    simulatedNpu({ preset: "tiny", seed: 6, faults: [{ kind: "kernel-hang", kernel: "layernorm" }] }),
  );
  let report: StallReport | undefined;
  const watchdog = new StallWatchdog({ timeoutNs: 2e6, onStall: (r) => (report ??= r) }).attach(device);
  const manager = new StreamManager(device);
  const stream = manager.create();
  const x = device.allocate(4096, { tag: "activations" });
  stream.launch({ name: "relu", inputs: [x], outputs: [x] });
  stream.launch({ name: "layernorm", inputs: [x], outputs: [x], params: { rows: 1, cols: 1024 } });
  stream.launch({ name: "softmax", inputs: [x], outputs: [x], params: { rows: 1, cols: 1024 } });
  let timeoutCode = "none";
  try {
    await stream.synchronize({ timeoutMs: 5 }); // the watchdog fires at 2 ms, this gives up at 5 ms
  } catch (e) {
    timeoutCode = NpuError.isInstance(e) ? e.code : String(e);
  }
  stream.abort(); // recovery: discard the hung work
  await stream.destroy({ force: true });
  device.release(x);
  manager.close();
  watchdog.detach();
  device.close();
  return { report, timeoutCode };
}

/**
 * Stalls: work is pending and nothing has moved for a while. The profiler's stall watchdog
 * checks on the device's clock (so in virtual time it fires at the same instant on every run)
 * and reports each blocked queue, the op at its head and what it waits for.
 */
export async function stallDiagnosis(): Promise<StallDiagnosis> {
  const hung = await hungKernel();
  return { hung: hung.report, timeoutCode: hung.timeoutCode };
}
