import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { describe, expect, it } from "vitest";
import { StreamManager } from "../src/index.js";
import { settle } from "./backends.js";

// Found by the model-based workloads (scripts/reliability/workload.mjs, soak seeds 120 and
// 9858), shrunk, and fixed in the event timeline: regression tests.
describe("bugs found by the model-based tests", () => {
  it("a wait already satisfied when issued is stamped before the device time its record completed at", async () => {
    const npu = simulatedNpu({ preset: "tiny", seed: 1, kernels: { work: {} } });
    const device = createDevice(npu);
    const manager = new StreamManager(device);
    const producer = manager.create();
    const consumer = manager.create();
    const ev = manager.createEvent();
    producer.launch({ name: "work", cost: { durationNs: 50_000 } });
    const record = producer.record(ev);
    await settle(); // the host sees the record complete; its own clock stays behind
    expect(record.status).toBe("done");
    const wait = consumer.waitEvent(ev); // already satisfied: no device op
    // The wait cannot have passed before its record completed.
    expect(wait.endNs!).toBeGreaterThanOrEqual(record.endNs!);
  });

  it("issue 10 defect 1: a record issued while a future wait is pending releases a wait that captured another stream's earlier record (soak seed 9858, shrunk)", async () => {
    const npu = simulatedNpu({ preset: "tiny", seed: 9858, kernels: { work: {} } });
    const manager = new StreamManager(createDevice(npu), { profile: "cuda" });
    const producer = manager.create();
    const consumer = manager.create();
    const other = manager.create();
    const ev = manager.createEvent();
    producer.launch({ name: "work", cost: { durationNs: 48_000 } });
    const first = producer.record(ev);
    const wait = consumer.waitEvent(ev); // captures the producer's record
    producer.waitEvent(ev, { future: true }); // a future wait is now pending on the event
    other.record(ev); // completes at once, on the same counter
    await manager.synchronize();
    expect(wait.endNs!).toBeGreaterThanOrEqual(first.endNs!);
  });
});
