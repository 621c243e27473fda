import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { RaceDetector, type RaceReport } from "@npurt/profiler";
import { StreamManager } from "@npurt/streams";

/** What the race example found. */
export interface RaceDiagnosis {
  /** Races in the buggy version (a consumer reads what a producer writes, unordered). */
  readonly races: readonly RaceReport[];
  /** Races once the consumer waits for an event the producer records. */
  readonly racesAfterFix: readonly RaceReport[];
}

async function run(orderWithEvent: boolean): Promise<RaceReport[]> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 4 }));
  const detector = new RaceDetector().attach(device);
  const manager = new StreamManager(device);
  const producer = manager.create();
  const consumer = manager.create();
  const kv = device.allocate(64 * 1024, { tag: "kv-cache" });
  const out = device.allocate(64 * 1024, { tag: "attention output" });
  const written = manager.createEvent();

  producer.launch({ name: "relu", blockDim: 2, inputs: [kv], outputs: [kv] }); // writes the cache
  if (orderWithEvent) {
    producer.record(written);
    consumer.waitEvent(written); // the fix: the consumer starts after the producer's write
  }
  consumer.launch({ name: "softmax", blockDim: 2, inputs: [kv], outputs: [out] }); // reads it
  await manager.synchronize();

  const races = detector.races();
  written.destroy();
  device.release(kv);
  device.release(out);
  await producer.destroy();
  await consumer.destroy();
  manager.close();
  detector.detach();
  device.close();
  return [...races];
}

/**
 * A race between streams: one stream writes a buffer and another reads it with nothing ordering
 * the two (on real hardware the reader may see old, new or half-written data, and only
 * sometimes). The profiler's race detector keeps a vector clock per hardware queue, as PyTorch's
 * CUDA sanitizer does, and reports the two accesses; recording an event after the write and
 * waiting for it before the read makes the report go away.
 */
export async function raceDiagnosis(): Promise<RaceDiagnosis> {
  return { races: await run(false), racesAfterFix: await run(true) };
}
