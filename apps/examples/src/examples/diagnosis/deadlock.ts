import { createDevice, NpuError } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { type StallReport, StallWatchdog } from "@npurt/profiler";
import { StreamManager } from "@npurt/streams";

/** What the deadlock example found. */
export interface DeadlockDiagnosis {
  /** `findDeadlocks()` lines, one per stream blocked forever. */
  readonly deadlocks: readonly string[];
  /** The error code the blocked stream's synchronize gave up with. */
  readonly timeoutCode: string;
  /** Virtual time at which it gave up, ms. */
  readonly timeoutAtMs: number;
  /** The error a cycle of waits for future records was refused with. */
  readonly cycleCode: string;
  readonly cycleMessage: string;
  /** The profiler's stall watchdog on two hardware queues waiting for each other. */
  readonly watchdog: StallReport | undefined;
}

/** A consumer waits for a record its producer will never make (the producer was aborted). */
async function abortedProducer(): Promise<
  Pick<DeadlockDiagnosis, "deadlocks" | "timeoutCode" | "timeoutAtMs">
> {
  const device = createDevice(
    simulatedNpu({ preset: "tiny", seed: 3, faults: [{ kind: "kernel-hang", kernel: "matmul" }] }),
  );
  const manager = new StreamManager(device);
  const producer = manager.create();
  const consumer = manager.create();
  const ready = manager.createEvent();
  producer.launch({ name: "matmul" }); // the injected fault makes this kernel hang
  producer.record(ready);
  consumer.waitEvent(ready);
  consumer.launch({ name: "noop" });
  producer.abort(); // discards the hung kernel and the record the consumer waits for
  let timeoutCode = "none";
  try {
    await consumer.synchronize({ timeoutMs: 5 }); // gives up after 5 ms of virtual time
  } catch (e) {
    timeoutCode = NpuError.isInstance(e) ? e.code : String(e);
  }
  const timeoutAtMs = device.clock.now() / 1e6;
  const deadlocks = manager.findDeadlocks().map((d) => `stream ${d.stream}: ${d.reason}: ${d.message}`);
  consumer.abort();
  ready.destroy();
  await producer.destroy({ force: true });
  await consumer.destroy({ force: true });
  manager.close();
  device.close();
  return { deadlocks, timeoutCode, timeoutAtMs };
}

/** Two streams that would each wait for the other's next record: refused when it is made. */
function futureWaitCycle(): Pick<DeadlockDiagnosis, "cycleCode" | "cycleMessage"> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 3 }));
  const manager = new StreamManager(device);
  const a = manager.create();
  const b = manager.create();
  const ea = manager.createEvent();
  const eb = manager.createEvent();
  let cycleCode = "none";
  let cycleMessage = "";
  try {
    a.waitEvent(eb, { future: true }); // a waits for b's next record of eb
    b.waitEvent(ea, { future: true }); // b waits for a's next record of ea
    a.record(ea); // fine so far: queued behind a's wait
    b.record(eb); // refused: behind b's wait, which needs a's record, which needs this one
  } catch (e) {
    cycleCode = NpuError.isInstance(e) ? e.code : String(e);
    cycleMessage = e instanceof Error ? e.message : String(e);
  }
  a.abort();
  b.abort();
  manager.close();
  device.close();
  return { cycleCode, cycleMessage };
}

/**
 * Below the streams layer (core's device API, as a backend or scheduler author writes it): two
 * hardware queues that each wait for a signal the other gives only after its own wait. The
 * profiler's stall watchdog finds the wait-for cycle after 1 ms without progress.
 */
async function queueCycle(): Promise<StallReport | undefined> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 3 }));
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
 * Deadlocks, each caught instead of hanging: a stream waiting on a producer that was aborted
 * (the streams package's `findDeadlocks` says why, and a synchronize with a timeout gives up at
 * the same virtual instant on every run), a cycle of waits refused when it would be made, and
 * two hardware queues waiting for each other, found by the profiler's stall watchdog.
 */
export async function deadlockDiagnosis(): Promise<DeadlockDiagnosis> {
  const aborted = await abortedProducer();
  const cycle = futureWaitCycle();
  return { ...aborted, ...cycle, watchdog: await queueCycle() };
}
