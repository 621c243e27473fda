import type { Device } from "@npurt/core";

/**
 * The id counters of one device: the last stream, host-callback, event and host-wait ids given
 * out on it.
 */
export interface DeviceIds {
  stream: number;
  callback: number;
  event: number;
  hostWait: number;
}

// Per device, not per manager: two managers on one device emit on one instrumentation bus, and
// their ids must not collide there. Held here, keyed weakly by the device, so core's Device
// needs no counter and a device's counters go with it.
const counters = new WeakMap<Device, DeviceIds>();

/**
 * The id counters of `device`, shared by every manager on it (ids 1, 2, 3, … per kind). A
 * manager keeps the object and increments it, so taking an id costs no lookup.
 */
export function deviceIds(device: Device): DeviceIds {
  let c = counters.get(device);
  if (c === undefined) {
    c = { stream: 0, callback: 0, event: 0, hostWait: 0 };
    counters.set(device, c);
  }
  return c;
}
