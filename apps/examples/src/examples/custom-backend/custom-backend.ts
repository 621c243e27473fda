import { createDevice } from "@npurt/core";
import { StreamManager } from "@npurt/streams";
import { hostCpuBackend } from "./host-cpu-backend.js";

/** What the custom-backend example observed. */
export interface CustomBackendResult {
  /** The backend's name and time model, read from its capability manifest. */
  readonly backend: string;
  readonly timeModel: string;
  /** relu(x) + 2·x, computed on the backend, for x = -2 … 5. */
  readonly result: readonly number[];
  /** Whether it equals the same computation in plain JavaScript. */
  readonly correct: boolean;
  /** Wall time the stream's work took between its two events, ms. */
  readonly elapsedMs: number;
}

/**
 * The same runtime over a different device: the streams package runs unchanged on a backend
 * that executes kernels on the host in wall time. Two streams ordered by an event compute
 * relu(x) + 2·x; the result is checked against plain JavaScript.
 */
export async function customBackend(log: (line: string) => void = () => {}): Promise<CustomBackendResult> {
  const device = createDevice(hostCpuBackend());
  const manager = new StreamManager(device);
  const { timeModel } = device.capabilities;
  log(`backend "host-cpu": kernels ${device.capabilities.kernels?.join(", ")}; time model ${timeModel}`);

  const x = Float32Array.from({ length: 8 }, (_, i) => i - 2);
  const input = manager.allocate(x.byteLength, { tag: "x" });
  const relu = manager.allocate(x.byteLength, { tag: "relu(x)" });
  const doubled = manager.allocate(x.byteLength, { tag: "2x" });
  const out = new Float32Array(x.length);
  const a = manager.create();
  const b = manager.create();
  const start = manager.createEvent({ timing: true });
  const ready = manager.createEvent({ timing: true });

  a.record(start);
  a.copy({ src: x, dst: input });
  a.launch({ name: "relu", inputs: [input], outputs: [relu] });
  a.launch({ name: "scale", inputs: [input], outputs: [doubled], params: { factor: 2 } });
  a.record(ready);
  b.waitEvent(ready); // b adds only after a's kernels are done
  b.launch({ name: "add", inputs: [relu, doubled], outputs: [relu] });
  b.copy({ src: relu, dst: out });
  await b.synchronize({ timeoutMs: 1000 });

  const expected = Array.from(x, (v) => Math.max(0, v) + 2 * v);
  const result = Array.from(out);
  const correct = result.every((v, i) => v === expected[i]);
  const elapsedMs = start.elapsedTime(ready);
  log(
    `relu(x) + 2·x for x = ${Array.from(x).join(", ")}: ${result.join(", ")} (${correct ? "correct" : "WRONG"})`,
  );
  log(`stream a's copy and two kernels took ${elapsedMs.toFixed(3)} ms of wall time`);

  for (const buffer of [input, relu, doubled]) manager.release(buffer);
  start.destroy();
  ready.destroy();
  await a.destroy();
  await b.destroy();
  manager.close();
  device.close();
  return { backend: "host-cpu", timeModel, result, correct, elapsedMs };
}
