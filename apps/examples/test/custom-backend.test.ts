import { createDevice } from "@npurt/core";
import { describeDeviceBackendConformance } from "@npurt/core/conformance";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { hostCpuBackend } from "../src/examples/custom-backend/host-cpu-backend.js";

// The custom backend meets the same contract as the simulated NPU: core's conformance suite.
describeDeviceBackendConformance({ name: "host CPU (wall time)", factory: () => hostCpuBackend() });
describeDeviceBackendConformance({
  name: "host CPU, small (4 queues, 1 MiB)",
  factory: () => hostCpuBackend({ maxQueues: 4, memoryBytes: 2 ** 20 }),
});

describe("host CPU backend, through the streams package", () => {
  it("computes kernels for real and reports wall-clock times in order", async () => {
    const device = createDevice(hostCpuBackend());
    const manager = new StreamManager(device);
    const s = manager.create();
    const x = Float32Array.from([-3, -1, 0, 2]);
    const buf = manager.allocate(x.byteLength);
    const out = new Float32Array(4);
    s.copy({ src: x, dst: buf });
    const relu = s.launch({ name: "relu", inputs: [buf], outputs: [buf] });
    const scale = s.launch({ name: "scale", inputs: [buf], outputs: [buf], params: { factor: 3 } });
    s.copy({ src: buf, dst: out });
    await s.synchronize({ timeoutMs: 1000 });
    expect(Array.from(out)).toEqual([0, 0, 0, 6]);
    expect(scale.startNs!).toBeGreaterThanOrEqual(relu.endNs!);
    manager.release(buf);
    await s.destroy();
    manager.close();
    device.close();
  });

  it("a kernel that fails is a KERNEL_FAILED completion reaching synchronize, and the stream goes on", async () => {
    const device = createDevice(hostCpuBackend());
    const manager = new StreamManager(device);
    const s = manager.create();
    const small = manager.allocate(8);
    const large = manager.allocate(64);
    const failed = s.launch({ name: "relu", inputs: [small], outputs: [large] }); // input shorter than output
    await expect(s.synchronize({ timeoutMs: 1000 })).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    expect(failed.status).toBe("failed");
    s.launch({ name: "relu", inputs: [large], outputs: [large] });
    await s.synchronize({ timeoutMs: 1000 });
    manager.release(small);
    manager.release(large);
    await s.destroy();
    manager.close();
    device.close();
  });

  it("an unknown kernel is refused at launch (the manifest lists the kernels), bad options are refused", () => {
    const device = createDevice(hostCpuBackend());
    const manager = new StreamManager(device);
    const s = manager.create();
    expect(() => s.launch({ name: "matmul" })).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
    expect(() => hostCpuBackend({ memoryBytes: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => hostCpuBackend({ maxQueues: 1.5 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    manager.close();
    device.close();
  });
});
