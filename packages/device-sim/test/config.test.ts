import { describe, expect, it } from "vitest";
import { ASCEND_910, DEFAULT_HOST_COSTS, PRESETS, simulatedNpu, TINY } from "../src/index.js";
import { codeOf, setup } from "./harness.js";

describe("configuration", () => {
  it("defaults to one 910-class device in virtual time, and describes it in the manifest", () => {
    const npu = simulatedNpu();
    expect(npu.config).toMatchObject({
      devices: 1,
      figures: ASCEND_910,
      hostCosts: DEFAULT_HOST_COSTS,
      timeMode: "virtual",
      computeKernels: true,
      jitter: 0,
    });
    expect(npu.specificationVersion).toBe("v1");
    expect(npu.capabilities).toMatchObject({
      timeModel: "virtual",
      priorities: { supported: true, greatest: 0, least: 7 },
      concurrentQueues: true,
      timing: true,
      computesKernels: true,
    });
    expect(npu.capabilities.devices[0]).toMatchObject({
      computeUnits: 32,
      memoryBytes: 32 * 2 ** 30,
      maxQueues: 2048,
      copyEngines: 6,
    });
    expect(npu.clock.mode).toBe("virtual");
  });

  it("overrides any figure of a preset, and builds several devices", () => {
    const npu = simulatedNpu({
      preset: "tiny",
      devices: 3,
      aiCores: 16,
      maxQueues: Number.POSITIVE_INFINITY,
      name: "custom",
      hostCosts: { launchNs: 5 },
    });
    expect(npu.capabilities.devices).toHaveLength(3);
    expect(npu.capabilities.devices[2]).toMatchObject({
      index: 2,
      name: "custom",
      computeUnits: 16,
      memoryBytes: TINY.hbmBytes,
      maxQueues: Number.POSITIVE_INFINITY,
    });
    expect(npu.config.hostCosts).toEqual({ ...DEFAULT_HOST_COSTS, launchNs: 5 });
    expect(Object.keys(PRESETS)).toEqual(["tiny", "ascend910"]);
  });

  it("refuses bad configuration with clear, coded errors", () => {
    const code = (config: unknown) => codeOf(() => simulatedNpu(config as never));
    expect(code({ preset: "h100" })).toBe("INVALID_PARAM");
    expect(code({ aiCores: 0 })).toBe("INVALID_PARAM");
    expect(code({ aiCores: 2.5 })).toBe("INVALID_PARAM");
    expect(code({ hbmBytes: -1 })).toBe("INVALID_PARAM");
    expect(code({ peakFlops: Number.POSITIVE_INFINITY })).toBe("INVALID_PARAM");
    expect(code({ devices: 0 })).toBe("INVALID_PARAM");
    expect(code({ jitter: -0.1 })).toBe("INVALID_PARAM");
    expect(code({ timeMode: "warp" })).toBe("INVALID_PARAM");
    expect(code({ paceScale: 0 })).toBe("INVALID_PARAM");
    expect(code({ seed: 1.5 })).toBe("INVALID_PARAM");
    expect(code({ hostCosts: { launchNs: -3 } })).toBe("INVALID_PARAM");
    expect(code({ hostCosts: { lunchNs: 3 } })).toBe("INVALID_PARAM");
    expect(() => simulatedNpu({ aiCore: 8 } as never)).toThrow(/unknown option "aiCore"/);
    expect(() => simulatedNpu({ aiCores: "8" } as never)).toThrow(TypeError);
    expect(() => simulatedNpu({ computeKernels: "yes" } as never)).toThrow(TypeError);
    expect(() => simulatedNpu({ name: 3 } as never)).toThrow(TypeError);
    expect(() => simulatedNpu("tiny" as never)).toThrow(TypeError);
  });

  it("enforces queue and counter limits per device", () => {
    const s = setup({ preset: "tiny", maxQueues: 2, maxCounters: 1, devices: 2 });
    s.device.createQueue();
    s.device.createQueue();
    expect(codeOf(() => s.device.createQueue())).toBe("NO_STREAM_RESOURCE");
    expect(codeOf(() => s.device.createQueue({ device: 1 }))).toBeUndefined();
    const c = s.device.createCounter();
    expect(codeOf(() => s.device.createCounter())).toBe("NO_EVENT_RESOURCE");
    s.device.destroyCounter(c);
    expect(codeOf(() => s.device.createCounter())).toBeUndefined();
  });

  it("stops reporting after close", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    s.device.enqueue(q, { kind: "kernel", name: "noop" });
    const drained = s.device.drain(q);
    const late: string[] = []; // a report after close would show here, as an out-of-contract completion
    s.device.instrumentation.subscribe((e) => void (e.type === "error" && late.push(e.message)));
    s.device.close();
    await expect(drained).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    await new Promise((r) => setTimeout(r, 5));
    // The backend reports nothing after close; core's Device reports the op it dropped.
    expect(s.log.map((c) => [c.status, c.failure?.code])).toEqual([["aborted", "DEVICE_CLOSED"]]);
    expect(late).toEqual([]);
    s.npu.close();
  });
});
