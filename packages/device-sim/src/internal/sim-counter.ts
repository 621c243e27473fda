import type { DeviceState } from "./device-state.js";
import type { SimQueue } from "./sim-queue.js";

/** A counter (timeline semaphore) of one device, and the queues whose head waits on it. */
export interface Counter {
  readonly id: number;
  readonly device: DeviceState;
  /** The value the devices see. */
  value: number;
  /** The highest value the host has signalled (visible to the devices from its event on). */
  hostValue: number;
  waiters: SimQueue[];
}
