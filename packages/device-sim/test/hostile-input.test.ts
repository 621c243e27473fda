import type { OpCompletion } from "@npurt/core";
import { describe, expect, it, vi } from "vitest";
import {
  ASCEND_910,
  BUILTIN_KERNELS,
  DEFAULT_HOST_COSTS,
  PRESETS,
  simulatedNpu,
  TINY,
} from "../src/index.js";
import { codeOf, IDEAL, setup, sleep, timed } from "./harness.js";

/** A value whose `String()` throws. */
const unprintable = () => Object.create(null) as object;

const kernelOp = (name: string) =>
  ({
    kind: "kernel",
    name,
    blockDim: 1,
    inputs: [],
    outputs: [],
    params: undefined,
    cost: undefined,
  }) as const;

describe("unprintable thrown values (issue 10, defect 3)", () => {
  it("a kernel or cost function that throws Object.create(null) fails its op with a code; the engine goes on", async () => {
    const s = setup({
      ...IDEAL,
      kernels: {
        bad: {
          compute: () => {
            throw unprintable();
          },
          cost: () => ({ durationNs: 10 }),
        },
        badCost: {
          cost: () => {
            throw unprintable();
          },
        },
      },
    });
    const q = s.queue();
    s.device.enqueue(q, { kind: "kernel", name: "bad" });
    s.device.enqueue(q, { kind: "kernel", name: "badCost" });
    s.device.enqueue(q, timed(10));
    await s.device.drain(q);
    expect(s.done(q).map((c) => [c.status, c.failure?.code])).toEqual([
      ["error", "KERNEL_FAILED"],
      ["error", "KERNEL_FAILED"],
      ["ok", undefined],
    ]);
    expect(s.done(q)[0]!.failure!.message).toMatch(/kernel "bad" threw: an unprintable object/);
  });

  it("a completion sink that throws does not stop the engine: every op is still reported", async () => {
    const npu = simulatedNpu(IDEAL);
    const seen: OpCompletion[] = [];
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    npu.connect({
      complete: (c) => {
        seen.push(c);
        if (seen.length === 1) throw unprintable();
        return false;
      },
    });
    const q = npu.createQueue(0, { priority: 0 });
    for (let i = 1; i <= 3; i++) npu.enqueue(q, i, { ...kernelOp("noop"), cost: { durationNs: 10 } });
    await new Promise((r) => setTimeout(r, 20));
    const logged = error.mock.calls.map((args) => String(args[0]));
    error.mockRestore();
    expect(seen.map((c) => [c.opId, c.status])).toEqual([
      [1, "ok"],
      [2, "ok"],
      [3, "ok"],
    ]);
    expect(logged).toEqual([expect.stringMatching(/completion sink threw: an unprintable object/)]);
  });
});

describe("re-entrancy (issue 10, defect 7)", () => {
  it("after close() from the sink, the rest of an abort batch is not reported", async () => {
    const npu = simulatedNpu(IDEAL);
    const seen: OpCompletion[] = [];
    npu.connect({
      complete: (c) => {
        seen.push(c);
        if (c.status === "aborted") npu.close();
        return false;
      },
    });
    const q = npu.createQueue(0, { priority: 0 });
    const counter = npu.createCounter(0);
    npu.enqueue(q, 1, { kind: "wait", counter, value: 1 });
    for (let i = 2; i <= 4; i++) npu.enqueue(q, i, { ...kernelOp("noop"), cost: { durationNs: 10 } });
    await new Promise((r) => setTimeout(r, 5));
    npu.abortQueue(q);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map((c) => [c.opId, c.status])).toEqual([[1, "aborted"]]);
  });
});

