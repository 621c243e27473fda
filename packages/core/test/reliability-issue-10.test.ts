// Regression tests for issue 10 (reliability), the parts that live in @npurt/core. Each test names
// the defect it pins; each failed before its fix.
import {
  createDevice,
  Instrumentation,
  type InstrumentationEvent,
  NpuError,
  type OpCompletion,
  toNpuError,
  wallClock,
} from "@npurt/core";
import { PriorityHeap, RingQueue } from "@npurt/core/internal";
import { MockDeviceBackend, VirtualClock } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { overriding } from "./helpers.js";

function unprintable(): object {
  return Object.create(null) as object;
}

function detachedView(): Uint8Array {
  const view = new Uint8Array(16);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

/** "TypeError" for a TypeError (NpuTypeError included), the code of an NpuError, "ok" when it returns. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TypeError) return "TypeError";
    if (NpuError.isInstance(e)) return e.code;
    return `uncoded ${String(e)}`;
  }
  return "ok";
}

describe("issue 10 defect 6: memory safety", () => {
  it("defect 6: an op on a released buffer whose address was reused fails and leaves the new owner untouched", async () => {
    const device = createDevice(new MockDeviceBackend({ reuseAddresses: true }));
    const completions: OpCompletion[] = [];
    const queue = device.createQueue({ onComplete: (c) => void completions.push(c) });
    const stale = device.allocate(64);
    device.enqueue(queue, { kind: "fill", dst: stale, value: 7 });
    device.release(stale);
    const fresh = device.allocate(64);
    const out = new Uint8Array(64).fill(1);
    device.enqueue(queue, { kind: "copy", src: fresh, dst: out });
    await device.drain(queue);
    expect(completions[0]?.status).toBe("error");
    expect(completions[0]?.failure?.code).toBe("INVALID_HANDLE");
    expect(completions[1]?.status).toBe("ok");
    expect([...new Set(out)]).toEqual([0]);
    // The address comes back once nothing names it any more.
    device.release(fresh);
    expect(device.memoryInfo().allocations).toBe(0);
  });

  it("defect 6: DeviceBuffer.bytes cannot be changed, and bounds checks use the device's table", async () => {
    const device = createDevice(new MockDeviceBackend());
    const queue = device.createQueue();
    const small = device.allocate(64);
    const neighbour = device.allocate(64);
    expect(Reflect.set(small, "bytes", 1 << 20)).toBe(false);
    expect(() => Object.defineProperty(small, "bytes", { value: 1 << 20 })).toThrow(TypeError);
    expect(small.bytes).toBe(64);
    expect(
      codeOf(() =>
        device.enqueue(queue, { kind: "fill", dst: { buffer: small, offset: 64, bytes: 64 }, value: 9 }),
      ),
    ).toBe("INVALID_PARAM");
    const out = new Uint8Array(64);
    device.enqueue(queue, { kind: "copy", src: neighbour, dst: out });
    await device.drain(queue);
    expect([...new Set(out)]).toEqual([0]);
  });

  it("defect 6: QueueHandle.device and a handle's slot cannot be changed", () => {
    const bus = new Instrumentation();
    const events: InstrumentationEvent[] = [];
    bus.subscribe((e) => void events.push(e));
    const device = createDevice(new MockDeviceBackend({ devices: 2 }), { instrumentation: bus });
    const queue = device.createQueue();
    const other = device.createQueue();
    expect(Reflect.set(queue, "device", 1)).toBe(false);
    expect(Reflect.set(queue, "slot", other.slot)).toBe(false);
    expect(() => Object.defineProperty(queue, "slot", { value: other.slot })).toThrow(TypeError);
    const buffer = device.allocate(16);
    device.enqueue(queue, { kind: "fill", dst: buffer, value: 1 });
    const enqueued = events.find((e) => e.type === "op.enqueued");
    expect(enqueued?.type === "op.enqueued" && enqueued.device).toBe(0);
    expect(device.pending(queue)).toBe(1);
    expect(device.pending(other)).toBe(0);
  });
});

describe("issue 10 defect 7: re-entrancy", () => {
  it("defect 7: close() from an op.completed listener keeps completion order", async () => {
    const bus = new Instrumentation();
    const device = createDevice(new MockDeviceBackend(), { instrumentation: bus });
    const order: number[] = [];
    const queue = device.createQueue({ onComplete: (c) => void order.push(c.opId) });
    const buffer = device.allocate(16);
    const ids = [1, 2, 3].map(() => device.enqueue(queue, { kind: "fill", dst: buffer, value: 1 }));
    bus.subscribe((e) => {
      if (e.type === "op.completed") device.close();
    });
    await device.drain(queue).catch(() => {});
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(ids);
  });

  it("defect 7: close() from a completion listener resolves the drain that op satisfied", async () => {
    const device = createDevice(new MockDeviceBackend());
    const buffer = device.allocate(16);
    const queue = device.createQueue({ onComplete: () => device.close() });
    device.enqueue(queue, { kind: "fill", dst: buffer, value: 1 });
    await expect(device.drain(queue)).resolves.toBeUndefined();
  });

  it("defect 7: a backend that throws while the device cleans up during a delivery loses no completion", async () => {
    const mock = new MockDeviceBackend();
    const backend = overriding(mock, {
      destroyCounter: () => {
        throw Object.create(null);
      },
    });
    const bus = new Instrumentation();
    const errors: string[] = [];
    bus.subscribe((e) => {
      if (e.type === "error") errors.push(e.message);
    });
    const device = createDevice(backend, { instrumentation: bus });
    const seen: number[] = [];
    const queue = device.createQueue({ onComplete: (c) => void seen.push(c.opId) });
    const counter = device.createCounter();
    const b = device.allocate(16);
    const ids = [
      device.enqueue(queue, { kind: "signal", counter, value: 1 }),
      device.enqueue(queue, { kind: "fill", dst: b, value: 1 }),
    ];
    device.destroyCounter(counter);
    await device.drain(queue);
    expect(seen).toEqual(ids);
    expect(errors.some((m) => m.includes("failed to destroy a counter"))).toBe(true);
  });

  it("defect 7: handles can be retired after close() without reaching the closed backend", () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const queue = device.createQueue();
    const buffer = device.allocate(16);
    const counter = device.createCounter();
    device.close();
    const before = mock.calls.length;
    device.release(buffer);
    device.destroyCounter(counter);
    device.destroyQueue(queue);
    device.abortQueue === undefined || expect(codeOf(() => device.abortQueue(queue))).toBe("INVALID_HANDLE");
    expect(mock.calls.length).toBe(before);
    expect(codeOf(() => device.allocate(16))).toBe("DEVICE_CLOSED");
  });
});

describe("issue 10 defect 3: unprintable thrown values", () => {
  it("defect 3: a completion listener throwing Object.create(null) breaks neither delivery nor drain", async () => {
    const bus = new Instrumentation();
    const errors: string[] = [];
    bus.subscribe((e) => {
      if (e.type === "error") errors.push(e.message);
    });
    const device = createDevice(new MockDeviceBackend(), { instrumentation: bus });
    const seen: number[] = [];
    const queue = device.createQueue({
      onComplete: (c) => {
        seen.push(c.opId);
        if (seen.length === 1) throw unprintable();
      },
    });
    const buffer = device.allocate(16);
    device.enqueue(queue, { kind: "fill", dst: buffer, value: 1 });
    device.enqueue(queue, { kind: "fill", dst: buffer, value: 2 });
    await device.drain(queue);
    expect(seen).toHaveLength(2);
    expect(errors[0]).toMatch(/threw: an object \(no prototype\)/);
  });

  it("defect 3: toNpuError and NpuError.isInstance accept unprintable and hostile values", () => {
    const e = toNpuError(unprintable(), "CALLBACK_FAILED");
    expect(e.code).toBe("CALLBACK_FAILED");
    expect(e.message).toBe("an object (no prototype)");
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
        getPrototypeOf() {
          throw new Error("trap");
        },
      },
    );
    expect(NpuError.isInstance(hostile)).toBe(false);
    expect(toNpuError(hostile, "CALLBACK_FAILED").message).toBe("an object (unreadable)");
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(toNpuError(proxy, "CALLBACK_FAILED").code).toBe("CALLBACK_FAILED");
  });

  it("defect 3: an instrumentation error handler that throws does not reach the emitter", () => {
    const bus = new Instrumentation(() => {
      throw unprintable();
    });
    bus.subscribe(() => {
      throw unprintable();
    });
    expect(() => bus.emit({ type: "stream.destroyed", time: 0, stream: 1 })).not.toThrow();
  });
});

describe("issue 10 defect 5: options and arguments validated", () => {
  it("defect 5: an instrumentation option that is a number is a TypeError", () => {
    expect(() => createDevice(new MockDeviceBackend(), { instrumentation: 5 as never })).toThrow(TypeError);
  });

  it("defect 5: sparse operand arrays are refused before the backend takes the op", () => {
    const bus = new Instrumentation();
    bus.subscribe(() => {});
    const mock = new MockDeviceBackend();
    const device = createDevice(mock, { instrumentation: bus });
    const queue = device.createQueue();
    const b = device.allocate(16);
    // biome-ignore lint/suspicious/noSparseArray: the defect is about sparse arrays.
    const inputs = [b, , b] as never;
    expect(() => device.enqueue(queue, { kind: "kernel", name: "k", inputs })).toThrow(TypeError);
    expect(device.pending(queue)).toBe(0);
    expect(mock.calls.filter((c) => c.method === "enqueue")).toHaveLength(0);
  });

  it("defect 5: detached host buffers are INVALID_PARAM, not an uncoded TypeError or an empty ok copy", () => {
    const device = createDevice(new MockDeviceBackend());
    const queue = device.createQueue();
    const b = device.allocate(16);
    expect(codeOf(() => device.enqueue(queue, { kind: "copy", src: detachedView(), dst: b }))).toBe(
      "INVALID_PARAM",
    );
    expect(codeOf(() => device.enqueue(queue, { kind: "copy", src: detachedView(), dst: b, bytes: 8 }))).toBe(
      "INVALID_PARAM",
    );
    expect(codeOf(() => device.enqueue(queue, { kind: "copy", src: b, dst: detachedView() }))).toBe(
      "INVALID_PARAM",
    );
    // A zero-length view on a live buffer is still a valid (empty) copy.
    expect(codeOf(() => device.enqueue(queue, { kind: "copy", src: new Uint8Array(0), dst: b }))).toBe("ok");
  });

  it("defect 5: a host buffer detached after the enqueue fails the copy with INVALID_PARAM, not KERNEL_FAILED", async () => {
    const device = createDevice(new MockDeviceBackend());
    const completions: OpCompletion[] = [];
    const queue = device.createQueue({ onComplete: (c) => void completions.push(c) });
    const b = device.allocate(16);
    const host = new Uint8Array(16);
    device.enqueue(queue, { kind: "copy", src: host, dst: b });
    structuredClone(host.buffer, { transfer: [host.buffer] });
    await device.drain(queue);
    expect(completions[0]?.status).toBe("error");
    expect(completions[0]?.failure?.code).toBe("INVALID_PARAM");
  });

  it("defect 5: throwing getters and Proxies in options and specs give coded errors", () => {
    const device = createDevice(new MockDeviceBackend());
    const queue = device.createQueue();
    const throwing = {
      get device(): number {
        throw unprintable();
      },
    };
    expect(codeOf(() => device.createQueue(throwing))).toBe("TypeError");
    expect(codeOf(() => device.allocate(16, throwing))).toBe("TypeError");
    const spec = new Proxy(
      { kind: "fill" },
      {
        get(_target, k) {
          if (k === "kind") return "fill";
          throw new Error(`no ${String(k)}`);
        },
      },
    );
    expect(codeOf(() => device.enqueue(queue, spec as never))).toBe("TypeError");
    expect(codeOf(() => device.enqueue(queue, { kind: "fill" } as never))).toBe("TypeError");
    expect(codeOf(() => device.enqueue(queue, { kind: 7 } as never))).toBe("TypeError");
    expect(device.pending(queue)).toBe(0);
  });

  it("defect 5: a kernel's params and cost are checked and copied", () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const queue = device.createQueue();
    expect(
      codeOf(() => device.enqueue(queue, { kind: "kernel", name: "k", params: { f: {} as never } })),
    ).toBe("TypeError");
    expect(
      codeOf(() => device.enqueue(queue, { kind: "kernel", name: "k", cost: { durationNs: 1e300 } })),
    ).toBe("INVALID_PARAM");
    const params = { alpha: 2 };
    device.enqueue(queue, { kind: "kernel", name: "k", params });
    params.alpha = 3;
    const sent = mock.calls.find((c) => c.method === "enqueue")?.args[2] as { params: { alpha: number } };
    expect(sent.params.alpha).toBe(2);
  });

  it("defect 5: clocks check their arguments", () => {
    const clock = wallClock();
    expect(() => clock.setTimer(0, 5 as never)).toThrow(TypeError);
    expect(codeOf(() => clock.setTimer(Number.NaN, () => {}))).toBe("INVALID_PARAM");
    const v = new VirtualClock();
    expect(() => v.advanceTo("5" as never)).toThrow(TypeError);
    expect(codeOf(() => v.advanceTo(Number.POSITIVE_INFINITY))).toBe("INVALID_PARAM");
    expect(codeOf(() => v.advanceTo(-1))).toBe("INVALID_PARAM");
    expect(v.now()).toBe(0);
    expect(() => new VirtualClock({ onTimerSet: 3 as never })).toThrow(TypeError);
  });

  it("defect 5: shared structures refuse NaN priorities and bad capacities", () => {
    expect(codeOf(() => new PriorityHeap<number>().push(1, Number.NaN))).toBe("INVALID_PARAM");
    expect(codeOf(() => new PriorityHeap<number>().push(1, "1" as never))).toBe("TypeError");
    expect(codeOf(() => new RingQueue(-1))).toBe("INVALID_PARAM");
    expect(codeOf(() => new RingQueue("5" as never))).toBe("TypeError");
    const q = new RingQueue<number>();
    q.push(1);
    expect(q.at("0" as never)).toBeUndefined();
  });

  it("defect 5: the mock backend checks its options", () => {
    expect(codeOf(() => new MockDeviceBackend({ devices: 0 }))).toBe("INVALID_PARAM");
    expect(codeOf(() => new MockDeviceBackend({ memoryBytes: Number.NaN }))).toBe("INVALID_PARAM");
    expect(codeOf(() => new MockDeviceBackend({ kernels: { k: 1 as never } }))).toBe("TypeError");
    expect(codeOf(() => new MockDeviceBackend().failNext("k", { nth: 0 }))).toBe("INVALID_PARAM");
  });
});

describe("issue 10 defect 4: huge timeouts", () => {
  it("defect 4: a timer past 2^53 ns (a timeoutMs near 1.8e302) means never, not INVALID_PARAM", () => {
    const v = new VirtualClock();
    let fired = false;
    const id = v.setTimer(1.8e302 * 1e6, () => {
      fired = true;
    });
    expect(v.nextTimerAt()).toBe(Number.POSITIVE_INFINITY);
    expect(v.pendingTimers).toBe(1);
    v.clearTimer(id);
    expect(v.pendingTimers).toBe(0);
    expect(fired).toBe(false);
    const w = wallClock();
    w.clearTimer(w.setTimer(Number.POSITIVE_INFINITY, () => {}));
  });
});

describe("issue 10 defect 9: user text in messages", () => {
  it("defect 9: user text in core's messages is escaped and bounded", () => {
    const device = createDevice(new MockDeviceBackend());
    const queue = device.createQueue();
    const label = `fill\nINVALID_HANDLE forged line ${"x".repeat(500)}`;
    let message = "";
    try {
      device.enqueue(queue, { kind: label } as never);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain("\n");
    expect(message.length).toBeLessThan(300);
  });
});
