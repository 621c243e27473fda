import type { CounterHandle, DeviceBuffer, QueueHandle } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { rng, setup, sleep, timed } from "./harness.js";

/**
 * A random program mixing every op kind, aborts, host signals, sleeps and bounded drains, on two
 * devices with random hangs and failures injected. At the end every counter is raised past every
 * wait and every queue aborted, so everything must complete. Returns the completion log.
 */
async function randomProgram(seed: number) {
  const s = setup({
    preset: "tiny",
    devices: 2,
    aiCores: 2,
    seed,
    jitter: 0.2,
    faults: [
      { kind: "kernel-hang", kernel: "relu", probability: 0.2 },
      { kind: "kernel-fail", kernel: "gelu", probability: 0.3 },
    ],
  });
  const pick = rng(seed);
  const queues: QueueHandle[] = Array.from({ length: 6 }, (_, i) => s.queue(pick(8), i % 2));
  const counters: CounterHandle[] = [s.device.createCounter(), s.device.createCounter()];
  const signalled = [0, 0];
  const buffers: DeviceBuffer[] = Array.from({ length: 4 }, (_, i) =>
    s.device.allocate(256, { device: i % 2 }),
  );
  let enq = 0;
  for (let step = 0; step < 400; step++) {
    const q = queues[pick(queues.length)]!;
    const a = pick(14);
    const buf = buffers[pick(4)]!;
    if (a < 3) s.device.enqueue(q, timed(100 + pick(5000), 1 + pick(2)));
    else if (a === 3)
      s.device.enqueue(q, {
        kind: "kernel",
        name: "relu",
        blockDim: 1 + pick(2),
        inputs: [buf],
        outputs: [buf],
      });
    else if (a === 4) s.device.enqueue(q, { kind: "kernel", name: "gelu", inputs: [buf], outputs: [buf] });
    else if (a === 5) s.device.enqueue(q, { kind: "copy", src: new Float32Array(64), dst: buf });
    else if (a === 6) s.device.enqueue(q, { kind: "copy", src: buf, dst: new Float32Array(64) });
    else if (a === 7) s.device.enqueue(q, { kind: "fill", dst: buf, value: 1 });
    else if (a === 8) {
      const c = pick(2);
      s.device.enqueue(q, { kind: "signal", counter: counters[c]!, value: ++signalled[c]! });
    } else if (a === 9) {
      const c = pick(2);
      s.device.enqueue(q, { kind: "wait", counter: counters[c]!, value: pick(signalled[c]! + 3) });
    } else if (a === 10) {
      s.device.abortQueue(q);
      continue;
    } else if (a === 11) {
      await sleep(s.device.clock, pick(20_000));
      continue;
    } else if (a === 12) {
      const c = pick(2);
      s.device.signalCounter(counters[c]!, ++signalled[c]!);
      continue;
    } else {
      await Promise.race([s.device.drain(q), sleep(s.device.clock, 50_000)]);
      continue;
    }
    enq++;
  }
  // Unblock everything: raise the counters past every wait, abort every queue.
  for (const c of counters) s.device.signalCounter(c, 1e6);
  for (const q of queues) s.device.abortQueue(q);
  const ok = await Promise.race([
    s.device.idle().then(() => true),
    sleep(s.device.clock, 1e9).then(() => false),
  ]);
  expect(ok).toBe(true);
  expect(s.log.length).toBe(enq);
  // No leaked cores or engines: a full-width kernel and copies start right away on each device.
  const t = s.device.clock.now();
  const fresh = [s.queue(0, 0), s.queue(0, 1)];
  for (const q of fresh) s.device.enqueue(q, timed(10, 2));
  await s.device.idle();
  for (const q of fresh) expect(s.done(q)[0]!.startNs - t).toBeLessThan(20_000);
  return s.log.map((c) => [c.opId, c.status, c.startNs, c.endNs]);
}

describe("random programs with aborts and faults", () => {
  it("complete every op exactly once, leak no cores, and replay bit for bit", async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const first = await randomProgram(seed);
      expect(await randomProgram(seed)).toEqual(first);
    }
  });
});
