import { createDevice, type OpCompletion } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it, vi } from "vitest";

function setup(options?: ConstructorParameters<typeof MockDeviceBackend>[0]) {
  const mock = new MockDeviceBackend(options);
  const device = createDevice(mock);
  const seen: OpCompletion[] = [];
  const queue = device.createQueue({ onComplete: (c) => void seen.push(c) });
  return { mock, device, queue, seen };
}

describe("MockDeviceBackend", () => {
  it("fails the n-th launch of a kernel with the code asked for, and later launches succeed", async () => {
    const { mock, device, queue, seen } = setup();
    mock.failNext("conv", { nth: 2, code: "TASK_TIMEOUT" });
    for (let i = 0; i < 3; i++) device.enqueue(queue, { kind: "kernel", name: "conv" });
    await device.drain(queue);
    expect(seen.map((c) => c.status)).toEqual(["ok", "error", "ok"]);
    expect(seen[1]!.failure).toMatchObject({ code: "TASK_TIMEOUT" });
    mock.failNext("conv");
    device.enqueue(queue, { kind: "kernel", name: "conv" });
    await device.drain(queue);
    expect(seen[3]!.failure?.code).toBe("KERNEL_FAILED");
  });

  it("a hung kernel blocks its queue (other queues go on) until the queue is aborted", async () => {
    const { mock, device, queue, seen } = setup();
    const other = device.createQueue();
    mock.hangNext("stuck");
    device.enqueue(queue, { kind: "kernel", name: "stuck" });
    device.enqueue(queue, { kind: "kernel", name: "after" });
    device.enqueue(other, { kind: "kernel", name: "free" });
    await device.drain(other);
    expect(seen).toHaveLength(0);
    // A timer still fires while the queue is hung (timeouts can be implemented on it).
    const fired = await new Promise<number>((resolve) =>
      device.clock.setTimer(1_000_000, () => resolve(device.clock.now())),
    );
    expect(fired).toBeGreaterThanOrEqual(1_000_000);
    device.abortQueue(queue);
    await device.drain(queue);
    expect(seen.map((c) => c.status)).toEqual(["aborted", "aborted"]);
  });

  it("a kernel function that throws becomes an error completion", async () => {
    const { device, queue, seen } = setup({
      kernels: {
        boom: () => {
          throw new Error("bad math");
        },
      },
    });
    device.enqueue(queue, { kind: "kernel", name: "boom" });
    await device.drain(queue);
    expect(seen[0]).toMatchObject({ status: "error", failure: { code: "KERNEL_FAILED" } });
    expect(seen[0]!.failure!.message).toContain("bad math");
  });

  it("a timer callback that throws is reported and the engine keeps running", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const { device, queue } = setup();
    device.clock.setTimer(10, () => {
      throw new Error("timer bug");
    });
    device.enqueue(queue, { kind: "kernel", name: "k", cost: { durationNs: 100 } });
    await device.drain(queue);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });

  it("enforces counter limits, accounts memory per device, and refuses unknown releases", () => {
    const mock = new MockDeviceBackend({ devices: 2, maxCounters: 1, memoryBytes: 1024 });
    const device = createDevice(mock);
    device.createCounter({ device: 1 });
    expect(() => device.createCounter({ device: 1 })).toThrow(
      expect.objectContaining({ code: "NO_EVENT_RESOURCE" }),
    );
    device.allocate(100, { device: 1 });
    expect(device.memoryInfo(1)).toMatchObject({ allocations: 1, bytesInUse: 128, capacityBytes: 1024 });
    expect(device.memoryInfo(0).allocations).toBe(0);
    expect(() => mock.release(1)).toThrow(expect.objectContaining({ code: "MEMORY_FREE" }));
    expect(() => mock.enqueue(999, 1, { kind: "signal", counter: 1, value: 1 })).toThrow(
      expect.objectContaining({ code: "INVALID_HANDLE" }),
    );
  });

  it("stops reporting after close", async () => {
    const { mock, device, queue, seen } = setup();
    device.enqueue(queue, { kind: "kernel", name: "k" });
    mock.close();
    await new Promise((r) => setTimeout(r, 2));
    expect(seen).toHaveLength(0);
  });
});

describe("MockDeviceBackend timeline", () => {
  it("a timer due while an op runs fires on time and does not delay the op", async () => {
    const { device, queue, seen } = setup();
    let firedAt = -1;
    device.clock.setTimer(500, () => {
      firedAt = device.clock.now();
    });
    device.enqueue(queue, { kind: "kernel", name: "k", cost: { durationNs: 1_000 } });
    await device.drain(queue);
    expect(firedAt).toBe(500);
    expect(seen[0]).toMatchObject({ startNs: 0, endNs: 1_000 });
  });

  it("aborting a queue whose op is running across a timer reports that op as aborted", async () => {
    const { device, queue, seen } = setup();
    device.clock.setTimer(500, () => device.abortQueue(queue));
    device.enqueue(queue, { kind: "kernel", name: "k", cost: { durationNs: 1_000 } });
    device.enqueue(queue, { kind: "kernel", name: "k2" });
    await device.drain(queue);
    expect(seen.map((c) => c.status)).toEqual(["aborted", "aborted"]);
    expect(seen[0]!.endNs).toBe(500);
  });
});
