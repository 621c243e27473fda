// A seeded pipeline on the simulated NPU that is the same program in Node and in a browser: its
// virtual-time results must match bit for bit, and its wall time shows what the host's
// macrotask hop costs (each host callback and each yield of the simulator to the host is one).
import { CallbackScheduler } from "@npurt/callbacks";
import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** What a run left, in virtual time only (nothing here depends on the wall clock). */
export interface PipelineResult {
  /** The host's virtual time at the end, in ns. */
  readonly endNs: number;
  /** Each op's start and end on the device clock, in submission order. */
  readonly ops: readonly (readonly [number, number])[];
  /** The order host callbacks ran in. */
  readonly callbacks: readonly string[];
  /** The sum of every request's output, computed by the simulated kernels. */
  readonly checksum: number;
}

/**
 * `requests` requests over `streams` compute streams: upload, two kernels, a host callback that
 * checks the result, download; each request's compute stream waits for its upload on a shared
 * copy stream through an event.
 */
export async function runPipeline(seed: number, requests = 200, streams = 4): Promise<PipelineResult> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed, jitter: 0.2 }));
  const manager = new StreamManager(device, { executor: new CallbackScheduler({ clock: device.clock }) });
  const upload = manager.create({ priority: 0 });
  const compute = Array.from({ length: streams }, (_, i) => manager.create({ priority: i % 8 }));
  const handles = [];
  const callbacks: string[] = [];
  const buffers = [];
  let checksum = 0;
  const n = 64;
  for (let r = 0; r < requests; r++) {
    const s = compute[r % streams]!;
    const [x, y] = [manager.allocate(n * 4), manager.allocate(n * 4)];
    const input = Float32Array.from({ length: n }, (_, i) => ((i + r) % 7) - 3);
    const output = new Float32Array(n);
    const ready = manager.createEvent();
    handles.push(upload.copy({ src: input, dst: x }));
    upload.record(ready);
    s.waitEvent(ready);
    handles.push(s.launch({ name: "relu", inputs: [x], outputs: [y] }));
    handles.push(s.launch({ name: "add", inputs: [y, y], outputs: [x] }));
    handles.push(s.copy({ src: x, dst: output }));
    s.launchHostCallback(() => {
      callbacks.push(`request ${r}`);
      checksum += output.reduce((a, b) => a + b, 0);
    });
    buffers.push(x, y);
    ready.destroy();
  }
  await manager.synchronize();
  for (const b of buffers) manager.release(b);
  const result: PipelineResult = {
    endNs: device.clock.now(),
    ops: handles.map((h) => [h.startNs ?? -1, h.endNs ?? -1] as const),
    callbacks,
    checksum,
  };
  for (const s of [upload, ...compute]) await s.destroy();
  manager.close();
  return result;
}
