import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { simulatedNpu } from "../src/index.js";
import { codeOf, IDEAL, setup, thrown, timed } from "./harness.js";

describe("fault injection", () => {
  it("fails the n-th kernel matching a name; its outputs stay untouched", async () => {
    const s = setup({ preset: "tiny", faults: [{ kind: "kernel-fail", kernel: "add", nth: 2 }] });
    const q = s.queue();
    const x = s.upload(q, [1, 2]);
    const outs = [0, 1, 2].map(() => s.device.allocate(8));
    s.device.enqueue(q, { kind: "kernel", name: "mul", inputs: [x, x], outputs: [outs[0]!] });
    for (const out of outs)
      s.device.enqueue(q, { kind: "kernel", name: "add", inputs: [x, x], outputs: [out] });
    const second = s.download(q, outs[1]!);
    await s.device.drain(q);
    expect(s.log.slice(1, 5).map((c) => c.failure?.code)).toEqual([
      undefined,
      undefined,
      "KERNEL_FAILED",
      undefined,
    ]);
    expect(s.log[3]!.status).toBe("error");
    expect(s.log[3]!.failure?.message).toMatch(/add/);
    expect(Array.from(second)).toEqual([0, 0]);
  });

  it("matches kernels by pattern and device; random faults are seeded", async () => {
    const run = async (seed: number) => {
      const s = setup({
        ...IDEAL,
        devices: 2,
        seed,
        computeKernels: false,
        faults: [{ kind: "kernel-fail", kernel: /^mat/, device: 1, probability: 0.3 }],
      });
      const q0 = s.queue(undefined, 0);
      const q1 = s.queue(undefined, 1);
      for (let i = 0; i < 40; i++) {
        s.device.enqueue(q0, timed(10, 1, "matmul"));
        s.device.enqueue(q1, timed(10, 1, "matmul"));
        s.device.enqueue(q1, timed(10, 1, "noop"));
      }
      await s.device.idle();
      expect(s.done(q0).every((c) => c.status === "ok")).toBe(true);
      expect(
        s
          .done(q1)
          .filter((_, i) => i % 2 === 1)
          .every((c) => c.status === "ok"),
      ).toBe(true);
      return s.done(q1).map((c) => c.status);
    };
    const a = await run(11);
    const failures = a.filter((x) => x === "error").length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(25);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it("a hung kernel holds its queue and cores until the queue is aborted", async () => {
    const s = setup({ ...IDEAL, aiCores: 2, faults: [{ kind: "kernel-hang", kernel: "noop" }] });
    const q = s.queue();
    const other = s.queue();
    s.device.enqueue(q, timed(100, 2));
    s.device.enqueue(q, timed(100));
    s.device.enqueue(other, timed(100, 2));
    // Wait 1 ms of virtual time: nothing can run while the hung kernel holds both cores.
    await new Promise<void>((resolve) => s.device.clock.setTimer(1_000_000, resolve));
    expect(s.device.pending(q)).toBe(2);
    expect(s.device.pending(other)).toBe(1);
    s.device.abortQueue(q);
    await s.device.idle();
    expect(s.done(q).map((c) => [c.status, c.failure?.code])).toEqual([
      ["aborted", "STREAM_ABORT"],
      ["aborted", "STREAM_ABORT"],
    ]);
    expect(s.done(other)[0]).toMatchObject({ status: "ok", startNs: 1_000_000 });
  });

  it("fails the n-th allocation; later allocations still work", () => {
    const s = setup({ preset: "tiny", faults: [{ kind: "allocation-fail", nth: 2 }] });
    s.device.allocate(100);
    const error = thrown(() => s.device.allocate(200));
    expect(NpuError.isInstance(error, "MEMORY_ALLOCATION")).toBe(true);
    expect((error as Error).message).toMatch(/200 bytes.*injected/);
    s.device.allocate(300);
    expect(s.device.memoryInfo().allocations).toBe(2);
    s.npu.injectFault({ kind: "allocation-fail", device: 0 });
    expect(codeOf(() => s.device.allocate(8))).toBe("MEMORY_ALLOCATION");
    expect(codeOf(() => s.device.allocate(8))).toBeUndefined();
  });

  it("a lost device fails every pending and later op with DEVICE_LOST; other devices go on", async () => {
    const s = setup({ ...IDEAL, devices: 2, faults: [{ kind: "device-lost", device: 0, atNs: 5_000 }] });
    const q = s.queue(undefined, 0);
    const blocked = s.queue(undefined, 0);
    const hung = s.queue(undefined, 0);
    const healthy = s.queue(undefined, 1);
    const gate = s.device.createCounter();
    s.npu.injectFault({ kind: "kernel-hang", kernel: "transpose", device: 0 });
    s.device.enqueue(q, timed(3_000));
    s.device.enqueue(q, timed(3_000)); // running when the device is lost
    s.device.enqueue(q, timed(3_000)); // queued
    s.device.enqueue(blocked, { kind: "wait", counter: gate, value: 1 });
    s.device.enqueue(hung, timed(1_000, 1, "transpose"));
    s.device.enqueue(healthy, timed(10_000));
    await s.device.idle();
    expect(s.done(q).map((c) => c.failure?.code)).toEqual([undefined, "DEVICE_LOST", "DEVICE_LOST"]);
    expect(s.done(q)[1]).toMatchObject({ startNs: 3_000, endNs: 6_000 });
    expect(s.done(blocked)[0]).toMatchObject({
      status: "error",
      endNs: 5_000,
      failure: { code: "DEVICE_LOST" },
    });
    expect(s.done(hung)[0]).toMatchObject({
      status: "error",
      endNs: 5_000,
      failure: { code: "DEVICE_LOST" },
    });
    expect(s.done(healthy)[0]).toMatchObject({ status: "ok", endNs: 10_000 });
    s.device.enqueue(q, timed(10));
    await s.device.drain(q);
    expect(s.done(q)[3]!.failure?.code).toBe("DEVICE_LOST");
    expect(codeOf(() => s.device.allocate(64, { device: 0 }))).toBe("DEVICE_LOST");
    expect(codeOf(() => s.device.createQueue({ device: 0 }))).toBe("DEVICE_LOST");
    expect(codeOf(() => s.device.allocate(64, { device: 1 }))).toBeUndefined();
  });

  it("a device lost at runtime releases ready work too", async () => {
    const s = setup({ ...IDEAL, aiCores: 1 });
    const a = s.queue();
    const b = s.queue();
    s.device.enqueue(a, timed(1_000));
    s.device.enqueue(b, timed(1_000)); // ready, waiting for the only core
    await new Promise<void>((resolve) => s.device.clock.setTimer(500, resolve));
    s.npu.injectFault({ kind: "device-lost" });
    await s.device.idle();
    expect(s.done(a)[0]).toMatchObject({ endNs: 1_000, failure: { code: "DEVICE_LOST" } });
    expect(s.done(b)[0]).toMatchObject({ endNs: 500, failure: { code: "DEVICE_LOST" } });
  });

  it("refuses malformed fault specs with clear errors", () => {
    const bad = (fault: unknown) => codeOf(() => simulatedNpu({ faults: [fault as never] }));
    expect(bad({ kind: "meteor" })).toBe("INVALID_PARAM");
    expect(bad({ kind: "kernel-fail", nth: 0 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "kernel-fail", nth: 1, probability: 0.5 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "kernel-fail", probability: 2 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "kernel-hang", kernel: 42 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "device-lost", device: 3 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "device-lost", when: 3 })).toBe("INVALID_PARAM");
    expect(bad({ kind: "allocation-fail", nth: -1 })).toBe("INVALID_PARAM");
    expect(bad("fail")).toBe("INVALID_PARAM");
    expect(() => simulatedNpu({ faults: "x" as never })).toThrow(TypeError);
    expect(() => simulatedNpu().injectFault({ kind: "kernel-fail", kernel: 7 as never })).toThrow(TypeError);
  });
});
