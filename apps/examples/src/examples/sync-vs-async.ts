import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
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

/** The seed article's table (ms): synchronous vs asynchronous-callback execution. */
export const SEED_TABLE: Readonly<Record<number, { syncMs: number; asyncMs: number }>> = {
  10: { syncMs: 15.2, asyncMs: 8.7 },
  50: { syncMs: 78.9, asyncMs: 35.4 },
  200: { syncMs: 325.6, asyncMs: 112.3 },
};

const INPUT_BYTES = 1 << 20; // each operator loads 1 MiB (≈ 42 µs over a 25 GB/s host link)
const OUTPUT_BYTES = 1 << 18; // and stores 256 KiB
// Each operator's kernel: a stated 1.28e10 FLOP (≈ 50 µs on all 32 AI cores of the 910-class
// preset); `noop` is the simulator's kernel that only takes the time its cost gives it.
const KERNEL_FLOPS = 1.28e10;

function setup() {
  // Timing-only: the math is skipped, the timeline is the same.
  const device = createDevice(simulatedNpu({ preset: "ascend910", seed: 7, computeKernels: false }));
  return { device, manager: new StreamManager(device) };
}

/** Each operator: load its input, run its kernel, store its output, then wait for it. */
async function runSync(operators: number): Promise<number> {
  const { device, manager } = setup();
  const stream = manager.create();
  const input = new Uint8Array(INPUT_BYTES);
  const results = new Uint8Array(operators * OUTPUT_BYTES);
  const t0 = device.clock.now();
  for (let i = 0; i < operators; i++) {
    const src = device.allocate(INPUT_BYTES);
    const dst = device.allocate(OUTPUT_BYTES);
    stream.copy({ src: input, dst: src });
    stream.launch({
      name: "noop",
      blockDim: 32,
      inputs: [src],
      outputs: [dst],
      cost: { flops: KERNEL_FLOPS },
    });
    stream.copy({ src: dst, dst: results.subarray(i * OUTPUT_BYTES, (i + 1) * OUTPUT_BYTES) });
    await stream.synchronize();
    device.release(src);
    device.release(dst);
  }
  const elapsed = device.clock.now() - t0;
  await stream.destroy();
  manager.close();
  device.close();
  return elapsed;
}

/**
 * The same operators as a pipeline: a load stream, a compute stream and a store stream, each
 * operator's stages linked by events, a completion callback per operator instead of a wait, and
 * one synchronize at the end. Loads of operator i+1 overlap the kernel of operator i.
 */
async function runAsync(operators: number): Promise<{ ns: number; callbacks: number }> {
  const { device, manager } = setup();
  const load = manager.create();
  const compute = manager.create({ priority: 0 });
  const store = manager.create();
  const loaded = manager.createEvent();
  const computed = manager.createEvent();
  const input = new Uint8Array(INPUT_BYTES);
  const results = new Uint8Array(operators * OUTPUT_BYTES);
  const buffers = [];
  let callbacks = 0;
  const t0 = device.clock.now();
  for (let i = 0; i < operators; i++) {
    const src = device.allocate(INPUT_BYTES);
    const dst = device.allocate(OUTPUT_BYTES);
    buffers.push(src, dst);
    load.copy({ src: input, dst: src });
    load.record(loaded);
    compute.waitEvent(loaded); // captures this operator's record; the next record does not change it
    compute.launch({
      name: "noop",
      blockDim: 32,
      inputs: [src],
      outputs: [dst],
      cost: { flops: KERNEL_FLOPS },
    });
    compute.record(computed);
    store.waitEvent(computed);
    store.copy({ src: dst, dst: results.subarray(i * OUTPUT_BYTES, (i + 1) * OUTPUT_BYTES) });
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

/**
 * Sync versus async for the given operator counts (the seed article's table, measured on the
 * simulated 910-class NPU in virtual time, so the figures are the same on every run).
 */
export async function syncVsAsync(counts: readonly number[] = [10, 50, 200]): Promise<SyncVsAsyncRow[]> {
  const rows: SyncVsAsyncRow[] = [];
  for (const operators of counts) {
    const syncNs = await runSync(operators);
    const run = await runAsync(operators);
    rows.push({
      operators,
      syncNs,
      asyncNs: run.ns,
      improvement: 1 - run.ns / syncNs,
      callbacks: run.callbacks,
    });
  }
  return rows;
}
