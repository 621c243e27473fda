// The scheduler as core's HostExecutor port: the contract every executor must keep, and the
// way a stream runtime drives it, built from core's primitives alone (a blocking host callback
// between two device ops: the queue waits on a counter that the host signals when the callback
// is done). streams-integration.test.ts runs the same through @npurt/streams.
import {
  createDevice,
  type HostExecutor,
  type HostTaskOutcome,
  NpuError,
  type OpCompletion,
} from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { CallbackScheduler } from "../src/index.js";

describe("HostExecutor contract", () => {
  it("runs a mixed load of 2,000 sync, async, throwing and rejecting tasks exactly once each", async () => {
    const executor: HostExecutor = new CallbackScheduler({ concurrency: 8 });
    const runs = new Array<number>(2000).fill(0);
    const outcomes: (HostTaskOutcome | undefined)[] = new Array(2000);
    let doneCalls = 0;
    let insideSubmit = false;
    let ranInsideSubmit = false;
    for (let i = 0; i < 2000; i++) {
      insideSubmit = true;
      executor.submit({
        priority: i % 7,
        label: `t${i % 13}`,
        run: () => {
          if (insideSubmit) ranInsideSubmit = true;
          runs[i]!++;
          switch (i % 4) {
            case 0:
              return i;
            case 1:
              return Promise.resolve(i);
            case 2:
              throw new Error(`sync ${i}`);
            default:
              return Promise.reject(new Error(`async ${i}`));
          }
        },
        done: (outcome) => {
          doneCalls++;
          outcomes[i] = outcome;
        },
      });
      insideSubmit = false;
    }
    await (executor as CallbackScheduler).idle();
    expect(ranInsideSubmit).toBe(false);
    expect(runs.every((r) => r === 1)).toBe(true);
    expect(doneCalls).toBe(2000);
    outcomes.forEach((outcome, i) => {
      expect(outcome!.ok, `task ${i}`).toBe(i % 4 < 2);
      if (outcome!.ok) expect(outcome!.value).toBe(i);
      else expect(NpuError.isInstance(outcome!.error, "CALLBACK_FAILED")).toBe(true);
    });
  });
});

describe("driving host callbacks from device completions", () => {
  it("runs a blocking host callback between two kernels of a queue", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const scheduler = new CallbackScheduler();
    const gate = device.createCounter();
    const timeline: string[] = [];
    const onComplete = (c: OpCompletion): void => {
      timeline.push(`op ${c.opId} ${c.status}`);
      if (c.opId !== first) return;
      // The stream runtime's job: hand the host callback to the executor, release the queue
      // when the callback is done, whatever its outcome.
      scheduler.submit({
        label: "host callback",
        run: () => {
          timeline.push("host callback");
          return "seen";
        },
        done: (outcome) => {
          timeline.push(`done ${outcome.ok}`);
          device.signalCounter(gate, 1);
        },
      });
    };
    const queue = device.createQueue({ onComplete });
    const first = device.enqueue(queue, { kind: "kernel", name: "produce" });
    device.enqueue(queue, { kind: "wait", counter: gate, value: 1 });
    const last = device.enqueue(queue, { kind: "kernel", name: "consume" });
    await device.drain(queue);
    expect(timeline).toEqual([
      `op ${first} ok`,
      "host callback",
      "done true",
      `op ${first + 1} ok`,
      `op ${last} ok`,
    ]);
    device.close();
  });

  it("runs the callbacks of a more urgent queue first when several are waiting", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const scheduler = new CallbackScheduler({ concurrency: 1, adaptive: false });
    // Keep the one slot busy so the completions' callbacks pile up in the ready queue.
    let release!: () => void;
    const blocker = scheduler.run(() => new Promise<void>((resolve) => (release = resolve)));
    const ran: string[] = [];
    const queues = [3, 0].map((priority) => {
      const onComplete = (c: OpCompletion): void =>
        scheduler.submit({ priority, run: () => ran.push(`p${priority}:${c.opId}`), done: () => {} });
      return device.createQueue({ onComplete });
    });
    const ops = queues.map((queue) =>
      [0, 1, 2].map(() => device.enqueue(queue, { kind: "kernel", name: "k" })),
    );
    await Promise.all(queues.map((q) => device.drain(q)));
    expect(scheduler.stats().queued).toBe(6);
    release();
    await blocker;
    await scheduler.idle();
    const [slow, urgent] = ops as [number[], number[]];
    expect(ran).toEqual([...urgent.map((id) => `p0:${id}`), ...slow.map((id) => `p3:${id}`)]);
    device.close();
  });
});
