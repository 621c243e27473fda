import { createDevice, NpuError } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** What the diagnostics example found. */
export interface DiagnosticsResult {
  /** `findDeadlocks()` reasons, one per blocked stream. */
  readonly deadlocks: readonly string[];
  /** The error code the blocked stream's synchronize gave up with. */
  readonly timeoutCode: string;
  /** The error code a cycle of future waits was refused with. */
  readonly cycleCode: string;
  /** Streams reported as leaked at close. */
  readonly leakedStreams: number;
}

/**
 * Three classic bugs, each caught instead of hanging: a consumer waiting on a producer that was
 * aborted (a deadlock the detector explains, and a synchronize that times out deterministically),
 * two streams waiting for each other's future records (refused as a cycle), and a stream
 * nobody destroyed (reported at close).
 */
export async function diagnostics(log: (line: string) => void = () => {}): Promise<DiagnosticsResult> {
  const device = createDevice(
    simulatedNpu({ preset: "tiny", seed: 3, faults: [{ kind: "kernel-hang", kernel: "matmul" }] }),
  );
  const manager = new StreamManager(device);

  // 1. A producer hangs and is aborted: its consumer can never run.
  const producer = manager.create();
  const consumer = manager.create();
  const ready = manager.createEvent();
  producer.launch({ name: "matmul" }); // the injected fault makes this kernel hang
  producer.record(ready);
  consumer.waitEvent(ready);
  consumer.launch({ name: "noop" });
  producer.abort();
  let timeoutCode = "none";
  try {
    await consumer.synchronize({ timeoutMs: 5 });
  } catch (e) {
    timeoutCode = NpuError.isInstance(e) ? e.code : String(e);
  }
  log(
    `consumer.synchronize({ timeoutMs: 5 }) → ${timeoutCode} at ${(device.clock.now() / 1e6).toFixed(3)} ms`,
  );
  // Why is it stuck? The detector explains.
  const deadlocks = manager.findDeadlocks().map((d) => `stream ${d.stream}: ${d.reason} — ${d.message}`);
  for (const line of deadlocks) log(`deadlock: ${line}`);
  consumer.abort();

  // 2. Two streams that would wait for each other's next record.
  const a = manager.create();
  const b = manager.create();
  const ea = manager.createEvent();
  const eb = manager.createEvent();
  let cycleCode = "none";
  try {
    a.waitEvent(eb, { future: true }); // a waits for b's next record of eb
    b.waitEvent(ea, { future: true }); // b waits for a's next record of ea
    a.record(ea); // fine: b's wait will be satisfied by this
    b.record(eb); // refused: queued behind b's wait, which needs a, which needs this record
  } catch (e) {
    cycleCode = NpuError.isInstance(e) ? e.code : String(e);
    log(`future-wait cycle refused: ${(e as Error).message}`);
  }

  // 3. Leaks: nobody destroys these streams or events.
  const report = manager.close();
  log(
    `leak report at close: ${report.streams.length} stream(s), ${report.events.length} event(s) still alive`,
  );
  device.close();
  return { deadlocks, timeoutCode, cycleCode, leakedStreams: report.streams.length };
}
