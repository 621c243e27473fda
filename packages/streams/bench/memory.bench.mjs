// Memory: 1,000,000 live idle streams on a device without a stream limit (goal ≤ 512 B each) and
// bytes per queued op (goal ≤ 200 B), against p-queue 9.3.5 (an instance per stream; a paused
// queue's tasks) measured in the same run, and the seed article's table.
import { StreamManager } from "@npurt/streams";
import PQueue from "p-queue";
import { figure, quick, settledHeap } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice, SEED } from "./backend.mjs";

const STREAMS = quick ? 100_000 : 1_000_000;
const PEER_QUEUES = quick ? 20_000 : 100_000;
const OPS = quick ? 100_000 : 1_000_000;
const KERNEL = { kind: "kernel", name: "noop" };

// Everything below is synchronous between the two heap readings, so no op runs meanwhile.
function perItem(count, build) {
  const before = settledHeap();
  const keep = build(count);
  const after = settledHeap();
  if (keep === undefined) throw new Error("nothing kept alive");
  return (after - before) / count;
}

const manager = new StreamManager(makeDevice());
const streamBytes = perItem(STREAMS, (n) => Array.from({ length: n }, () => manager.create()));
const queueBytes = perItem(PEER_QUEUES, (n) => Array.from({ length: n }, () => new PQueue()));
figure({
  name: `streams: bytes per live idle stream, ${STREAMS} streams (${BACKEND_NAME}) vs a p-queue per stream`,
  unit: "B/stream",
  value: streamBytes,
  baseline: { name: "p-queue 9.3.5 instance", value: queueBytes },
  ratio: queueBytes / streamBytes,
  goal: "≤ 512 B",
});
figure({
  name: `streams: bytes per live idle stream (${BACKEND_NAME}) vs seed table`,
  unit: "B/stream",
  value: streamBytes,
  baseline: { name: "seed article stream create 2 KB", value: SEED.streamBytes },
  ratio: SEED.streamBytes / streamBytes,
});

const opsManager = new StreamManager(makeDevice());
const stream = opsManager.create();
stream.launch(KERNEL); // the hardware queue exists before the measurement
await stream.synchronize();
const opBytes = perItem(OPS, (n) => {
  for (let i = 0; i < n; i++) stream.launch(KERNEL);
  return stream;
});
await stream.synchronize();
// The same kernels through core's Device directly: what the backend and core keep per op, so the
// difference is the streams layer's own share (ordinary kernels carry no per-op record in it).
const device = makeDevice();
const queue = device.createQueue();
const directBytes = perItem(OPS, (n) => {
  for (let i = 0; i < n; i++) device.enqueue(queue, KERNEL);
  return queue;
});
await device.drain(queue);
const peer = new PQueue({ autoStart: false });
const noop = () => {};
const taskBytes = perItem(OPS / 10, (n) => {
  for (let i = 0; i < n; i++) peer.add(noop);
  return peer;
});
figure({
  name: `streams: bytes per queued kernel, runtime and backend (${BACKEND_NAME}) vs p-queue paused`,
  unit: "B/op",
  value: opBytes,
  baseline: { name: "p-queue 9.3.5 queued no-op task", value: taskBytes },
  ratio: taskBytes / opBytes,
  goal: "≤ 200 B",
});
figure({
  name: `streams: bytes per queued kernel (${BACKEND_NAME}) vs seed table`,
  unit: "B/op",
  value: opBytes,
  baseline: { name: "seed article task submit 128 B", value: SEED.taskBytes },
  ratio: SEED.taskBytes / opBytes,
});
figure({
  name: `streams: bytes per queued kernel (${BACKEND_NAME}) vs core Device.enqueue on the same backend`,
  unit: "B/op",
  value: opBytes,
  baseline: { name: "Device.enqueue directly (no streams layer)", value: directBytes },
  ratio: directBytes / opBytes,
});
peer.clear();
