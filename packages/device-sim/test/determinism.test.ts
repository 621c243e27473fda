import type { CounterHandle, DeviceBuffer, OpCompletion, QueueHandle } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { rng, setup } from "./harness.js";

/**
 * Runs a random program: kernels (timed and computing), copies, fills, signals and waits across
 * queues of random priority on two devices, with the host draining and sleeping at random
 * points. Waits only target values already signalled earlier in program order, so it never
 * deadlocks. Returns everything observable: completions, host times, final data.
 */
async function randomProgram(programSeed: number, simSeed: number) {
  const s = setup({ preset: "tiny", devices: 2, aiCores: 4, seed: simSeed, jitter: 0.3 });
  const pick = rng(programSeed);
  const queues: QueueHandle[] = Array.from({ length: 6 }, (_, i) => s.queue(pick(8), i % 2));
  const counters: CounterHandle[] = [s.device.createCounter(), s.device.createCounter()];
  const signalled = [0, 0];
  const buffers: DeviceBuffer[] = Array.from({ length: 4 }, () => s.device.allocate(256));
  const host: number[] = [];
  const results: Float32Array[] = [];
  for (let step = 0; step < 300; step++) {
    const q = queues[pick(queues.length)]!;
    const action = pick(10);
    const buf = buffers[pick(buffers.length)]!;
    if (action < 3) {
      s.device.enqueue(q, {
        kind: "kernel",
        name: "noop",
        blockDim: 1 + pick(4),
        ...(pick(2) === 0 ? { cost: { durationNs: 100 + pick(5_000) } } : { cost: { flops: pick(1e7) } }),
      });
    } else if (action === 3) {
      s.device.enqueue(q, { kind: "kernel", name: "gelu", inputs: [buf], outputs: [buffers[pick(4)]!] });
    } else if (action === 4) {
      s.device.enqueue(q, {
        kind: "copy",
        src: Float32Array.from({ length: 64 }, () => pick(100)),
        dst: buf,
      });
    } else if (action === 5) {
      const out = new Float32Array(64);
      results.push(out);
      s.device.enqueue(q, { kind: "copy", src: buf, dst: out });
    } else if (action === 6) {
      const c = pick(2);
      s.device.enqueue(q, { kind: "signal", counter: counters[c]!, value: ++signalled[c]! });
    } else if (action === 7) {
      const c = pick(2);
      s.device.enqueue(q, { kind: "wait", counter: counters[c]!, value: pick(signalled[c]! + 1) });
    } else if (action === 8) {
      await s.device.drain(q);
      host.push(s.device.clock.now());
    } else {
      await new Promise<void>((r) => s.device.clock.setTimer(pick(20_000), r));
      host.push(s.device.clock.now());
    }
  }
  await s.device.idle();
  host.push(s.device.clock.now());
  return { log: s.log as OpCompletion[], host, results: results.map((r) => Array.from(r)) };
}

describe("determinism", () => {
  it("the same config, seed and program give the same completions and timestamps, bit for bit", async () => {
    const first = await randomProgram(2026, 7);
    const second = await randomProgram(2026, 7);
    expect(first.log.length).toBeGreaterThan(200);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it("another simulator seed changes the jittered timeline, not the results", async () => {
    const a = await randomProgram(2026, 7);
    const b = await randomProgram(2026, 8);
    expect(b.log.map((c) => c.endNs)).not.toEqual(a.log.map((c) => c.endNs));
    expect(b.log.map((c) => c.status)).toEqual(a.log.map((c) => c.status));
  });
});
