import {
  createDevice,
  type DeviceBackend,
  Instrumentation,
  type InstrumentationEvent,
  NpuError,
  type OpCompletion,
} from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it, vi } from "vitest";
import { codeOf } from "../src/testing/conformance/context.js";
import { overriding } from "./helpers.js";

describe("createDevice", () => {
  it("refuses what is not a v1 backend", () => {
    expect(() => createDevice(null as unknown as DeviceBackend)).toThrow(TypeError);
    expect(
      codeOf(() => createDevice({ ...new MockDeviceBackend(), specificationVersion: "v2" } as never)),
    ).toBe("FEATURE_NOT_SUPPORTED");
    const mock = new MockDeviceBackend();
    const missing = Object.create(mock) as DeviceBackend;
    Object.defineProperty(missing, "enqueue", { value: 5 });
    expect(() => createDevice(missing)).toThrow(/backend.enqueue must be a function/);
  });

  it("refuses an incoherent capability manifest", () => {
    const mock = new MockDeviceBackend();
    const withCaps = (capabilities: unknown) => {
      const b = Object.create(mock) as DeviceBackend;
      Object.defineProperty(b, "capabilities", { value: capabilities });
      return b;
    };
    expect(codeOf(() => createDevice(withCaps({ ...mock.capabilities, devices: [] })))).toBe("INVALID_PARAM");
    expect(
      codeOf(() =>
        createDevice(
          withCaps({ ...mock.capabilities, devices: [{ ...mock.capabilities.devices[0], index: 3 }] }),
        ),
      ),
    ).toBe("INVALID_PARAM");
    expect(
      codeOf(() =>
        createDevice(
          withCaps({ ...mock.capabilities, priorities: { supported: true, greatest: 7, least: 0 } }),
        ),
      ),
    ).toBe("INVALID_PARAM");
    expect(() => createDevice(withCaps(null))).toThrow(TypeError);
    expect(() => createDevice(withCaps({ ...mock.capabilities, priorities: null }))).toThrow(TypeError);
    expect(() => createDevice(new MockDeviceBackend(), 3 as never)).toThrow(TypeError);
  });

  it("describes its devices", () => {
    const device = createDevice(new MockDeviceBackend({ devices: 2, computeUnits: 4 }));
    expect(device.deviceCount).toBe(2);
    expect(device.info(1)).toMatchObject({ index: 1, computeUnits: 4 });
    expect(codeOf(() => device.info(2))).toBe("INVALID_PARAM");
    expect(device.clock.mode).toBe("virtual");
  });
});

