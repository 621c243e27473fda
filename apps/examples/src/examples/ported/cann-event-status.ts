// A port of CANN's runtime sample `example/1_basic_features/event/0_event_status/main.cpp`
// (hicann/runtime): a stop-on-failure stream runs a long kernel that increments a number,
// records an event, and the host queries the event's status before and after synchronizing on
// it. Each call maps onto one aclrt call; the comments name it. Differences: the synchronous
// `aclrtMemcpy` calls are copies on the default stream followed by its synchronize (npurt has no
// synchronous copy outside streams yet), and uint32 becomes float32.
import { createDevice } from "@npurt/core";
import { type KernelDefinition, simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

/** ACL_EVENT_RECORDED_STATUS_NOT_READY / _COMPLETE, as the sample prints them. */
type EventStatus = 0 | 1;

/** What the port observed. */
export interface EventStatusResult {
  readonly afterCreate: EventStatus;
  readonly afterRecord: EventStatus;
  readonly afterSynchronize: EventStatus;
  /** The sample's "The answer is %d". */
  readonly answer: number;
  /** Streams, events and buffers left at the end (the leak report). */
  readonly leaked: number;
}

/** `LongOP`: a kernel that takes a long time and increments x by 1. */
const longOp: KernelDefinition = {
  compute: ({ inputs: [x], outputs: [y] }) => {
    y![0] = x![0]! + 1;
  },
  cost: () => ({ durationNs: 2_000_000 }),
};

/** Runs the port. */
export async function cannEventStatus(log: (line: string) => void = () => {}): Promise<EventStatusResult> {
  const device = createDevice(simulatedNpu({ preset: "ascend910", seed: 1, kernels: { LongOP: longOp } })); // aclrtSetDevice(0)
  const manager = new StreamManager(device, { profile: "cann" }); // aclrtCreateContext
  const status = (e: { query(): "complete" | "not-ready" }): EventStatus =>
    e.query() === "complete" ? 1 : 0;

  const stream = manager.create({ failureMode: "stop" }); // aclrtCreateStream + aclrtSetStreamFailureMode(ACL_STOP_ON_FAILURE)
  const event = manager.createEvent(); // aclrtCreateEvent(&event)
  const afterCreate = status(event); // aclrtQueryEventStatus
  log(`After create event, current event status is ${afterCreate}.`);

  const num = new Float32Array(1);
  const numDevice = manager.allocate(4); // aclrtMalloc(&numDevice, size, ACL_MEM_MALLOC_HUGE_FIRST)
  const defaultStream = manager.defaultStream();
  defaultStream.copy({ src: num, dst: numDevice }); // aclrtMemcpy(..., ACL_MEMCPY_HOST_TO_DEVICE)
  await defaultStream.synchronize();
  log("Begin a long task.");
  stream.launch({ name: "LongOP", blockDim: 1, inputs: [numDevice], outputs: [numDevice] }); // LongOP(blockDim, stream, numDevice)
  stream.record(event); // aclrtRecordEvent(event, stream)

  const afterRecord = status(event);
  log(`After record but before synchronize, current event status is ${afterRecord}.`);
  await event.synchronize(); // aclrtSynchronizeEvent(event)
  const afterSynchronize = status(event);
  log(`After synchronize, current event status is ${afterSynchronize}.`);
  defaultStream.copy({ src: numDevice, dst: num }); // aclrtMemcpy(..., ACL_MEMCPY_DEVICE_TO_HOST)
  await defaultStream.synchronize();
  log(`The answer is ${num[0]}.`);

  manager.release(numDevice); // aclrtFree
  event.destroy(); // aclrtDestroyEvent
  await stream.destroy({ force: true }); // aclrtDestroyStreamForce
  const report = manager.close(); // aclrtDestroyContext
  device.close(); // aclrtResetDeviceForce
  const leaked = report.streams.length + report.events.length + report.allocations.length;
  log("Resource cleanup completed.");
  return { afterCreate, afterRecord, afterSynchronize, answer: num[0]!, leaked };
}
