// A port of NVIDIA cuda-samples `Samples/0_Introduction/asyncAPI/asyncAPI.cu`: issue a copy in,
// a kernel and a copy out on the legacy default stream, record an event, and let the CPU count
// while it polls the event; then check the result. Every call maps onto one CUDA call; the
// comments name it. Differences from the original: int data becomes float32 (npurt's buffers
// are float32 until typed buffers land), the size is smaller, and the CPU loop awaits a turn
// of the event loop between polls (the simulated device runs on the same thread).
import { createDevice } from "@npurt/core";
import { type KernelDefinition, simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** What the port observed. */
export interface AsyncApiResult {
  /** Device time from `start` to `stop` (cudaEventElapsedTime), in ms. */
  readonly gpuTimeMs: number;
  /** Iterations the CPU ran while it waited for `stop` (the sample's `counter`). */
  readonly cpuIterations: number;
  /** The sample's `correct_output`: every element equals `value`. */
  readonly correct: boolean;
  /** What the stream ops reported through their handles. */
  readonly statuses: readonly string[];
}

/** `increment_kernel`: g_data[idx] = g_data[idx] + inc_value. */
const incrementKernel: KernelDefinition = {
  compute: ({ inputs: [data], outputs: [out], params }) => {
    const inc = Number(params.incValue);
    for (let i = 0; i < out!.length; i++) out![i] = data![i]! + inc;
  },
  cost: ({ outputBytes }) => ({ flops: outputBytes[0]! / 4, bytes: 2 * outputBytes[0]! }),
};

/** Runs the port; `n` elements (the sample uses 16 Mi). */
export async function cudaAsyncApi(
  n = 1 << 20,
  log: (line: string) => void = () => {},
): Promise<AsyncApiResult> {
  const device = createDevice(
    simulatedNpu({ preset: "ascend910", seed: 1, kernels: { increment_kernel: incrementKernel } }),
  );
  const manager = new StreamManager(device, { profile: "cuda" });
  const stream0 = manager.defaultStream(); // the `0` stream argument: the legacy default stream
  const nbytes = n * 4;
  const value = 26;

  const a = new Float32Array(n); // cudaMallocHost(&a, nbytes); memset(a, 0, nbytes)
  const dA = manager.allocate(nbytes); // cudaMalloc(&d_a, nbytes)
  stream0.fill({ dst: dA, value: 255 }); // cudaMemset(d_a, 255, nbytes)

  const start = manager.createEvent(); // cudaEventCreate(&start)
  const stop = manager.createEvent(); // cudaEventCreate(&stop)

  const ops = [
    stream0.record(start), // cudaEventRecord(start, 0)
    stream0.copy({ src: a, dst: dA }), // cudaMemcpyAsync(d_a, a, nbytes, cudaMemcpyHostToDevice, 0)
    stream0.launch({ name: "increment_kernel", inputs: [dA], outputs: [dA], params: { incValue: value } }),
    stream0.copy({ src: dA, dst: a }), // cudaMemcpyAsync(a, d_a, nbytes, cudaMemcpyDeviceToHost, 0)
    stream0.record(stop), // cudaEventRecord(stop, 0)
  ];

  // while (cudaEventQuery(stop) == cudaErrorNotReady) counter++;
  let counter = 0;
  while (stop.query() === "not-ready") {
    counter++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const gpuTimeMs = start.elapsedTime(stop); // cudaEventElapsedTime(&gpu_time, start, stop)
  log(`time spent executing by the GPU: ${gpuTimeMs.toFixed(3)} ms`);
  log(`CPU executed ${counter} iterations while waiting for GPU to finish`);

  const correct = a.every((x) => x === value); // correct_output(a, n, value)
  log(correct ? "asyncAPI: PASSED" : "asyncAPI: FAILED");

  start.destroy(); // cudaEventDestroy(start)
  stop.destroy(); // cudaEventDestroy(stop)
  manager.release(dA); // cudaFree(d_a)
  manager.close();
  device.close();
  return { gpuTimeMs, cpuIterations: counter, correct, statuses: ops.map((o) => o.status) };
}