describe("Device ops", () => {
  it("checks copies: both sides host, sizes that do not fit, unsupported directions", () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    const b = device.allocate(16);
    expect(
      codeOf(() => device.enqueue(q, { kind: "copy", src: new Uint8Array(4), dst: new Uint8Array(4) })),
    ).toBe("INVALID_PARAM");
    expect(codeOf(() => device.enqueue(q, { kind: "copy", src: new Uint8Array(32), dst: b }))).toBe(
      "INVALID_PARAM",
    );
    expect(codeOf(() => device.enqueue(q, { kind: "copy", src: b, dst: new Uint8Array(8) }))).toBe(
      "INVALID_PARAM",
    );
    expect(
      codeOf(() => device.enqueue(q, { kind: "copy", src: b, dst: new Uint8Array(8), bytes: 8 })),
    ).toBeUndefined();
    expect(
      codeOf(() => device.enqueue(q, { kind: "copy", src: b, dst: { buffer: b, offset: 8 }, bytes: 9 })),
    ).toBe("INVALID_PARAM");
    expect(codeOf(() => device.enqueue(q, { kind: "copy", src: { buffer: b, offset: -1 }, dst: b }))).toBe(
      "INVALID_PARAM",
    );
    expect(() => device.enqueue(q, { kind: "kernel", name: "k", inputs: b as never })).toThrow(TypeError);
    expect(() => device.enqueue(q, "fill" as never)).toThrow(TypeError);
  });

  it("refuses op kinds, copy directions and kernels the manifest does not offer", () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(
      overriding(mock, {
        capabilities: {
          ...mock.capabilities,
          ops: ["kernel", "copy"],
          copyDirections: ["h2d"],
          kernels: ["add"],
        },
      }),
    );
    const q = device.createQueue();
    const b = device.allocate(8);
    expect(codeOf(() => device.enqueue(q, { kind: "fill", dst: b, value: 0 }))).toBe("FEATURE_NOT_SUPPORTED");
    expect(codeOf(() => device.enqueue(q, { kind: "copy", src: b, dst: new Uint8Array(8) }))).toBe(
      "FEATURE_NOT_SUPPORTED",
    );
    expect(codeOf(() => device.enqueue(q, { kind: "kernel", name: "mul" }))).toBe("INVALID_PARAM");
    expect(codeOf(() => device.enqueue(q, { kind: "kernel", name: "add" }))).toBeUndefined();
  });

  it("checks kernel params and costs", () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    expect(codeOf(() => device.enqueue(q, { kind: "kernel", name: "k", cost: { durationNs: -1 } }))).toBe(
      "INVALID_PARAM",
    );
    expect(() => device.enqueue(q, { kind: "kernel", name: "k", cost: { flops: "many" as never } })).toThrow(
      TypeError,
    );
    expect(() => device.enqueue(q, { kind: "kernel", name: "k", params: 3 as never })).toThrow(TypeError);
    expect(() => device.enqueue(q, { kind: "kernel", name: 3 as never })).toThrow(TypeError);
    expect(
      codeOf(() => device.enqueue(q, { kind: "signal", counter: device.createCounter(), value: -1 })),
    ).toBe("INVALID_PARAM");
  });

  it("computes with the mock's kernels and runs copies and fills for real", async () => {
    const mock = new MockDeviceBackend({
      kernels: {
        double: ({ inputs, outputs }) => {
          const src = new Float32Array(inputs[0]!.buffer, inputs[0]!.byteOffset, inputs[0]!.byteLength / 4);
          const dst = new Float32Array(
            outputs[0]!.buffer,
            outputs[0]!.byteOffset,
            outputs[0]!.byteLength / 4,
          );
          for (let i = 0; i < src.length; i++) dst[i] = src[i]! * 2;
        },
      },
    });
    const device = createDevice(mock);
    expect(device.capabilities.computesKernels).toBe(true);
    const q = device.createQueue();
    const a = device.allocate(16);
    const b = device.allocate(16);
    const out = new Float32Array(4);
    device.enqueue(q, { kind: "copy", src: Float32Array.of(1, 2, 3, 4), dst: a });
    device.enqueue(q, { kind: "kernel", name: "double", inputs: [a], outputs: [b] });
    device.enqueue(q, { kind: "copy", src: b, dst: out });
    await device.drain(q);
    expect(Array.from(out)).toEqual([2, 4, 6, 8]);
    expect(mock.calls.filter((c) => c.method === "enqueue")).toHaveLength(3);
  });

  it("reports an op that reads memory released before it ran as an error completion", async () => {
    const seen: OpCompletion[] = [];
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue({ onComplete: (c) => void seen.push(c) });
    const b = device.allocate(8);
    device.enqueue(q, { kind: "copy", src: b, dst: new Uint8Array(8) });
    device.release(b);
    await device.drain(q);
    expect(seen[0]).toMatchObject({ status: "error", failure: { code: "INVALID_HANDLE" } });
  });
});

