import type { NpuError, NpuErrorCode } from "@npurt/core";

/**
 * What {@link StreamManager.onException} reports of a failed task, as CANN's
 * `aclrtExceptionInfoCallbackRegister` does (task, stream, device, error code).
 */
export interface ExceptionInfo {
  /** Id of the stream the task ran on. */
  readonly stream: number;
  /** Device index. */
  readonly device: number;
  /** Core's op id of a failed device op (as in instrumentation events); `undefined` for a host callback. */
  readonly opId: number | undefined;
  /** Id of a failed host callback; `undefined` for a device op. */
  readonly callback: number | undefined;
  readonly code: NpuErrorCode;
  readonly message: string;
  /** The error the stream's next synchronize (or the stopped device) reports. */
  readonly error: NpuError;
}
