import type { Device, DeviceBuffer, OpSpec } from "@npurt/core";
import type { CallbackContext } from "../callback-context.js";
import type { AllocAsyncOptions } from "../memory-pool.js";
import type { OpHandle } from "../op-handle.js";
import type { HostCallbackOptions, SynchronizeOptions, WaitEventOptions } from "../stream-options.js";
import type { StreamRecord } from "./records.js";

/**
 * What a `Stream` handle calls in the runtime. Handles depend on this small port, not on the
 * runtime's classes, so the runtime can build handles without an import cycle.
 */
export interface StreamPort {
  /** The device the streams run on (its bus reports the host's synchronizes). */
  readonly device: Device;
  streamOf(handle: unknown): StreamRecord;
  submit(rec: StreamRecord, spec: OpSpec & { kind: "kernel" | "copy" | "fill" }, api: string): OpHandle;
  opSpec<K extends "kernel" | "copy" | "fill">(spec: unknown, kind: K): Extract<OpSpec, { kind: K }>;
  record(rec: StreamRecord, event: unknown): OpHandle;
  waitEvent(rec: StreamRecord, event: unknown, options: WaitEventOptions | undefined): OpHandle;
  resetEvent(rec: StreamRecord, event: unknown): OpHandle;
  launchCallback(
    rec: StreamRecord,
    fn: (ctx: CallbackContext) => unknown,
    options: HostCallbackOptions | undefined,
  ): OpHandle;
  query(rec: StreamRecord): "complete" | "not-ready";
  synchronizeStream(rec: StreamRecord, options: SynchronizeOptions | undefined): Promise<void>;
  abort(rec: StreamRecord): void;
  setFailureMode(rec: StreamRecord, mode: unknown): void;
  destroyStream(handle: unknown, options: { force?: boolean } | undefined): Promise<void>;
  persistentTaskCount(rec: StreamRecord): number;
  cleanPersistentTasks(rec: StreamRecord): void;
  executeOn(rec: StreamRecord, target: unknown): OpHandle[];
  allocAsync(rec: StreamRecord, bytes: unknown, options: AllocAsyncOptions | undefined): DeviceBuffer;
  freeAsync(rec: StreamRecord, buffer: unknown): void;
}
