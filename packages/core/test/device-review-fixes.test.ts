import {
  type CompletionSink,
  createDevice,
  type InstrumentationEvent,
  NpuError,
  type OpCompletion,
} from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it, vi } from "vitest";
import { overriding } from "./helpers.js";

/** Resolves to "hung" when `promise` has not settled after a few macrotasks of wall time. */
function settledOrHung<T>(promise: Promise<T>): Promise<T | "hung"> {
  return Promise.race([promise, new Promise<"hung">((r) => setTimeout(r, 50, "hung"))]);
}

describe("Device.destroyCounter with ops still using the counter", () => {
  it("invalidates the handle at once but keeps the counter alive until those ops complete", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const seen: OpCompletion[] = [];
    const consumer = device.createQueue({ onComplete: (c) => void seen.push(c) });
    const producer = device.createQueue();
    const c = device.createCounter();
    device.enqueue(consumer, { kind: "wait", counter: c, value: 1 });
    device.enqueue(producer, { kind: "kernel", name: "k", cost: { durationNs: 5_000 } });
    device.enqueue(producer, { kind: "signal", counter: c, value: 1 });
    // As cudaEventDestroy / aclrtDestroyEvent: allowed before the work completes.
    device.destroyCounter(c);
    expect(() => device.counterValue(c)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    expect(mock.calls.some((x) => x.method === "destroyCounter")).toBe(false);
    expect(await settledOrHung(device.idle())).toBeUndefined();
    expect(seen.map((x) => x.status)).toEqual(["ok"]);
    expect(mock.calls.filter((x) => x.method === "destroyCounter")).toHaveLength(1);
  });

  it("destroys a counter no pending op uses right away", () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    device.destroyCounter(device.createCounter());
    expect(mock.calls.filter((x) => x.method === "destroyCounter")).toHaveLength(1);
  });
});

describe("Device.close with pending ops", () => {
  it("reports every pending op to its queue's listener as aborted with DEVICE_CLOSED, in queue order", async () => {
    const device = createDevice(new MockDeviceBackend());
    const seen: OpCompletion[] = [];
    const q = device.createQueue({ onComplete: (c) => void seen.push(c) });
    const gate = device.createCounter();
    const ids = [
      device.enqueue(q, { kind: "wait", counter: gate, value: 1 }),
      device.enqueue(q, { kind: "kernel", name: "k" }),
    ];
    await settledOrHung(device.drain(q));
    expect(seen).toHaveLength(0);
    const drained = device.drain(q);
    device.close();
    expect(seen.map((c) => [c.opId, c.status, c.failure?.code])).toEqual(
      ids.map((id) => [id, "aborted", "DEVICE_CLOSED"]),
    );
    for (const c of seen) expect(c.startNs).toBeLessThanOrEqual(c.endNs);
    expect(device.pending(q)).toBe(0);
    // The drain waited for work that never ran: it says so. A later drain has nothing to wait for.
    await expect(drained).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    await expect(device.drain(q)).resolves.toBeUndefined();
  });
});

describe("Device.enqueue instrumentation", () => {
  it("emits op.enqueued only for ops the backend accepted", () => {
    const device = createDevice(
      overriding(new MockDeviceBackend(), {
        enqueue: () => {
          throw new NpuError("STREAM_ABORT", "queue refuses work");
        },
      }),
    );
    const events: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => events.push(e));
    const q = device.createQueue();
    expect(() => device.enqueue(q, { kind: "kernel", name: "k" })).toThrow(NpuError);
    expect(events.filter((e) => e.type === "op.enqueued")).toHaveLength(0);
  });
});

describe("createDevice on a backend that is already connected", () => {
  it("refuses it with ILLEGAL_STATE (the first device's completions would be stolen)", () => {
    const mock = new MockDeviceBackend();
    createDevice(mock);
    expect(() => createDevice(mock)).toThrow(expect.objectContaining({ code: "ILLEGAL_STATE" }));
  });
});

describe("completions a backend reports out of contract", () => {
  function capture(): { device: ReturnType<typeof createDevice>; sink: () => CompletionSink } {
    let sink: CompletionSink | undefined;
    // Keep the real mock engine but never let it report: the test plays the backend.
    const b = overriding(new MockDeviceBackend(), {
      connect: (s: CompletionSink) => {
        sink = s;
      },
    });
    return { device: createDevice(b), sink: () => sink! };
  }

  it("refuses an op reported out of queue order or twice, and says so", () => {
    const { device, sink } = capture();
    const errors: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type === "error") errors.push(e.message);
    });
    const seen: number[] = [];
    const q = device.createQueue({ onComplete: (c) => void seen.push(c.opId) });
    const queue = device.queueId(q);
    const a = device.enqueue(q, { kind: "kernel", name: "a" });
    const b = device.enqueue(q, { kind: "kernel", name: "b" });
    const done = (opId: number) => sink().complete({ queue, opId, status: "ok", startNs: 0, endNs: 0 });
    done(b); // out of order
    done(a);
    done(a); // twice
    done(b);
    expect(seen).toEqual([a, b]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/out of queue order/);
  });

  it("without a subscriber, reports the violation on the console", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const { device, sink } = capture();
    const q = device.createQueue();
    sink().complete({ queue: device.queueId(q), opId: 7, status: "ok", startNs: 0, endNs: 0 });
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });
});

describe("createDevice checks the lists of the capability manifest", () => {
  it("refuses missing or unknown op kinds, copy directions and kernel names", () => {
    const mock = new MockDeviceBackend();
    const withCaps = (caps: object) =>
      overriding(new MockDeviceBackend(), { capabilities: { ...mock.capabilities, ...caps } });
    expect(() => createDevice(withCaps({ ops: undefined }))).toThrow(TypeError);
    expect(() => createDevice(withCaps({ ops: ["kernel", "teleport"] }))).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => createDevice(withCaps({ copyDirections: "h2d" }))).toThrow(TypeError);
    expect(() => createDevice(withCaps({ kernels: "noop" }))).toThrow(TypeError);
    expect(() => createDevice(withCaps({ kernels: [1] }))).toThrow(TypeError);
    expect(createDevice(withCaps({ kernels: ["noop"], copyDirections: [] })).capabilities.kernels).toEqual([
      "noop",
    ]);
  });
});