describe("Device handles", () => {
  it("refuses a stale handle after its slot was reused, naming the generations", () => {
    const device = createDevice(new MockDeviceBackend());
    const first = device.allocate(8);
    device.release(first);
    const second = device.allocate(8);
    expect(second.slot).toBe(first.slot);
    expect(second.generation).toBe(first.generation + 1);
    expect(() => device.release(first)).toThrow(/slot reused \(generation 2\)/);
    expect(device.isLive(second)).toBe(true);
    expect(device.isLive(first)).toBe(false);
    expect(String(second)).toBe(`buffer#${second.slot}.2`);
  });

  it("refuses a handle of another kind", () => {
    const device = createDevice(new MockDeviceBackend());
    const counter = device.createCounter();
    expect(codeOf(() => device.release(counter as never))).toBe("INVALID_HANDLE");
    expect(codeOf(() => device.counterValue(device.allocate(4) as never))).toBe("INVALID_HANDLE");
  });

  it("lists live buffers for leak reports", () => {
    const device = createDevice(new MockDeviceBackend());
    const a = device.allocate(8, { tag: "weights" });
    const b = device.allocate(8);
    device.release(b);
    expect(device.liveBuffers()).toEqual([a]);
    expect(a.tag).toBe("weights");
    expect(() => device.allocate(8, { tag: 5 as never })).toThrow(TypeError);
  });

  it("reports queue ids and pending counts", async () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue({ priority: 3 });
    expect(q.priority).toBe(3);
    expect(typeof device.queueId(q)).toBe("number");
    device.enqueue(q, { kind: "kernel", name: "k" });
    expect(device.pending(q)).toBe(1);
    await device.idle();
    expect(device.pending(q)).toBe(0);
    expect(() => device.createQueue({ onComplete: 1 as never })).toThrow(TypeError);
  });
});

describe("Device lifecycle", () => {
  it("close() tells onClose listeners before it reports the lost ops as aborted", async () => {
    const order: string[] = [];
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue({ onComplete: (c) => void order.push(`${c.status}:${c.failure?.code}`) });
    const c = device.createCounter();
    device.enqueue(q, { kind: "wait", counter: c, value: 1 });
    device.onClose(() => order.push("closed"));
    device.close();
    expect(order).toEqual(["closed", "aborted:DEVICE_CLOSED"]);
    expect(device.pending(q)).toBe(0);
  });

  it("close() rejects pending drains with DEVICE_CLOSED and is idempotent", async () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    const c = device.createCounter();
    device.enqueue(q, { kind: "wait", counter: c, value: 1 });
    const drained = device.drain(q);
    device.close();
    device.close();
    expect(device.closed).toBe(true);
    await expect(drained).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    // close() reported the pending op (as aborted), so a later drain has nothing to wait for.
    expect(device.pending(q)).toBe(0);
    await expect(device.drain(q)).resolves.toBeUndefined();
    expect(codeOf(() => device.createQueue())).toBe("DEVICE_CLOSED");
    expect(codeOf(() => device.signalCounter(c, 1))).toBe("DEVICE_CLOSED");
  });

  it("onClose listeners run once at close, after drains rejected; removable; at once when closed", async () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    const c = device.createCounter();
    device.enqueue(q, { kind: "wait", counter: c, value: 1 });
    const drained = device.drain(q).catch((e: NpuError) => e.code);
    const log: string[] = [];
    device.onClose(() => log.push("a"));
    const off = device.onClose(() => log.push("removed"));
    off();
    off(); // twice is harmless
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    device.onClose(() => {
      throw new Error("listener bug");
    });
    device.onClose(() => log.push("b"));
    expect(() => device.onClose("x" as never)).toThrow(TypeError);
    device.close();
    device.close();
    expect(log).toEqual(["a", "b"]);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(await drained).toBe("DEVICE_CLOSED");
    device.onClose(() => log.push("late"));
    expect(log).toEqual(["a", "b", "late"]);
  });

  it("works with `using`", () => {
    const mock = new MockDeviceBackend();
    {
      using device = createDevice(mock);
      device.createQueue();
    }
    expect(mock.calls.at(-1)?.method).toBe("close");
  });

  it("a completion listener that throws is reported, and the queue keeps going", async () => {
    const errors: InstrumentationEvent[] = [];
    const device = createDevice(new MockDeviceBackend());
    device.instrumentation.subscribe((e) => {
      if (e.type === "error") errors.push(e);
    });
    const q = device.createQueue({
      onComplete: () => {
        throw new Error("listener bug");
      },
    });
    device.enqueue(q, { kind: "kernel", name: "a" });
    device.enqueue(q, { kind: "kernel", name: "b" });
    await device.drain(q);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: "INTERNAL_ERROR", source: "device" });
  });

  it("without a subscriber, a throwing listener goes to console.error", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue({
      onComplete: () => {
        throw new Error("listener bug");
      },
    });
    device.enqueue(q, { kind: "kernel", name: "a" });
    await device.drain(q);
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });

  it("a backend that throws in enqueue leaves no phantom pending op", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(
      overriding(mock, {
        enqueue: () => {
          throw new NpuError("STREAM_ABORT", "queue refuses work");
        },
      }),
    );
    const q = device.createQueue();
    expect(codeOf(() => device.enqueue(q, { kind: "kernel", name: "k" }))).toBe("STREAM_ABORT");
    expect(device.pending(q)).toBe(0);
    await device.drain(q);
  });

  it("reports a backend that completes an op twice as an INTERNAL_ERROR event", () => {
    let sink: Parameters<DeviceBackend["connect"]>[0] | undefined;
    const device = createDevice(
      overriding(new MockDeviceBackend(), { connect: (s: typeof sink) => (sink = s) }),
    );
    const errors: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type === "error") errors.push(e.message);
    });
    const woke = sink!.complete({ queue: 999, opId: 1, status: "ok", startNs: 0, endNs: 0 });
    expect(woke).toBe(false);
    expect(errors[0]).toMatch(/none pending/);
  });
});

