import { createDevice } from "@npurt/core";
import { ASCEND_910, DEFAULT_HOST_COSTS, type SimulatedNpuConfig, simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** One row of the comparison: the same operators run synchronously and asynchronously. */
export interface SyncVsAsyncRow {
  readonly operators: number;
  /** Virtual time with a synchronize after every operator, in ns. */
  readonly syncNs: number;
  /** Virtual time with load, compute and store on three streams linked by events, in ns. */
  readonly asyncNs: number;
  /** 1 - async / sync. */
  readonly improvement: number;
  /** Operators whose completion callback ran in the async version. */
  readonly callbacks: number;
}

/** How long one operator's parts took in the synchronous run (device time, ns). */
export interface OperatorStages {
  /** Copying its input to the device. */
  readonly loadNs: number;
  /** Its kernel. */
  readonly kernelNs: number;
  /** Copying its output back. */
  readonly storeNs: number;
  /** The rest of one synchronous operator: host-side launch, synchronize and wake-up costs. */
  readonly hostNs: number;
}

/** The seed article's table (ms): synchronous vs asynchronous-callback execution, as published. */
export const SEED_TABLE: Readonly<Record<number, { syncMs: number; asyncMs: number; improvement: number }>> =
  {
    10: { syncMs: 15.2, asyncMs: 8.7, improvement: 0.43 },
    50: { syncMs: 78.9, asyncMs: 35.4, improvement: 0.55 },
    200: { syncMs: 325.6, asyncMs: 112.3, improvement: 0.65 },
  };

/** The workload and the device it runs on; every field can be changed to see what moves the result. */
export interface SyncVsAsyncSetup {
  /** Bytes each operator loads (host → device). Default 1 MiB. */
  readonly inputBytes?: number;
  /** Bytes each operator stores (device → host). Default 256 KiB. */
  readonly outputBytes?: number;
  /** The kernel's work in FLOP. Default 1.28e10 (about 50 µs on all 32 AI cores). */
  readonly kernelFlops?: number;
  /** Overrides of the simulated device (figures and host costs). */
  readonly device?: Omit<SimulatedNpuConfig, "preset" | "seed" | "computeKernels">;
}

interface Resolved {
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly kernelFlops: number;
  readonly device: NonNullable<SyncVsAsyncSetup["device"]>;
}

/** The workload's defaults, for describing it. */
export const DEFAULT_WORKLOAD = { inputBytes: 1 << 20, outputBytes: 1 << 18, kernelFlops: 1.28e10 } as const;

function resolve(setup: SyncVsAsyncSetup): Resolved {
  return {
    inputBytes: setup.inputBytes ?? DEFAULT_WORKLOAD.inputBytes,
    outputBytes: setup.outputBytes ?? DEFAULT_WORKLOAD.outputBytes,
    kernelFlops: setup.kernelFlops ?? DEFAULT_WORKLOAD.kernelFlops,
    device: setup.device ?? {},
  };
}

function open(r: Resolved) {
  // Timing-only: the math is skipped, the timeline is the same. `noop` only takes the time its
  // stated cost gives it. The 910 preset: 32 AI cores, 25 GB/s host link each way.
  const device = createDevice(
    simulatedNpu({ ...r.device, preset: "ascend910", seed: 7, computeKernels: false }),
  );
  return { device, manager: new StreamManager(device) };
}

/** Each operator: load its input, run its kernel, store its output, then wait for it. */
async function runSync(operators: number, r: Resolved): Promise<{ ns: number; stages: OperatorStages }> {
  const { device, manager } = open(r);
  const stream = manager.create();
  const input = new Uint8Array(r.inputBytes);
  const results = new Uint8Array(operators * r.outputBytes);
  let stages: OperatorStages | undefined;
  const t0 = device.clock.now();
  for (let i = 0; i < operators; i++) {
    const opStart = device.clock.now();
    const src = device.allocate(r.inputBytes);
    const dst = device.allocate(r.outputBytes);
    const load = stream.copy({ src: input, dst: src });
    const kernel = stream.launch({
      name: "noop",
      blockDim: 32,
      inputs: [src],
      outputs: [dst],
      cost: { flops: r.kernelFlops },
    });
    const store = stream.copy({
      src: dst,
      dst: results.subarray(i * r.outputBytes, (i + 1) * r.outputBytes),
    });
    await stream.synchronize();
    device.release(src);
    device.release(dst);
    if (stages === undefined) {
      const span = (h: { startNs: number | undefined; endNs: number | undefined }) => h.endNs! - h.startNs!;
      const [loadNs, kernelNs, storeNs] = [span(load), span(kernel), span(store)];
      stages = {
        loadNs,
        kernelNs,
        storeNs,
        hostNs: device.clock.now() - opStart - loadNs - kernelNs - storeNs,
      };
    }
  }
  const elapsed = device.clock.now() - t0;
  await stream.destroy();
  manager.close();
  device.close();
  return { ns: elapsed, stages: stages! };
}

/**
 * The same operators as a pipeline: a load stream, a compute stream and a store stream, each
 * operator's stages linked by events, a completion callback per operator instead of a wait, and
 * one synchronize at the end. Loads of operator i+1 overlap the kernel of operator i.
 */
async function runAsync(operators: number, r: Resolved): Promise<{ ns: number; callbacks: number }> {
  const { device, manager } = open(r);
  const load = manager.create();
  const compute = manager.create({ priority: 0 });
  const store = manager.create();
  const loaded = manager.createEvent();
  const computed = manager.createEvent();
  const input = new Uint8Array(r.inputBytes);
  const results = new Uint8Array(operators * r.outputBytes);
  const buffers = [];
  let callbacks = 0;
  const t0 = device.clock.now();
  for (let i = 0; i < operators; i++) {
    const src = device.allocate(r.inputBytes);
    const dst = device.allocate(r.outputBytes);
    buffers.push(src, dst);
    load.copy({ src: input, dst: src });
    load.record(loaded);
    compute.waitEvent(loaded); // captures this operator's record; the next record does not change it
    compute.launch({
      name: "noop",
      blockDim: 32,
      inputs: [src],
      outputs: [dst],
      cost: { flops: r.kernelFlops },
    });
    compute.record(computed);
    store.waitEvent(computed);
    store.copy({ src: dst, dst: results.subarray(i * r.outputBytes, (i + 1) * r.outputBytes) });
    store.launchHostCallback(
      () => {
        callbacks++;
      },
      { blocking: false, label: `op${i} done` },
    );
  }
  await store.synchronize();
  const elapsed = device.clock.now() - t0;
  for (const b of buffers) device.release(b);
  for (const s of [load, compute, store]) await s.destroy();
  loaded.destroy();
  computed.destroy();
  manager.close();
  device.close();
  return { ns: elapsed, callbacks };
}

/** The table and what one synchronous operator is made of. */
export interface SyncVsAsyncResult {
  readonly rows: readonly SyncVsAsyncRow[];
  readonly stages: OperatorStages;
  /**
   * The improvement overlap can reach at most, from the measured stages: the pipeline still
   * pays the longest stage per operator, so 1 − longest / (load + kernel + store + host).
   */
  readonly bound: number;
}

/**
 * Sync versus async for the given operator counts (the seed article's table, measured on the
 * simulated 910-class NPU in virtual time, so the figures are the same on every run).
 */
export async function syncVsAsync(
  counts: readonly number[] = [10, 50, 200],
  setup: SyncVsAsyncSetup = {},
): Promise<SyncVsAsyncResult> {
  const r = resolve(setup);
  const rows: SyncVsAsyncRow[] = [];
  let stages: OperatorStages | undefined;
  for (const operators of counts) {
    const sync = await runSync(operators, r);
    stages ??= sync.stages;
    const run = await runAsync(operators, r);
    rows.push({
      operators,
      syncNs: sync.ns,
      asyncNs: run.ns,
      improvement: 1 - run.ns / sync.ns,
      callbacks: run.callbacks,
    });
  }
  const s = stages ?? (await runSync(1, r)).stages;
  const longest = Math.max(s.loadNs, s.kernelNs, s.storeNs);
  return { rows, stages: s, bound: 1 - longest / (s.loadNs + s.kernelNs + s.storeNs + s.hostNs) };
}

/** One changed parameter and the improvement it gives. */
export interface Sensitivity {
  /** What was changed, in words. */
  readonly change: string;
  readonly operators: number;
  readonly improvement: number;
  /** The bound from this setup's measured stages. */
  readonly bound: number;
}

/**
 * What moves the improvement: the same comparison at `operators` operators with one parameter
 * changed at a time. Overlap hides every stage but the longest, so the improvement grows as the
 * stages get closer in length (load and kernel alike) and as the per-operator host cost of the
 * synchronous version (launch, synchronize, wake-up) grows.
 */
export async function whatMovesIt(operators = 200): Promise<Sensitivity[]> {
  const base = resolve({});
  const link = ASCEND_910.h2dBandwidth / 2;
  const wake = 50_000;
  const variants: [string, SyncVsAsyncSetup][] = [
    ["none (the setup of the table above)", {}],
    [
      `kernel half as long (${(base.kernelFlops / 2).toExponential(1)} FLOP)`,
      { kernelFlops: base.kernelFlops / 2 },
    ],
    [
      `host link half as fast (${link / 1e9} GB/s each way)`,
      { device: { h2dBandwidth: link, d2hBandwidth: link } },
    ],
    [
      `synchronize wake-up ${wake / 1e3} µs instead of ${DEFAULT_HOST_COSTS.syncWakeNs / 1e3} µs (a busy host)`,
      { device: { hostCosts: { syncWakeNs: wake } } },
    ],
  ];
  const out: Sensitivity[] = [];
  for (const [change, setup] of variants) {
    const result = await syncVsAsync([operators], setup);
    out.push({ change, operators, improvement: result.rows[0]!.improvement, bound: result.bound });
  }
  return out;
}
