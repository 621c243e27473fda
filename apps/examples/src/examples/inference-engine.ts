import { CallbackChain, CallbackScheduler } from "@npurt/callbacks";
import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** One request's outcome in the inference example. */
export interface InferenceResult {
  readonly request: number;
  /** Index of the largest softmax probability. */
  readonly label: number;
  /** Whether the device result equals a plain CPU computation of the same model. */
  readonly matchesReference: boolean;
  /** Virtual time from submission to completion, in ns. */
  readonly latencyNs: number;
}

const FEATURES = 16;
const HIDDEN = 32;
const CLASSES = 4;

/** A deterministic pseudo-random matrix (xorshift32), so every run has the same model. */
function matrix(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: rows * cols }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 0.5;
  });
}

/** The model on the CPU, for checking the device: softmax(relu(x · W1) · W2). */
function reference(x: Float32Array, w1: Float32Array, w2: Float32Array): Float32Array {
  const h = new Float32Array(HIDDEN);
  for (let j = 0; j < HIDDEN; j++) {
    let sum = 0;
    for (let i = 0; i < FEATURES; i++) sum += x[i]! * w1[i * HIDDEN + j]!;
    h[j] = Math.max(0, sum);
  }
  const z = new Float64Array(CLASSES);
  for (let c = 0; c < CLASSES; c++) for (let j = 0; j < HIDDEN; j++) z[c]! += h[j]! * w2[j * CLASSES + c]!;
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / total);
}

/**
 * The callback seed article's `AsyncInferenceEngine`: each request is a callback chain
 * (preprocess → device forward pass → postprocess → completion callback). The forward pass runs
 * on its own stream of a simulated NPU (copy in, matmul, relu, matmul, softmax, copy out, all
 * computed for real), and the streams' host callbacks run on the callbacks package's scheduler,
 * wired through core's `HostExecutor` port. Requests run concurrently; each result is checked
 * against a CPU computation of the same model.
 */
export async function inferenceEngine(
  requests = 8,
  log: (line: string) => void = () => {},
): Promise<InferenceResult[]> {
  const device = createDevice(simulatedNpu({ preset: "tiny", seed: 11 }));
  const scheduler = new CallbackScheduler({ clock: device.clock });
  const manager = new StreamManager(device, { executor: scheduler });
  const w1 = matrix(FEATURES, HIDDEN, 1);
  const w2 = matrix(HIDDEN, CLASSES, 2);
  const weights1 = device.allocate(w1.byteLength, { tag: "w1" });
  const weights2 = device.allocate(w2.byteLength, { tag: "w2" });
  const loader = manager.create();
  loader.copy({ src: w1, dst: weights1 });
  loader.copy({ src: w2, dst: weights2 });
  await loader.synchronize();

  const forward = async (x: Float32Array): Promise<Float32Array> => {
    const stream = manager.create();
    const input = device.allocate(x.byteLength);
    const hidden = device.allocate(HIDDEN * 4);
    const logits = device.allocate(CLASSES * 4);
    const probs = new Float32Array(CLASSES);
    stream.copy({ src: x, dst: input });
    stream.launch({
      name: "matmul",
      blockDim: 2,
      inputs: [input, weights1],
      outputs: [hidden],
      params: { m: 1, k: FEATURES, n: HIDDEN },
    });
    stream.launch({ name: "relu", inputs: [hidden], outputs: [hidden] });
    stream.launch({
      name: "matmul",
      blockDim: 2,
      inputs: [hidden, weights2],
      outputs: [logits],
      params: { m: 1, k: HIDDEN, n: CLASSES },
    });
    stream.launch({
      name: "softmax",
      inputs: [logits],
      outputs: [logits],
      params: { rows: 1, cols: CLASSES },
    });
    stream.copy({ src: logits, dst: probs });
    await stream.synchronize({ timeoutMs: 100 });
    await stream.destroy();
    for (const b of [input, hidden, logits]) device.release(b);
    return probs;
  };

  const inputs = Array.from({ length: requests }, (_, r) => matrix(1, FEATURES, 100 + r));
  const started = new Map<number, number>();
  const chain = CallbackChain.start<number>()
    .step(
      (r) => {
        started.set(r, device.clock.now());
        return { r, x: inputs[r]! };
      },
      { label: "preprocess" },
    )
    .step(async ({ r, x }) => ({ r, x, probs: await forward(x) }), { label: "forward" })
    .step(
      ({ r, x, probs }) => {
        const expected = reference(x, w1, w2);
        const matchesReference = probs.every((p, i) => Math.abs(p - expected[i]!) < 1e-5);
        const label = probs.indexOf(Math.max(...probs));
        return { request: r, label, matchesReference, latencyNs: device.clock.now() - started.get(r)! };
      },
      { label: "postprocess" },
    )
    .onComplete((outcome) => {
      if (outcome.ok) {
        const { request, label, latencyNs } = outcome.value;
        log(`request ${request}: class ${label}, ${(latencyNs / 1e3).toFixed(1)} µs from submission`);
      } else log(`a request failed: ${outcome.error.message}`);
    });

  // The chains measure time on the device's (virtual) clock, so the whole run, host side
  // included, is the same on every run.
  const results = await Promise.all(inputs.map((_, r) => chain.run(r, { clock: device.clock })));
  await loader.destroy();
  device.release(weights1);
  device.release(weights2);
  manager.close();
  device.close();
  return results;
}
