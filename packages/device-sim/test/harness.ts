import {
  createDevice,
  type DeviceBuffer,
  type OpCompletion,
  type OpSpec,
  type QueueHandle,
} from "@npurt/core";
import { type SimulatedNpuConfig, simulatedNpu, ZERO_HOST_COSTS } from "../src/index.js";

/** A device over a fresh simulator, with a log of every completion. */
export function setup(config: SimulatedNpuConfig = {}) {
  const npu = simulatedNpu(config);
  const device = createDevice(npu);
  const log: OpCompletion[] = [];
  const byQueue = new Map<QueueHandle, OpCompletion[]>();
  return {
    npu,
    device,
    log,
    queue(priority?: number, deviceIndex = 0): QueueHandle {
      const list: OpCompletion[] = [];
      const q = device.createQueue({
        device: deviceIndex,
        ...(priority === undefined ? {} : { priority }),
        onComplete: (c) => {
          log.push(c);
          list.push(c);
        },
      });
      byQueue.set(q, list);
      return q;
    },
    done(q: QueueHandle): OpCompletion[] {
      return byQueue.get(q) ?? [];
    },
    /** Uploads float32 values into a new buffer (enqueued on `q`). */
    upload(q: QueueHandle, values: ArrayLike<number>): DeviceBuffer {
      const data = Float32Array.from(values);
      const buffer = device.allocate(data.byteLength);
      device.enqueue(q, { kind: "copy", src: data, dst: buffer });
      return buffer;
    },
    /** Enqueues a read-back of `buffer` and returns the host array it fills. */
    download(q: QueueHandle, buffer: DeviceBuffer): Float32Array {
      const out = new Float32Array(buffer.bytes / 4);
      device.enqueue(q, { kind: "copy", src: buffer, dst: out });
      return out;
    },
  };
}

/** A config whose host calls and launches are free, for exact timelines. */
export const IDEAL: SimulatedNpuConfig = {
  preset: "tiny",
  hostCosts: ZERO_HOST_COSTS,
  kernelLaunchNs: 0,
  copyLatencyNs: 0,
  // Host arrays in these tests are ordinary (pageable) ones; their copy times follow the pinned
  // figures, so the expected timelines stay simple. memory.test.ts covers the difference.
  pageableH2dBandwidth: 10e9,
  pageableD2hBandwidth: 10e9,
};

/** A kernel that takes exactly `durationNs` (before jitter). */
export function timed(durationNs: number, blockDim = 1, name = "noop"): OpSpec {
  return { kind: "kernel", name, blockDim, cost: { durationNs } };
}

/** What `fn` throws (undefined when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error code `fn` throws, or undefined. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${String(e)}`;
  }
  return undefined;
}

/** A small LCG for random test programs (independent of the simulator's own generator). */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

/** Resolves after `ns` of the device's virtual clock. */
export function sleep(clock: { setTimer(ns: number, cb: () => void): unknown }, ns: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ns, resolve));
}
