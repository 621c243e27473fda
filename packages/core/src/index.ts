/**
 * The npurt contract: the {@link DeviceBackend} plugin interface, {@link createDevice} (the
 * checked wrapper every user-facing call goes through), coded errors, instrumentation, the
 * {@link Clock} and {@link HostExecutor} ports, and small shared data structures.
 *
 * Backends implement primitives; core derives the rest. The conformance suite every backend
 * runs lives in `@npurt/core/conformance`; a mock backend and a virtual clock in
 * `@npurt/core/testing`.
 *
 * @example
 * ```ts
 * import { createDevice, NpuError } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 *
 * const device = createDevice(new MockDeviceBackend());
 * const queue = device.createQueue();
 * const buffer = device.allocate(16);
 * device.enqueue(queue, { kind: "copy", src: new Uint8Array(16).fill(3), dst: buffer });
 * const out = new Uint8Array(16);
 * device.enqueue(queue, { kind: "copy", src: buffer, dst: out });
 * await device.drain(queue);
 * try { device.allocate(0); } catch (e) { NpuError.isInstance(e, "INVALID_PARAM"); }
 * ```
 *
 * @packageDocumentation
 */

export type {
  CompletionSink,
  DeviceBackend,
  DeviceCapabilities,
  DeviceDescriptor,
  MemoryInfo,
  OpCompletion,
  OpFailure,
  QueueOptions,
} from "./backend/device-backend.js";
export {
  type CopyD2DOp,
  type CopyD2HOp,
  type CopyDirection,
  type CopyH2DOp,
  type CopyOp,
  DEVICE_OP_KINDS,
  type DeviceOp,
  type DeviceOpKind,
  type FillOp,
  type KernelCost,
  type KernelOp,
  type KernelParams,
  type MemRef,
  type SignalOp,
  type WaitOp,
} from "./backend/ops.js";
export {
  type Clock,
  currentDeviceClock,
  runWithDeviceClock,
  type TimeModel,
  type TimerId,
  wallClock,
} from "./clock.js";
export { createDevice } from "./device/create-device.js";
export { Device, type QueueCompletionListener } from "./device/device.js";
export { CounterHandle, DeviceBuffer, QueueHandle } from "./device/device-handles.js";
export type {
  AllocateHostOptions,
  AllocateOptions,
  CreateDeviceOptions,
  CreateQueueOptions,
  MemcpySpec,
  MemGetInfo,
  MemsetSpec,
} from "./device/device-options.js";
export { Handle } from "./device/handles.js";
export type {
  BufferRef,
  BufferSlice,
  CopySpec,
  FillSpec,
  KernelSpec,
  OpSpec,
  SignalSpec,
  WaitSpec,
} from "./device/op-spec.js";
export { ERROR_CODES, type ErrorCodeInfo, isNpuErrorCode, type NpuErrorCode } from "./errors/error-codes.js";
export { NpuError, type NpuErrorOptions, NpuTypeError, toNpuError } from "./errors/npu-error.js";
export type { HostExecutor, HostTask, HostTaskOutcome } from "./host-executor.js";
export type * from "./instrumentation/events.js";
export { Instrumentation, type InstrumentationListener } from "./instrumentation/instrumentation.js";
export { scheduleMacrotask } from "./macrotask.js";
export {
  DTYPES,
  type DType,
  type DTypeInfo,
  fromFloat16Bits,
  type HostArray,
  type HostArrayOf,
  toFloat16Bits,
} from "./memory/dtype.js";
