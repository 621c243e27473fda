import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager, type StreamPoolStats } from "@npurt/streams";

/** What the lifecycle example observed. */
export interface LifecycleResult {
  /** Every state change of the first stream, as `FROM→TO`. */
  readonly transitions: readonly string[];
  /** Pool statistics after all streams were destroyed. */
  readonly stats: StreamPoolStats;
  /** Kernel time between the two events, in ms of device time. */
  readonly elapsedMs: number;
  /** Streams and events still alive at close (the leak report). */
  readonly leaked: number;
}

/**
 * The stream-management seed article's walk-through: a prewarmed pool, the state machine seen
 * through instrumentation, two streams ordered by an event, timing with events, destroy, reuse
 * from the pool, and a leak report at close.
 */
export async function streamLifecycle(log: (line: string) => void = () => {}): Promise<LifecycleResult> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 1 }));
  const manager = new StreamManager(device, { pool: { prewarm: 2, bound: 8 } });
  const transitions: string[] = [];
  let watched: number | undefined;
  const unsubscribe = device.instrumentation.subscribe((e) => {
    if (e.type === "stream.created" && watched === undefined) watched = e.stream;
    if (e.type === "stream.state" && e.stream === watched) transitions.push(`${e.from}→${e.to}`);
  });

  const producer = manager.create({ priority: 0 });
  const consumer = manager.create({ priority: 3 });
  const start = manager.createEvent({ timing: true });
  const ready = manager.createEvent({ timing: true });
  const buffer = device.allocate(64 * 1024, { tag: "activations" });

  producer.record(start);
  producer.fill({ dst: buffer, value: 1 });
  producer.launch({ name: "relu", blockDim: 2, inputs: [buffer], outputs: [buffer] });
  producer.record(ready);
  consumer.waitEvent(ready); // the consumer starts only after the producer's kernel
  consumer.launch({ name: "softmax", blockDim: 2, inputs: [buffer], outputs: [buffer] });
  log(`state after submitting the work: producer ${producer.state}, consumer ${consumer.state}`);
  await consumer.synchronize({ timeoutMs: 10 });
  log(
    `state after waiting for the consumer: producer ${producer.state} (query: ${producer.query()}), consumer ${consumer.state}`,
  );
  const elapsedMs = start.elapsedTime(ready);
  log(
    `the producer's fill and relu kernel took ${elapsedMs.toFixed(4)} ms of device time (timed by two events)`,
  );

  await producer.destroy();
  await consumer.destroy();
  const again = manager.create(); // served from the pool
  await again.destroy();
  start.destroy();
  ready.destroy();
  device.release(buffer);
  const stats = manager.stats();
  log(
    `stream pool: ${stats.created} streams created, ${stats.reused} of them on a reused hardware queue, ` +
      `at most ${stats.peak} alive at once, ${stats.pooled} idle queues kept for the next streams`,
  );
  unsubscribe();
  const report = manager.close();
  device.close();
  return { transitions, stats, elapsedMs, leaked: report.streams.length + report.events.length };
}
