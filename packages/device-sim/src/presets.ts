/**
 * The figures of one simulated device. Every preset fills all of them; every one can be
 * overridden in {@link SimulatedNpuConfig}. Bandwidths are bytes per second, rates per second,
 * latencies integer nanoseconds.
 */
export interface DeviceFigures {
  /** Model name shown in the capability manifest. */
  readonly name: string;
  /** AI cores (compute units): a kernel occupies `blockDim` of them while it runs. */
  readonly aiCores: number;
  /** HBM capacity in bytes. */
  readonly hbmBytes: number;
  /** HBM bandwidth in bytes per second (the roofline's memory roof, shared by the AI cores). */
  readonly hbmBandwidth: number;
  /** Peak FP16 throughput of the whole device in FLOP/s (the roofline's compute roof). */
  readonly peakFlops: number;
  /**
   * Host-to-device copy bandwidth in bytes per second (the host link), from page-locked
   * ("pinned") host memory: `Device.allocateHost`.
   */
  readonly h2dBandwidth: number;
  /** Device-to-host copy bandwidth in bytes per second, to pinned host memory. */
  readonly d2hBandwidth: number;
  /**
   * Host-to-device bandwidth from ordinary (pageable) host memory, in bytes per second: the
   * runtime first stages pageable data into a pinned buffer, so it is slower than
   * {@link DeviceFigures.h2dBandwidth} (runtime-semantics §1.4; NVIDIA, "How to Optimize Data
   * Transfers in CUDA C/C++", M. Harris, 2012: "the CUDA driver must first allocate a temporary
   * page-locked … host array, copy the host data to the pinned array, and then transfer").
   */
  readonly pageableH2dBandwidth: number;
  /** Device-to-host bandwidth to pageable host memory, in bytes per second (staged the same way). */
  readonly pageableD2hBandwidth: number;
  /** Device-to-device copy (and fill) bandwidth in bytes per second. */
  readonly d2dBandwidth: number;
  /**
   * Copy engines per direction (h2d, d2h, d2d); they run alongside the AI cores. The engines of
   * one direction share its bandwidth (the host link, or HBM for d2d): more engines let more
   * copies run at once, not faster in sum.
   */
  readonly copyEnginesPerDirection: number;
  /**
   * Queue priority levels the AI cores arbitrate by (1–32): priorities `0` (most urgent) to
   * `priorityLevels - 1`. `1` is a device without priority support: the manifest says
   * `{ supported: false, greatest: 0, least: 0 }` (as `cudaDeviceGetStreamPriorityRange`
   * returns 0, 0 on such devices, and as CANN's A2/A3 parts fix the priority of
   * `aclrtCreateStreamWithConfig` to 0, a reserved parameter) and every queue is served first
   * come first served. Copies ignore priorities either way.
   */
  readonly priorityLevels: number;
  /** Hardware queues (streams) the device holds at once; `Infinity` for no limit. */
  readonly maxQueues: number;
  /** Timeline counters (events) the device holds at once; `Infinity` for no limit. */
  readonly maxCounters: number;
  /** Fixed device time a kernel costs on top of its roofline time (dispatch, launch-to-start). */
  readonly kernelLaunchNs: number;
  /** Fixed device time a copy or fill costs on top of its transfer time. */
  readonly copyLatencyNs: number;
}

/**
 * Host-side costs of API calls, in nanoseconds of the host's virtual time. Defaults follow the
 * published figures in npurt's performance anchors (§6) and runtime semantics (§4) (CUDA and HIP
 * figures, since no CANN ones are published): a launch enqueue ≈ 3 µs (velox PR #6096, ocannl issue #488: 2.6–2.8 µs), an event
 * record ≈ 1.5 µs (NVTX issue #3: ≈ 2.5 µs with timing; 1.1 µs in cuda_event_benchmark issue #1),
 * a stream synchronize wake-up ≈ 2.3 µs (rmm issue #448: `cudaStreamSynchronize` min 2,253 ns),
 * `hipLaunchHostFunc` ≈ 6 µs host side (kokkos PR #8020), stream create ≈ 2 µs (blaspp PR #38).
 */
export interface HostCosts {
  /** Enqueueing a kernel, copy or fill. Default 3000. */
  readonly launchNs: number;
  /** Enqueueing a counter signal (an event record). Default 1500. */
  readonly recordNs: number;
  /** Enqueueing a counter wait (a stream waiting on an event). Default 1000. */
  readonly waitNs: number;
  /**
   * Waking the host when a completion resolves something it awaits (a synchronize returning,
   * a host callback being dispatched): host time becomes the completion's time plus this.
   * Default 2300.
   */
  readonly syncWakeNs: number;
  /**
   * A host-side counter signal, the host's half of a host callback (reporting back so the
   * device queue that waits on the callback can go on). Default 6000.
   */
  readonly callbackDispatchNs: number;
  /** Creating a hardware queue. Default 2000. */
  readonly queueCreateNs: number;
}