describe("simulator limits", () => {
  it("an operand too large to compute on for real fails with a code that names the limit", async () => {
    const s = setup({ ...IDEAL, hbmBytes: 16 * 2 ** 30 });
    const q = s.queue();
    const big = s.device.allocate(8 * 2 ** 30);
    s.device.enqueue(q, { kind: "kernel", name: "relu", inputs: [big], outputs: [big] });
    await s.device.drain(q);
    expect(s.done(q)[0]).toMatchObject({ status: "error", failure: { code: "FEATURE_NOT_SUPPORTED" } });
    expect(s.done(q)[0]!.failure!.message).toMatch(/simulator's limit.*computeKernels: false/);
    // Timing only, the same kernel is fine: nothing is computed.
    const t = setup({ ...IDEAL, hbmBytes: 16 * 2 ** 30, computeKernels: false });
    const tq = t.queue();
    const tb = t.device.allocate(8 * 2 ** 30);
    t.device.enqueue(tq, { kind: "kernel", name: "relu", inputs: [tb], outputs: [tb] });
    await t.device.drain(tq);
    expect(t.done(tq)[0]!.status).toBe("ok");
  });

  it("a stated cost that would push virtual time past 2^53 ns fails its op; time stays exact", async () => {
    const s = setup(IDEAL);
    const q = s.queue();
    // A duration beyond 2^53 ns is refused by core at the call; a cost the simulator turns into
    // such a duration (1e300 flops) fails its op.
    expect(() => s.device.enqueue(q, timed(1e300))).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    s.device.enqueue(q, { kind: "kernel", name: "noop", cost: { flops: 1e300 } });
    s.device.enqueue(q, timed(10));
    await s.device.drain(q);
    expect(s.done(q).map((c) => [c.status, c.failure?.code])).toEqual([
      ["error", "FEATURE_NOT_SUPPORTED"],
      ["ok", undefined],
    ]);
    const last = s.done(q)[1]!;
    expect(last.endNs - last.startNs).toBe(10);
    expect(s.device.clock.now()).toBeLessThan(1e6);
  });

  it("a d2d copy spanning many pages moves every byte (page by page, no full-size scratch buffer)", async () => {
    const s = setup(IDEAL);
    const q = s.queue();
    const n = 300_000;
    const data = Float32Array.from({ length: n / 4 }, (_, i) => i);
    const a = s.upload(q, data);
    const b = s.device.allocate(n);
    s.device.enqueue(q, { kind: "copy", src: a, dst: b });
    const out = s.download(q, b);
    await s.device.drain(q);
    expect(out).toEqual(data);
    // Copying unwritten memory leaves the destination unbacked (and reading as zeros).
    const fresh = setup(IDEAL);
    const fq = fresh.queue();
    const c = fresh.device.allocate(4 * 2 ** 20);
    const d = fresh.device.allocate(4 * 2 ** 20);
    fresh.device.enqueue(fq, { kind: "copy", src: c, dst: d });
    await fresh.device.drain(fq);
    expect(fresh.done(fq)[0]!.status).toBe("ok");
    expect(fresh.npu.hostBackedBytes()).toBe(0);
  });
});

describe("host memory behind device memory", () => {
  it("an op whose writes would back more than maxHostBackedBytes fails with a code, not an out-of-memory crash", async () => {
    const s = setup({ ...IDEAL, maxHostBackedBytes: 2 ** 20 });
    const q = s.queue();
    const big = s.device.allocate(4 * 2 ** 20);
    s.device.enqueue(q, { kind: "fill", dst: big, value: 1 });
    const small = s.device.allocate(4096);
    s.device.enqueue(q, { kind: "fill", dst: small, value: 1 });
    await s.device.drain(q);
    expect(s.done(q)[0]).toMatchObject({ status: "error", failure: { code: "FEATURE_NOT_SUPPORTED" } });
    expect(s.done(q)[0]!.failure!.message).toMatch(/maxHostBackedBytes/);
    expect(s.npu.hostBackedBytes()).toBeLessThanOrEqual(2 ** 20);
    // Releasing the buffer gives its pages back; then writes fit again.
    s.device.release(big);
    s.device.enqueue(q, { kind: "fill", dst: small, value: 2 });
    await s.device.drain(q);
    expect(s.done(q)[2]!.status).toBe("ok");
    expect(simulatedNpu().config.maxHostBackedBytes).toBe(4 * 2 ** 30);
    expect(simulatedNpu({ maxHostBackedBytes: Number.POSITIVE_INFINITY }).config.maxHostBackedBytes).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(codeOf(() => simulatedNpu({ maxHostBackedBytes: -1 }))).toBe("INVALID_PARAM");
    expect(() => simulatedNpu({ maxHostBackedBytes: "1" as unknown as number })).toThrow(TypeError);
  });
});

describe("the virtual clock's timers", () => {
  it("refuse a delay that is not a finite number, and never fire one past the time limit", async () => {
    const npu = simulatedNpu(IDEAL);
    expect(() => npu.clock.setTimer("5" as unknown as number, () => {})).toThrow(TypeError);
    expect(codeOf(() => npu.clock.setTimer(Number.NaN, () => {}))).toBe("INVALID_PARAM");
    expect(codeOf(() => npu.clock.setTimer(Number.POSITIVE_INFINITY, () => {}))).toBe("INVALID_PARAM");
    expect(() => npu.clock.setTimer(5, 5 as unknown as () => void)).toThrow(TypeError);
    let fired = false;
    const far = npu.clock.setTimer(1e300, () => {
      fired = true;
    });
    await sleep(npu.clock, 1_000);
    expect(fired).toBe(false);
    expect(npu.clock.now()).toBe(1_000);
    npu.clock.clearTimer(far);
  });
});

describe("option validation of every export (issue 10, defect 5)", () => {
  it("hbmBytes: a whole number of bytes, at most 1 TiB (each device's address window)", async () => {
    expect(codeOf(() => simulatedNpu({ hbmBytes: 2 ** 40 + 64 }))).toBe("INVALID_PARAM");
    expect(codeOf(() => simulatedNpu({ hbmBytes: 1000.5 }))).toBe("INVALID_PARAM");
    expect(codeOf(() => simulatedNpu({ hbmBytes: 0 }))).toBe("INVALID_PARAM");
    // At exactly 1 TiB, on the second device, an allocation at the top of the window releases.
    const s = setup({ ...IDEAL, devices: 2, hbmBytes: 2 ** 40 });
    const low = s.device.allocate(2 ** 39, { device: 1 });
    const high = s.device.allocate(2 ** 39 - 4096, { device: 1 });
    s.device.release(high);
    s.device.release(low);
    expect(s.device.memoryInfo(1)).toMatchObject({ allocations: 0, bytesInUse: 0 });
  });

  it("faults: a hole in the array is refused like any non-object", () => {
    const holed: unknown[] = [{ kind: "kernel-fail" }];
    holed[2] = { kind: "kernel-fail" };
    expect(() => simulatedNpu({ faults: holed as never })).toThrow(/config\.faults\[1\]/);
    expect(codeOf(() => simulatedNpu({ faults: { length: 1 } as never }))).toBe("INVALID_PARAM");
  });

  it("throwing getters and Proxy traps give a TypeError at the call", () => {
    const getter = {
      get preset(): "tiny" {
        throw unprintable();
      },
    };
    expect(() => simulatedNpu(getter)).toThrow(TypeError);
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no keys");
        },
      },
    );
    expect(() => simulatedNpu(trap)).toThrow(TypeError);
    expect(codeOf(() => simulatedNpu(JSON.parse('{"__proto__": {"aiCores": 0}}')))).toBe("INVALID_PARAM");
    expect(() => simulatedNpu({ hostCosts: trap })).toThrow(TypeError);
    expect(() => simulatedNpu({ kernels: { k: trap } })).toThrow(TypeError);
    const npu = simulatedNpu();
    expect(() => npu.injectFault(trap as never)).toThrow(TypeError);
    expect(() => npu.registerKernel("k", trap as never)).toThrow(TypeError);
  });

  it("numbers: NaN, infinities, negatives, fractions and out-of-range values are coded errors", () => {
    const bad: Record<string, unknown>[] = [
      { aiCores: 0 },
      { aiCores: 2.5 },
      { aiCores: Number.NaN },
      { hbmBandwidth: -1 },
      { hbmBandwidth: Number.POSITIVE_INFINITY },
      { kernelLaunchNs: -1 },
      { copyEnginesPerDirection: 0 },
      { hostCosts: { launchNs: 2e9 } },
      { hostCosts: { launchNs: -1 } },
      { hostCosts: { launchNs: 0.5 } },
      { devices: 0 },
      { devices: 65 },
      { seed: 1.5 },
      { jitter: -0.1 },
      { paceScale: 0 },
      { paceScale: 1e10 },
      { faults: [{ kind: "kernel-fail", probability: 2 }] },
      { faults: [{ kind: "allocation-fail", nth: 0 }] },
      { faults: [{ kind: "device-lost", atNs: -5 }] },
      { faults: [{ kind: "device-lost", device: 3 }] },
    ];
    for (const config of bad) expect(codeOf(() => simulatedNpu(config))).toBe("INVALID_PARAM");
    const wrongTypes: unknown[] = [
      5,
      "tiny",
      [],
      { aiCores: "4" },
      { hostCosts: 5 },
      { kernels: [] },
      { computeKernels: "yes" },
      { faults: [5] },
      { faults: [{ kind: "kernel-fail", kernel: 5 }] },
    ];
    for (const config of wrongTypes) expect(() => simulatedNpu(config as never)).toThrow(TypeError);
  });

  it("options are read once: changing the caller's objects later changes nothing", async () => {
    const pattern = /^r/g;
    const fault = { kind: "kernel-fail" as const, kernel: pattern, probability: 1 };
    const s = setup({ ...IDEAL, faults: [fault] });
    (fault as { probability: number }).probability = 0;
    const q = s.queue();
    const b = s.device.allocate(16);
    // A global RegExp's test() is stateful; the simulator's copy of the pattern is not.
    for (let i = 0; i < 3; i++)
      s.device.enqueue(q, { kind: "kernel", name: "relu", inputs: [b], outputs: [b] });
    await s.device.drain(q);
    expect(s.done(q).map((c) => c.failure?.code)).toEqual([
      "KERNEL_FAILED",
      "KERNEL_FAILED",
      "KERNEL_FAILED",
    ]);
  });

  it("exported presets, host costs and the kernel library are frozen", () => {
    for (const value of [
      ASCEND_910,
      TINY,
      PRESETS,
      DEFAULT_HOST_COSTS,
      BUILTIN_KERNELS,
      BUILTIN_KERNELS.add,
    ]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => {
      (TINY as { aiCores: number }).aiCores = 0;
    }).toThrow(TypeError);
    expect(simulatedNpu({ preset: "tiny" }).config.figures.aiCores).toBe(4);
  });
});
