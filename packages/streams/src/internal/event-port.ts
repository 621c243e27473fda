import type { Device } from "@npurt/core";
import type { SynchronizeOptions } from "../stream-options.js";
import type { EventRecord } from "./records.js";

/** What a `StreamEvent` handle calls in the runtime (handles depend on this small port, not on the runtime's classes). */
export interface EventPort {
  /** The device the events live on (its bus reports the host's synchronizes). */
  readonly device: Device;
  eventOf(handle: unknown): EventRecord;
  eventQuery(ev: EventRecord): "complete" | "not-ready";
  eventWaitStatus(ev: EventRecord): "complete" | "not-ready";
  eventSynchronize(ev: EventRecord, options: SynchronizeOptions | undefined): Promise<void>;
  elapsedTime(start: EventRecord, end: EventRecord): number;
  destroyEvent(handle: unknown): void;
}
