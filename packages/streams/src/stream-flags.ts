/**
 * CANN's stream flags (`ACL_STREAM_*`, `aclrtCreateStreamWithConfig`), for
 * {@link CreateStreamOptions.flags} in the `'cann'` API model (runtime-semantics §1.1 Create).
 * Bits CANN does not know are dropped, so such a value gives a plain stream, as CANN documents
 * ("配置其他值创建出来的Stream等同于通过aclrtCreateStream接口创建出来的Stream").
 */
export const CANN_STREAM_FLAGS = {
  /** `ACL_STREAM_FAST_LAUNCH`: the stream takes its hardware queue at creation instead of at first use. */
  FAST_LAUNCH: 0x1,
  /** `ACL_STREAM_FAST_SYNC`: synchronize polls instead of waiting for a notification (kept; a JavaScript host never polls). */
  FAST_SYNC: 0x2,
  /**
   * `ACL_STREAM_PERSISTENT`: kernels, copies and fills issued on the stream do not run; they are
   * kept until {@link Stream.cleanPersistentTasks} or destroy, and run as work of another stream
   * with {@link Stream.executeOn} (CANN binds such a stream to a model and executes the model).
   * Query and synchronize return at once.
   */
  PERSISTENT: 0x4,
  /** `ACL_STREAM_HUGE`: more tasks per stream (kept; CANN says it has no effect in current versions). */
  HUGE: 0x8,
  /** `ACL_STREAM_CPU_SCHEDULE`: carries AI CPU scheduling tasks (reserved in CANN): the host cannot issue work on it; query and synchronize return at once. */
  CPU_SCHEDULE: 0x10,
  /** `ACL_STREAM_DEVICE_USE_ONLY`: used only from device code: the host cannot issue work on it; query and synchronize return at once. */
  DEVICE_USE_ONLY: 0x20,
} as const;

/** CUDA's stream flags (`cudaStreamCreateWithFlags`), for {@link CreateStreamOptions.flags} in the `'cuda'` API model. */
export const CUDA_STREAM_FLAGS = {
  /** `cudaStreamDefault`: a blocking stream (it synchronizes with the legacy default stream). */
  DEFAULT: 0x0,
  /** `cudaStreamNonBlocking`: skips the legacy default stream's implicit synchronization (as `nonBlocking: true`). */
  NON_BLOCKING: 0x1,
} as const;
