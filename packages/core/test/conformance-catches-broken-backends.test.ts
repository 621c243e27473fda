// The conformance suite is only worth something if a subtly broken backend fails it. Each test
// here builds such a backend (the mock with one behaviour bent), runs the one suite case that
// should catch it, and checks that the case passes on the real mock and fails on the broken one.
import type { CompletionSink, DeviceBackend, DeviceOp, QueueOptions } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { completionTests } from "../src/testing/conformance/completions.js";
import { type ConformanceOptions, runCase, type SuiteApi } from "../src/testing/conformance/context.js";
import { counterTests } from "../src/testing/conformance/counters.js";
import { memoryTests } from "../src/testing/conformance/memory.js";
import { orderingTests } from "../src/testing/conformance/ordering.js";
import { priorityTests } from "../src/testing/conformance/priorities.js";
import { queueLifecycleTests } from "../src/testing/conformance/queue-lifecycle.js";
import { overriding } from "./helpers.js";

type Area = (options: ConformanceOptions, api: SuiteApi) => void;

/** The body of the case of `area` whose name contains `title`, bound to `factory`. */
function suiteCase(area: Area, title: string, factory: () => DeviceBackend): () => Promise<void> {
  const found: (() => Promise<void>)[] = [];
  const skip = (note: string): never => {
    throw new Error(`skipped: ${note}`);
  };
  area(
    { name: "probe", factory },
    {
      describe: (_name, body) => body(),
      it: (name, body) => {
        if (name.includes(title)) found.push(() => runCase(body, skip));
      },
    },
  );
  expect(found, `one case named like "${title}"`).toHaveLength(1);
  return found[0]!;
}

async function expectCaught(area: Area, title: string, broken: () => DeviceBackend): Promise<void> {
  await expect(suiteCase(area, title, () => new MockDeviceBackend())()).resolves.toBeUndefined();
  await expect(suiteCase(area, title, broken)()).rejects.toThrow();
}

/** Reports through `wrap` instead of straight to the device's sink. */
function reporting(wrap: (sink: CompletionSink) => CompletionSink): DeviceBackend {
  const mock = new MockDeviceBackend();
  return overriding(mock, { connect: (sink: CompletionSink) => mock.connect(wrap(sink)) });
}