describe("instrumentation from a Device", () => {
  it("emits queue, op and memory events with the op's kind, name and memory accesses", async () => {
    const bus = new Instrumentation();
    const events: InstrumentationEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const device = createDevice(new MockDeviceBackend(), { instrumentation: bus });
    expect(device.instrumentation).toBe(bus);
    const q = device.createQueue();
    const a = device.allocate(64, { tag: "x" });
    const b = device.allocate(64);
    device.enqueue(q, { kind: "kernel", name: "add", inputs: [a], outputs: [{ buffer: b, offset: 32 }] });
    device.enqueue(q, { kind: "copy", src: a, dst: new Uint8Array(64) });
    device.enqueue(q, { kind: "copy", src: new Uint8Array(64), dst: b });
    device.enqueue(q, { kind: "fill", dst: a, value: 1 });
    device.enqueue(q, { kind: "signal", counter: device.createCounter(), value: 1 });
    await device.drain(q);
    device.release(a);
    device.destroyQueue(q);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "op.enqueued")).toHaveLength(5);
    expect(types.filter((t) => t === "op.completed")).toHaveLength(5);
    expect(types).toContain("queue.created");
    expect(types).toContain("queue.destroyed");
    expect(types).toContain("memory.allocated");
    expect(types.at(-2)).toBe("memory.released");
    const kernel = events.find((e) => e.type === "op.enqueued" && e.kind === "kernel");
    expect(kernel).toMatchObject({ name: "add", reads: [a.address, 0, 64], writes: [b.address, 32, 32] });
    const done = events.find((e) => e.type === "op.completed" && e.kind === "copy");
    expect(done).toMatchObject({ name: "d2h", status: "ok" });
  });

  it("names ops it did not see enqueued as unknown", async () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    device.enqueue(q, { kind: "kernel", name: "before" });
    const events: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => events.push(e));
    await device.drain(q);
    expect(events[0]).toMatchObject({ type: "op.completed", kind: "unknown" });
  });
});