/** The host costs used unless overridden. */
export const DEFAULT_HOST_COSTS: HostCosts = Object.freeze({
  launchNs: 3000,
  recordNs: 1500,
  waitNs: 1000,
  syncWakeNs: 2300,
  callbackDispatchNs: 6000,
  queueCreateNs: 2000,
});

/** Host costs of zero: every API call is free, so device timelines match an ideal model. */
export const ZERO_HOST_COSTS: HostCosts = Object.freeze({
  launchNs: 0,
  recordNs: 0,
  waitNs: 0,
  syncWakeNs: 0,
  callbackDispatchNs: 0,
  queueCreateNs: 0,
});

const GiB = 2 ** 30;

/**
 * A 910-class training NPU (Huawei Ascend 910), from public figures:
 *
 * - 32 Da Vinci AI cores, 256 TFLOPS FP16 (512 TOPS INT8): Huawei's Hot Chips 31 talk
 *   "DaVinci: A Scalable Architecture for Neural Network Computing" (Liao et al., Aug. 2019)
 *   and Huawei's press release "Huawei launches Ascend 910, the world's most powerful AI
 *   processor, and MindSpore" (Shenzhen, 23 Aug. 2019).
 * - 32 GiB HBM2 at ≈ 1.2 TB/s (4 stacks): the Atlas 300T training card (model 9000)
 *   technical white paper, Huawei, issue 09 (2023-01-09).
 * - Host link PCIe 4.0 x16 (same sources): 16 GT/s × 16 lanes × 128b/130b ≈ 31.5 GB/s per
 *   direction (PCI-SIG PCIe 4.0 base specification); the simulator uses 25 GB/s, the usual
 *   achievable DMA rate. Device-to-device copies read and write HBM: half its bandwidth.
 * - 2048 hardware queues including the default stream (CANN runtime API reference, stream
 *   management, Atlas training series) and 65,535 sync events (same, event management).
 * - 8 priority levels, 0 the most urgent: `RT_STREAM_GREATEST_PRIORITY = 0`,
 *   `RT_STREAM_LEAST_PRIORITY = 7` (hicann/runtime `src/runtime/core/inc/spec/base_info.hpp`,
 *   runtime semantics §1.6).
 * - Pageable host memory at 12.5 GB/s each way, half the pinned rate: an assumption (no
 *   published Ascend figure found; the staging copy through a pinned buffer that NVIDIA's
 *   "How to Optimize Data Transfers in CUDA C/C++" describes costs a host memcpy per transfer).
 * - 2 copy engines per direction: an assumption (no public figure found). They share the
 *   host link, so the count sets how many copies overlap, not the throughput.
 * - Launch-to-start ≈ 5–7 µs of which ≈ 3 µs is host side (runtime semantics §4): 2 µs of
 *   device-side kernel overhead.
 */
export const ASCEND_910: DeviceFigures = Object.freeze({
  name: "Ascend 910 (simulated)",
  aiCores: 32,
  hbmBytes: 32 * GiB,
  hbmBandwidth: 1.2e12,
  peakFlops: 256e12,
  h2dBandwidth: 25e9,
  d2hBandwidth: 25e9,
  pageableH2dBandwidth: 12.5e9,
  pageableD2hBandwidth: 12.5e9,
  d2dBandwidth: 0.6e12,
  copyEnginesPerDirection: 2,
  priorityLevels: 8,
  maxQueues: 2048,
  maxCounters: 65_535,
  kernelLaunchNs: 2000,
  copyLatencyNs: 1500,
});

/**
 * A small device for tests and examples: 4 AI cores, 64 MiB of HBM, round figures (1 TFLOP/s,
 * 100 GB/s HBM, 10 GB/s copies from pinned host memory, 5 GB/s from pageable), 64 queues and 1024 counters, so limits are quick to reach;
 * CANN's 8 priority levels.
 */
export const TINY: DeviceFigures = Object.freeze({
  name: "tiny NPU (simulated)",
  aiCores: 4,
  hbmBytes: 64 * 2 ** 20,
  hbmBandwidth: 100e9,
  peakFlops: 1e12,
  h2dBandwidth: 10e9,
  d2hBandwidth: 10e9,
  pageableH2dBandwidth: 5e9,
  pageableD2hBandwidth: 5e9,
  d2dBandwidth: 50e9,
  copyEnginesPerDirection: 1,
  priorityLevels: 8,
  maxQueues: 64,
  maxCounters: 1024,
  kernelLaunchNs: 1000,
  copyLatencyNs: 500,
});

/** The presets by name (frozen, like every preset: a simulator copies what it uses). */
export const PRESETS = Object.freeze({ tiny: TINY, ascend910: ASCEND_910 } as const) satisfies Record<
  string,
  DeviceFigures
>;

/** A preset's name. */
export type PresetName = keyof typeof PRESETS;