describe("the conformance suite catches a broken backend", () => {
  it("counters: one that applies a signal when it is enqueued", async () => {
    await expectCaught(counterTests, "not when enqueued", () => {
      const mock = new MockDeviceBackend();
      return overriding(mock, {
        enqueue: (queue: number, opId: number, op: DeviceOp) => {
          if (op.kind === "signal") mock.signalCounter(op.counter, op.value);
          mock.enqueue(queue, opId, op);
        },
      });
    });
  });

  it("counters: one whose wait is for the latest enqueued signal, not the captured value", async () => {
    await expectCaught(counterTests, "captured at call time", () => {
      const mock = new MockDeviceBackend();
      const latest = new Map<number, number>();
      return overriding(mock, {
        enqueue: (queue: number, opId: number, op: DeviceOp) => {
          if (op.kind === "signal") latest.set(op.counter, Math.max(op.value, latest.get(op.counter) ?? 0));
          if (op.kind === "wait") op = { ...op, value: Math.max(op.value, latest.get(op.counter) ?? 0) };
          mock.enqueue(queue, opId, op);
        },
      });
    });
  });

  it("ordering: one that runs every queue through a single FIFO", async () => {
    await expectCaught(orderingTests, "does not hold work enqueued later", () => {
      const mock = new MockDeviceBackend();
      const owner = new Map<number, number>();
      let shared: number | undefined;
      let next = 1000;
      return overriding(mock, {
        createQueue: (device: number, options: QueueOptions) => {
          shared ??= mock.createQueue(device, options);
          return next++;
        },
        destroyQueue: () => {},
        enqueue: (queue: number, opId: number, op: DeviceOp) => {
          owner.set(opId, queue);
          mock.enqueue(shared!, opId, op);
        },
        connect: (sink: CompletionSink) =>
          mock.connect({ complete: (c) => sink.complete({ ...c, queue: owner.get(c.opId)! }) }),
      });
    });
  });

  it("completions: one that claims opTimeouts but lets a kernel run past its timeout", async () => {
    await expectCaught(completionTests, "past its timeoutNs", () => {
      const mock = new MockDeviceBackend();
      return overriding(mock, {
        enqueue: (queue: number, opId: number, op: DeviceOp) => {
          if (op.kind === "kernel" && op.timeoutNs !== undefined) {
            const { timeoutNs: _ignored, ...rest } = op;
            op = rest;
          }
          mock.enqueue(queue, opId, op);
        },
      });
    });
  });

  it("priorities: one that reads the priority scale backwards", async () => {
    await expectCaught(priorityTests, "more urgent", () => {
      const mock = new MockDeviceBackend();
      const { greatest, least } = mock.capabilities.priorities;
      return overriding(mock, {
        createQueue: (device: number, options: QueueOptions) =>
          mock.createQueue(device, { priority: greatest + least - options.priority }),
      });
    });
  });

  it("queue lifecycle: one whose abort still applies the discarded signals", async () => {
    await expectCaught(queueLifecycleTests, "abort discards queued work", () => {
      const mock = new MockDeviceBackend();
      const signals = new Map<number, DeviceOp[]>();
      return overriding(mock, {
        enqueue: (queue: number, opId: number, op: DeviceOp) => {
          if (op.kind === "signal") signals.set(queue, [...(signals.get(queue) ?? []), op]);
          mock.enqueue(queue, opId, op);
        },
        abortQueue: (queue: number) => {
          for (const op of signals.get(queue) ?? [])
            if (op.kind === "signal") mock.signalCounter(op.counter, op.value);
          mock.abortQueue(queue);
        },
      });
    });
  });

  it("memory: one that keeps accounting a failed allocation", async () => {
    await expectCaught(memoryTests, "out of memory", () => {
      const mock = new MockDeviceBackend();
      let leaked = 0;
      return overriding(mock, {
        allocate: (device: number, bytes: number) => {
          try {
            return mock.allocate(device, bytes);
          } catch (error) {
            leaked += bytes;
            throw error;
          }
        },
        memoryInfo: (device: number) => {
          const info = mock.memoryInfo(device);
          return { ...info, bytesInUse: info.bytesInUse + leaked };
        },
      });
    });
  });

  it("completions: one that reports an op twice", async () => {
    await expectCaught(completionTests, "exactly once", () =>
      reporting((sink) => ({
        complete: (c) => {
          const woke = sink.complete(c);
          sink.complete(c);
          return woke;
        },
      })),
    );
  });

  it("completions: one that reports an end before the start", async () => {
    await expectCaught(completionTests, "exactly once", () =>
      reporting((sink) => ({ complete: (c) => sink.complete({ ...c, startNs: c.endNs, endNs: c.startNs }) })),
    );
  });
});

describe("the conformance suite follows the manifest", () => {
  it("checks priority order only where the manifest claims priorities and timing", async () => {
    const mock = new MockDeviceBackend();
    const { greatest, least } = mock.capabilities.priorities;
    const reversed = (capabilities: object) => () => {
      const m = new MockDeviceBackend();
      return overriding(m, {
        capabilities: { ...m.capabilities, ...capabilities },
        createQueue: (device: number, options: QueueOptions) =>
          m.createQueue(device, { priority: greatest + least - options.priority }),
      });
    };
    const unclaimed = reversed({ priorities: { supported: false, greatest, least } });
    // Not claimed: the case is skipped (here, the collector's skip throws "skipped: ..."), not failed.
    await expect(suiteCase(priorityTests, "more urgent", unclaimed)()).rejects.toThrow(/^skipped: /);
    const untimed = reversed({ timing: false });
    await expect(suiteCase(priorityTests, "more urgent", untimed)()).rejects.toThrow(/^skipped: /);
  });
});
