import type { Device } from "@npurt/core";

/**
 * Measures device utilisation as the share of AI-core time that kernels held: each kernel
 * counts its duration times the cores it occupied (its `blockDim`), over the cores the device
 * has times the span measured. One kernel on 8 of 32 cores for the whole span reads 25 %.
 * (The profiler's summary reports busy time per lane of concurrent kernels; this figure also
 * weighs each kernel by its width, which is what "the device was 85 % busy" means.)
 */
export class CoreOccupancy {
  readonly #blockDims: ReadonlyMap<string, number>;
  readonly #cores: number;
  readonly #unsubscribe: () => void;
  #coreNs = 0;
  #first = Number.POSITIVE_INFINITY;
  #last = Number.NEGATIVE_INFINITY;

  /** Starts counting the kernels of `device` named in `blockDims` (name → cores each occupies). */
  constructor(device: Device, blockDims: ReadonlyMap<string, number>) {
    this.#blockDims = blockDims;
    this.#cores = device.info(0).computeUnits;
    this.#unsubscribe = device.instrumentation.subscribe((e) => {
      if (e.type !== "op.completed" || e.kind !== "kernel" || e.status !== "ok") return;
      const width = this.#blockDims.get(e.name);
      if (width === undefined) return;
      this.#coreNs += (e.endNs - e.startNs) * width;
      this.#first = Math.min(this.#first, e.startNs);
      this.#last = Math.max(this.#last, e.endNs);
    });
  }

  /** Core-time held over core-time available between `fromNs` and `toNs`, 0 … 1. */
  utilisation(fromNs: number, toNs: number): number {
    const span = toNs - fromNs;
    return span > 0 ? this.#coreNs / (this.#cores * span) : 0;
  }

  /** Stops counting. */
  stop(): void {
    this.#unsubscribe();
  }
}
