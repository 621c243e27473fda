import type { FaultSpec } from "./faults.js";
import type { KernelDefinition } from "./kernels/kernel-definition.js";
import type { DeviceFigures, HostCosts, PresetName } from "./presets.js";

/** How simulated time relates to wall time. */
export type SimTimeMode = "virtual" | "paced";

/**
 * Configuration of {@link simulatedNpu}. Everything is optional: the default is one 910-class
 * device in virtual time. Device figures (any field of {@link DeviceFigures}) override the
 * preset's; unknown keys are refused, so a typo never silently keeps a default.
 */
export interface SimulatedNpuConfig extends Partial<DeviceFigures> {
  /** Figures to start from; default `'ascend910'`. */
  readonly preset?: PresetName;
  /** Identical devices in the backend; default 1. */
  readonly devices?: number;
  /** Host-side costs of API calls (each field overrides the default). */
  readonly hostCosts?: Partial<HostCosts>;
  /** Seed of the deterministic generator behind jitter and random faults; default 1. */
  readonly seed?: number;
  /**
   * Random extra duration per op, as a fraction of its modelled duration: each op takes
   * `d + floor(d · jitter · u)` with `u` uniform in [0, 1) from the seeded generator. Never
   * shortens an op. Default 0.
   */
  readonly jitter?: number;
  /**
   * `'virtual'` (default): time jumps from event to event, as fast as the machine runs.
   * `'paced'`: the same timeline, played back so that one virtual second takes `paceScale`
   * wall seconds; for live demos.
   */
  readonly timeMode?: SimTimeMode;
  /** Wall seconds per virtual second in paced mode; default 1. */
  readonly paceScale?: number;
  /** Whether kernels compute their results; `false` is timing-only mode. Default true. */
  readonly computeKernels?: boolean;
  /**
   * Host memory the lazily backed device memory may take, in bytes (whole 64 KiB pages), over
   * all devices; `Infinity` for no limit. An op whose writes would back more fails with
   * `FEATURE_NOT_SUPPORTED` (its destination may be partly written) instead of the process
   * running out of memory: filling a 32 GiB buffer with ones needs 32 GiB of host pages.
   * Default 4 GiB.
   */
  readonly maxHostBackedBytes?: number;
  /** Extra kernels (or replacements of built-in ones) by name. */
  readonly kernels?: Readonly<Record<string, KernelDefinition>>;
  /** Faults to inject. */
  readonly faults?: readonly FaultSpec[];
}

/** The configuration a simulator runs with, after presets and defaults are applied. */
export interface ResolvedSimConfig {
  /** Identical devices in the backend. */
  readonly devices: number;
  /** Each device's figures (the preset with overrides applied). */
  readonly figures: DeviceFigures;
  /** Host-side costs of API calls. */
  readonly hostCosts: HostCosts;
  /** Seed of the jitter and random-fault generators. */
  readonly seed: number;
  /** Maximum extra duration per op, as a fraction of its modelled duration. */
  readonly jitter: number;
  /** Virtual or paced time. */
  readonly timeMode: SimTimeMode;
  /** Wall seconds per virtual second in paced mode. */
  readonly paceScale: number;
  /** Whether kernels compute their results. */
  readonly computeKernels: boolean;
  /** Host memory the backing of device memory may take, in bytes. */
  readonly maxHostBackedBytes: number;
}
