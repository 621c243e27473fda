// The op.enqueued / op.completed pair as listeners rely on it: every completion of an op the bus
// saw enqueued repeats its kind and name, whatever happened to the subscription in between, and
// every op.enqueued event says what the op reads and writes (an empty list when nothing).
import { createDevice, type InstrumentationEvent, type OpCompletedEvent } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";

function completions(events: readonly InstrumentationEvent[]): OpCompletedEvent[] {
  return events.filter((e): e is OpCompletedEvent => e.type === "op.completed");
}

describe("op events on the instrumentation bus", () => {
  it("names each completion as its enqueue across a detach and a re-attach, and ops it never saw as unknown", async () => {
    const device = createDevice(new MockDeviceBackend());
    const q1 = device.createQueue();
    const q2 = device.createQueue();
    device.enqueue(q1, { kind: "kernel", name: "unseen" });
    const events: InstrumentationEvent[] = [];
    let off = device.instrumentation.subscribe((e) => events.push(e));
    device.enqueue(q1, { kind: "kernel", name: "seen-1" });
    device.enqueue(q2, { kind: "fill", dst: device.allocate(16), value: 0 });
    off();
    device.enqueue(q1, { kind: "kernel", name: "unseen-2" });
    off = device.instrumentation.subscribe((e) => events.push(e));
    device.enqueue(q1, { kind: "signal", counter: device.createCounter(), value: 1 });
    await device.idle();
    off();
    const byQueue = (q: number) =>
      completions(events)
        .filter((e) => e.queue === q)
        .map((e) => `${e.kind}:${e.name}`);
    // The mock completes ops only once the test awaits, so every completion arrives on the
    // second subscription: the ops enqueued while nobody listened are unknown, the others named.
    expect(byQueue(device.queueId(q1))).toEqual([
      "unknown:",
      "kernel:seen-1",
      "unknown:",
      expect.stringMatching(/^signal:counter:\d+=1$/),
    ]);
    expect(byQueue(device.queueId(q2))).toEqual(["fill:fill"]);
  });

  it("carries the failure code only on failed completions", async () => {
    const backend = new MockDeviceBackend();
    const device = createDevice(backend);
    const events: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => events.push(e));
    backend.failNext("bad");
    const q = device.createQueue();
    device.enqueue(q, { kind: "kernel", name: "good" });
    device.enqueue(q, { kind: "kernel", name: "bad" });
    await device.drain(q);
    const [good, bad] = completions(events);
    expect(good).toMatchObject({ name: "good", status: "ok" });
    expect(good).not.toHaveProperty("code");
    expect(bad).toMatchObject({ name: "bad", status: "error", code: "KERNEL_FAILED" });
  });

  it("lists reads and writes on every op.enqueued, empty where the op touches no device memory", async () => {
    const device = createDevice(new MockDeviceBackend());
    const events: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => events.push(e));
    const q = device.createQueue();
    const a = device.allocate(8);
    device.enqueue(q, { kind: "kernel", name: "noop" });
    device.enqueue(q, { kind: "copy", src: new Uint8Array(8), dst: a });
    device.enqueue(q, { kind: "copy", src: a, dst: new Uint8Array(8) });
    device.enqueue(q, { kind: "wait", counter: device.createCounter(), value: 0 });
    await device.drain(q);
    const enqueued = events.filter((e) => e.type === "op.enqueued");
    expect(enqueued.map((e) => [e.name, e.reads, e.writes])).toEqual([
      ["noop", [], []],
      ["h2d", [], [a.address, 0, 8]],
      ["d2h", [a.address, 0, 8], []],
      [expect.stringMatching(/^counter:\d+=0$/), [], []],
    ]);
  });
});
