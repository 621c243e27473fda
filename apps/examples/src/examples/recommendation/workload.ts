// The recommendation model of the pipeline example: what each request moves and computes, as
// figures the simulated NPU turns into time. Both versions (naive and pooled) run exactly this
// work; only how they submit it and wait for it differs.
import { createDevice, type Device, type DeviceBuffer } from "@npurt/core";
import { type KernelDefinition, simulatedNpu } from "@npurt/device-sim";
import type { Stream } from "@npurt/streams";

/** One kernel of the model: its name, how many AI cores it occupies and the work it does. */
export interface StageKernel {
  readonly name: string;
  readonly blockDim: number;
  readonly flops: number;
  readonly bytes: number;
}

/** The user and item features a request sends to the device (host → device copy). */
export const FEATURE_BYTES = 16 * 1024;
/** The ranked scores a request reads back (device → host copy). */
export const SCORE_BYTES = 4 * 1024;

/**
 * Feature extraction: gather the embeddings of the request's ids from the embedding table in
 * device memory (bound by memory bandwidth).
 */
export const EMBED: StageKernel = { name: "feature-embed", blockDim: 8, flops: 0, bytes: 4 * 2 ** 20 };
/** The model: a dense network over the embeddings (bound by compute). */
export const TOWER: StageKernel = { name: "dnn-tower", blockDim: 8, flops: 6e9, bytes: 2 * 2 ** 20 };
/** Post-processing: score the candidate items and keep the best ones. */
export const TOP_K: StageKernel = { name: "score-top-k", blockDim: 4, flops: 5e7, bytes: 512 * 1024 };

/** Every kernel of the model, for utilisation accounting. */
export const KERNELS: readonly StageKernel[] = [EMBED, TOWER, TOP_K];

// Timing-only kernels: the launch states the work, the simulator's roofline model gives the time.
const timed: KernelDefinition = {};

/** The device both versions run on: a simulated Ascend 910-class NPU (32 AI cores), timing only. */
export function recommendationDevice(seed = 5): Device {
  return createDevice(
    simulatedNpu({
      preset: "ascend910",
      seed,
      computeKernels: false,
      kernels: Object.fromEntries(KERNELS.map((k) => [k.name, timed])),
    }),
  );
}

/** The device memory one request uses while it is served. */
export interface RequestBuffers {
  readonly features: DeviceBuffer;
  readonly embeddings: DeviceBuffer;
  readonly scores: DeviceBuffer;
}

/** Allocates one request's buffers, tagged so the memory tracker can tell them apart. */
export function allocateRequest(device: Device): RequestBuffers {
  return {
    features: device.allocate(FEATURE_BYTES, { tag: "request features" }),
    embeddings: device.allocate(256 * 1024, { tag: "request embeddings" }),
    scores: device.allocate(SCORE_BYTES, { tag: "request scores" }),
  };
}

/** Releases what {@link allocateRequest} took. */
export function releaseRequest(device: Device, b: RequestBuffers): void {
  device.release(b.features);
  device.release(b.embeddings);
  device.release(b.scores);
}

/** The shared model state: an embedding table and the network's weights, loaded once. */
export interface ModelWeights {
  readonly table: DeviceBuffer;
  readonly weights: DeviceBuffer;
}

/** Allocates the model (device memory is backed lazily, so a large table costs nothing here). */
export function allocateModel(device: Device): ModelWeights {
  return {
    table: device.allocate(512 * 2 ** 20, { tag: "embedding table" }),
    weights: device.allocate(64 * 2 ** 20, { tag: "dnn weights" }),
  };
}

/** Stage 1 on `stream`: copy the features in and gather their embeddings. */
export function enqueueFeatureExtraction(
  stream: Stream,
  host: Uint8Array,
  model: ModelWeights,
  b: RequestBuffers,
): void {
  stream.copy({ src: host, dst: b.features });
  launch(stream, EMBED, [b.features, model.table], [b.embeddings]);
}

/** Stage 2 on `stream`: the dense network. */
export function enqueueModel(stream: Stream, model: ModelWeights, b: RequestBuffers): void {
  launch(stream, TOWER, [b.embeddings, model.weights], [b.embeddings]);
}

/** Stage 3 on `stream`: score, keep the best items, copy the result back to `out`. */
export function enqueuePostProcessing(stream: Stream, b: RequestBuffers, out: Uint8Array): void {
  launch(stream, TOP_K, [b.embeddings], [b.scores]);
  stream.copy({ src: b.scores, dst: out });
}

function launch(
  stream: Stream,
  k: StageKernel,
  inputs: readonly DeviceBuffer[],
  outputs: readonly DeviceBuffer[],
): void {
  stream.launch({
    name: k.name,
    blockDim: k.blockDim,
    inputs,
    outputs,
    cost: { flops: k.flops, bytes: k.bytes },
  });
}
