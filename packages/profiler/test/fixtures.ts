// Programs the profiler tests observe, on the simulated NPU (virtual time, seeded) or on core's
// MockDeviceBackend.
import { createDevice, type Device } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** A fresh simulated device (tiny preset, seeded jitter so timings are not all equal). */
export function simDevice(seed = 7): Device {
  return createDevice(simulatedNpu({ preset: "tiny", seed, jitter: 0.2, computeKernels: false }));
}

/** A fresh mock device (ops take 1 µs of virtual time each). */
export function mockDevice(): Device {
  return createDevice(new MockDeviceBackend({ opDurationNs: 1000 }));
}

/**
 * Two streams in a producer/consumer pipeline ordered by events both ways (race-free), with host-to-device and
 * device-to-host copies, tagged allocations and a host callback; everything is released.
 */
export async function pipeline(device: Device, requests = 3): Promise<StreamManager> {
  const manager = new StreamManager(device);
  const producer = manager.create();
  const consumer = manager.create();
  const ready = manager.createEvent();
  const consumed = manager.createEvent();
  const input = manager.allocate(1024, { tag: "input" });
  const kv = manager.allocate(4096, { tag: "kv-cache" });
  const host = new Uint8Array(1024);
  for (let r = 0; r < requests; r++) {
    producer.copy({ src: host, dst: input });
    // The next matmul overwrites kv: it must wait until the consumer has read it.
    if (r > 0) producer.waitEvent(consumed);
    producer.launch({ name: "matmul", inputs: [input], outputs: [kv] });
    producer.record(ready);
    consumer.waitEvent(ready);
    consumer.launch({ name: "softmax", inputs: [kv], outputs: [kv] });
    consumer.copy({ src: kv, dst: new Uint8Array(4096) });
    consumer.record(consumed);
    consumer.launchHostCallback(() => undefined, { label: `post ${r}` });
  }
  await manager.synchronize();
  manager.release(input);
  manager.release(kv);
  ready.destroy();
  consumed.destroy();
  await producer.destroy();
  await consumer.destroy();
  return manager;
}
