import { createDevice, NpuError } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { type StallReport, StallWatchdog } from "@npurt/profiler";
import { StreamManager } from "@npurt/streams";

/** What the stall example found. */
export interface StallDiagnosis {
  /** The watchdog's report on the hung kernel. */
  readonly hung: StallReport | undefined;
  /** The watchdog's report on two queues that wait for each other. */
  readonly cycle: StallReport | undefined;
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
 * Two hardware queues that each wait for a signal the other gives only after its own wait: a
 * deadlock below the streams layer (written against core's device API directly, as a backend
 * or scheduler author would). The watchdog finds the wait-for cycle.
 */
async function waitCycle(): Promise<StallReport | undefined> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 6 }));
  const watchdog = new StallWatchdog({ timeoutNs: 1e6 }).attach(device);
  const a = device.createQueue();
  const b = device.createQueue();
  const aDone = device.createCounter();
  const bDone = device.createCounter();
  device.enqueue(a, { kind: "wait", counter: bDone, value: 1 });
  device.enqueue(a, { kind: "signal", counter: aDone, value: 1 });
  device.enqueue(b, { kind: "wait", counter: aDone, value: 1 });
  device.enqueue(b, { kind: "signal", counter: bDone, value: 1 });
  // Let 2 ms of virtual time pass (a timer on the device's clock).
  await new Promise<void>((resolve) => device.clock.setTimer(2e6, resolve));
  const report = watchdog.reports()[0] ?? watchdog.check();
  watchdog.detach();
  device.close();
  return report;
}

/**
 * Stalls: work is pending and nothing has moved for a while. The profiler's stall watchdog
 * checks on the device's clock (so in virtual time it fires at the same instant on every run)
 * and reports each blocked queue, the op at its head and what it waits for.
 */
export async function stallDiagnosis(): Promise<StallDiagnosis> {
  const hung = await hungKernel();
  return { hung: hung.report, cycle: await waitCycle(), timeoutCode: hung.timeoutCode };
}
