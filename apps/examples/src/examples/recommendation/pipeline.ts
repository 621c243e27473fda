import { CallbackScheduler } from "@npurt/callbacks";
import { type LeakReport, LeakTracker, MemoryTracker, type Recording, TraceRecorder } from "@npurt/profiler";
import { StreamManager, type StreamPoolStats } from "@npurt/streams";
import { closedLoop, percentile } from "./closed-loop.js";
import { CoreOccupancy } from "./core-occupancy.js";
import { type ClientBuffers, naiveServer, pooledServer } from "./servers.js";
import { allocateModel, FEATURE_BYTES, KERNELS, recommendationDevice, SCORE_BYTES } from "./workload.js";

/** Sizes of the pipeline run. */
export interface PipelineOptions {
  /** Requests served by each version; default 3000. */
  readonly requests?: number;
  /** Concurrent clients (requests in flight); default 1000. */
  readonly clients?: number;
  /** Streams in the pooled version's pool; default 16. */
  readonly streams?: number;
  /** Called as requests complete (for a progress bar). */
  readonly onProgress?: (version: PipelineVersion, done: number, total: number) => void;
}

/** The two ways of serving the same requests. */
export type PipelineVersion = "naive" | "pooled";

/** What one version measured, all in virtual time on the simulated NPU. */
export interface PipelineRun {
  readonly version: PipelineVersion;
  readonly requests: number;
  readonly clients: number;
  /** Streams used: 1 for the naive version, the pool's size for the pooled one. */
  readonly streams: number;
  /** Requests per second of virtual time. */
  readonly qps: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly spanNs: number;
  /** Share of AI-core time the kernels held, 0 … 1. */
  readonly utilisation: number;
  /** Peak device memory, bytes (model included). */
  readonly peakBytes: number;
  /** Device memory of the model (embedding table and weights), bytes. */
  readonly modelBytes: number;
  /** The profiler's leak report after the manager closed. */
  readonly leaks: LeakReport;
  /** Stream pool statistics at the end (how often a pooled queue was reused). */
  readonly pool: StreamPoolStats;
}

/** Both versions, and the pooled run's trace (for the timeline and trace files). */
export interface PipelineResult {
  readonly naive: PipelineRun;
  readonly pooled: PipelineRun;
  readonly recording: Recording;
}

/**
 * The recommendation pipeline under load: the same requests (feature extraction → model →
 * post-processing, a callback chain each) served first naively (every request on one shared
 * stream, waiting for the device after each stage), then asynchronously over a pool of streams
 * (stages queued without waiting, one host callback per request). Each run is watched by the
 * profiler: leaks, device memory and, for the pooled run, a full trace.
 */
export async function recommendationPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const sizes = {
    requests: options.requests ?? 3000,
    clients: options.clients ?? 1000,
    streams: options.streams ?? 16,
  };
  const naive = await runVersion("naive", sizes, options.onProgress);
  const pooled = await runVersion("pooled", sizes, options.onProgress);
  return { naive: naive.run, pooled: pooled.run, recording: pooled.recording! };
}

async function runVersion(
  version: PipelineVersion,
  sizes: { requests: number; clients: number; streams: number },
  onProgress: PipelineOptions["onProgress"],
): Promise<{ run: PipelineRun; recording: Recording | undefined }> {
  const device = recommendationDevice();
  const leaks = new LeakTracker().attach(device);
  const memory = new MemoryTracker().attach(device);
  // A full trace of the pooled run only (it goes to the files); the naive run just counts.
  const recorder = new TraceRecorder({ mode: version === "pooled" ? "trace" : "counting" }).attach(device);
  const occupancy = new CoreOccupancy(device, new Map(KERNELS.map((k) => [k.name, k.blockDim])));
  // Host callbacks run on the callbacks package's scheduler (batched, prioritised).
  const scheduler = new CallbackScheduler({ clock: device.clock });
  const streams = version === "naive" ? 1 : sizes.streams;
  const manager = new StreamManager(device, {
    executor: scheduler,
    pool: { prewarm: streams, bound: streams },
  });
  const model = allocateModel(device);
  const modelBytes = device.memoryInfo().bytesInUse;
  const host: ClientBuffers = {
    features: Array.from({ length: sizes.clients }, () => new Uint8Array(FEATURE_BYTES)),
    scores: Array.from({ length: sizes.clients }, () => new Uint8Array(SCORE_BYTES)),
  };
  const server =
    version === "naive"
      ? naiveServer(device, manager, model, host)
      : pooledServer(device, manager, model, host, sizes.streams);

  const load = await closedLoop(device.clock, sizes.requests, sizes.clients, server.serve, (done) =>
    onProgress?.(version, done, sizes.requests),
  );
  await server.close();

  const utilisation = occupancy.utilisation(load.startNs, load.endNs);
  occupancy.stop();
  const peakBytes = memory.byDevice().get(0)?.peakBytes ?? 0;
  device.release(model.table);
  device.release(model.weights);
  const pool = manager.stats();
  manager.close();
  const report = leaks.report();
  const recording = version === "pooled" ? recorder.recording() : undefined;
  device.close();
  return {
    run: {
      version,
      requests: sizes.requests,
      clients: sizes.clients,
      streams,
      qps: sizes.requests / (load.spanNs / 1e9),
      p50Ns: percentile(load.latenciesNs, 50),
      p99Ns: percentile(load.latenciesNs, 99),
      spanNs: load.spanNs,
      utilisation,
      peakBytes,
      modelBytes,
      leaks: report,
      pool,
    },
    recording,
  };
}
