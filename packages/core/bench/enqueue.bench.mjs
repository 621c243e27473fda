// Host cost of Device.enqueue (argument checks, handle lookups, accounting) and of delivering the
// op's completion, on a backend that does nothing: what is measured is core's own overhead per op.
// The peer is the same backend driven directly (no Device), in the same run.
// Goal: the checks added for issue 10 (memory safety, re-entrancy) keep enqueue+complete cheap.
import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { figure, quick } from "../../../scripts/bench-kit.mjs";

const N = quick ? 100_000 : 1_000_000;
const RUNS = quick ? 3 : 7;

// A backend with the mock's manifest whose enqueue only remembers the op and whose `flush`
// reports every remembered op ok, synchronously: no engine, no timers.
function nullBackend() {
  const mock = new MockDeviceBackend();
  let sink;
  let nextQueue = 1;
  let nextAddress = 64;
  const ops = [];
  return {
    specificationVersion: "v1",
    name: "null",
    capabilities: mock.capabilities,
    clock: mock.clock,
    connect: (s) => {
      sink = s;
    },
    createQueue: () => nextQueue++,
    destroyQueue: () => {},
    enqueue: (queue, opId) => {
      ops.push(queue, opId);
    },
    abortQueue: () => {},
    allocate: (_d, bytes) => {
      const a = nextAddress;
      nextAddress += Math.ceil(bytes / 64) * 64;
      return a;
    },
    release: () => {},
    memoryInfo: () => mock.memoryInfo(0),
    createCounter: () => 1,
    destroyCounter: () => {},
    counterValue: () => 0,
    signalCounter: () => {},
    close: () => {},
    flush() {
      for (let i = 0; i < ops.length; i += 2)
        sink.complete({ queue: ops[i], opId: ops[i + 1], status: "ok", startNs: 0, endNs: 0 });
      ops.length = 0;
    },
  };
}

function measure(run) {
  const times = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = process.hrtime.bigint();
    run();
    const t = Number(process.hrtime.bigint() - t0) / N;
    if (r > 0) times.push(t); // the first round is warm-up
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const backend = nullBackend();
const device = createDevice(backend);
const queue = device.createQueue();
const a = device.allocate(4096);
const b = device.allocate(4096);
const kernel = { kind: "kernel", name: "k", inputs: [a], outputs: [b] };
const fill = { kind: "fill", dst: { buffer: a, offset: 64, bytes: 128 }, value: 1 };

const viaDevice = measure(() => {
  for (let i = 0; i < N; i += 2) {
    device.enqueue(queue, kernel);
    device.enqueue(queue, fill);
  }
  backend.flush();
});

const direct = nullBackend();
direct.connect({ complete: () => false });
const q = direct.createQueue(0, { priority: 0 });
const ref = { base: 64, offset: 0, bytes: 4096 };
const op = { kind: "kernel", name: "k", blockDim: 1, inputs: [ref], outputs: [ref] };
const directNs = measure(() => {
  for (let i = 0; i < N; i++) direct.enqueue(q, i, op);
  direct.flush();
});

figure({
  name: "core: Device.enqueue + completion of a kernel/fill (null backend)",
  unit: "ns/op",
  value: viaDevice,
  baseline: { name: "the same backend driven directly", value: directNs },
  ratio: directNs / viaDevice,
});
