// Issue 10 defect 7, generalised: whatever a listener calls back into the device — close,
// release, abort, enqueue, destroy — and from whichever listener (the bus's op.completed or a
// queue's onComplete), every op is reported exactly once, in queue order, and nothing hangs.
import { fc, test } from "@fast-check/vitest";
import { createDevice, Instrumentation, type OpCompletion } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { expect } from "vitest";

const ACTIONS = ["close", "release", "abortOther", "enqueueMore", "destroyCounter", "signal"] as const;
type Action = (typeof ACTIONS)[number];

/** Settles after at most `turns` macrotasks (a bound in event-loop turns, not wall time). */
async function settled(promise: Promise<unknown>, turns = 200): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < turns && !done; i++) await new Promise<void>((r) => setImmediate(r));
  return done;
}

test.prop(
  {
    ops: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 12 }),
    actions: fc.array(
      fc.record({
        at: fc.integer({ min: 1, max: 12 }),
        action: fc.constantFrom(...ACTIONS),
        fromBus: fc.boolean(),
      }),
      {
        maxLength: 4,
      },
    ),
  },
  { numRuns: 150, seed: 7 },
)(
  "issue 10 defect 7: re-entrant calls from listeners keep exactly-once, in-order delivery",
  async ({ ops, actions }) => {
    const bus = new Instrumentation();
    const device = createDevice(new MockDeviceBackend(), { instrumentation: bus });
    const seen: OpCompletion[][] = [[], []];
    const enqueued: number[][] = [[], []];
    let completed = 0;
    const buffer = device.allocate(64);
    const counter = device.createCounter();
    const run = (action: Action, from: number) => {
      try {
        if (action === "close") device.close();
        else if (action === "release" && device.isLive(buffer)) device.release(buffer);
        else if (action === "abortOther") device.abortQueue(queues[1 - from]!);
        else if (action === "enqueueMore" && !device.closed && device.isLive(buffer)) {
          enqueued[from]!.push(device.enqueue(queues[from]!, { kind: "fill", dst: buffer, value: 2 }));
        } else if (action === "destroyCounter" && device.isLive(counter)) device.destroyCounter(counter);
        else if (action === "signal" && device.isLive(counter) && !device.closed)
          device.signalCounter(counter, 5);
      } catch (error) {
        // Refusals are fine (a destroyed handle, a closed device); only coded ones, though.
        expect((error as { code?: unknown }).code).toBeTypeOf("string");
      }
    };
    const act = (fromBus: boolean, queueIndex: number) => {
      completed++;
      for (const a of actions) if (a.at === completed && a.fromBus === fromBus) run(a.action, queueIndex);
    };
    const queues = [0, 1].map((i) =>
      device.createQueue({
        onComplete: (c) => {
          seen[i]!.push(c);
          act(false, i);
        },
      }),
    );
    bus.subscribe((e) => {
      if (e.type === "op.completed")
        act(
          true,
          queues.findIndex((q) => device.isLive(q) && device.queueId(q) === e.queue),
        );
    });
    for (const q of ops) {
      const spec =
        q === 0
          ? { kind: "fill" as const, dst: buffer, value: 1 }
          : { kind: "signal" as const, counter, value: 1 };
      enqueued[q]!.push(device.enqueue(queues[q]!, spec));
    }
    // Listeners may enqueue more while the first ops complete: idle again until nothing is pending.
    for (let round = 0; round < 10; round++) {
      expect(await settled(device.idle())).toBe(true);
      if (device.closed || queues.every((q) => !device.isLive(q) || device.pending(q) === 0)) break;
    }
    for (const i of [0, 1]) {
      expect(seen[i]!.map((c) => c.opId)).toEqual(enqueued[i]);
      for (const c of seen[i]!) expect(["ok", "error", "aborted"]).toContain(c.status);
    }
  },
);
