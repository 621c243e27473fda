import {
  type AllocateOptions,
  type DeviceBuffer,
  type MemcpySpec,
  type MemsetSpec,
  NpuError,
} from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { Stream } from "../stream.js";
import { assertNotInCallback } from "./callback-scope.js";
import type { Runtime } from "./runtime.js";

/** CANN's `aclrtMalloc` granularity and padding on A2/A3/910/310P/310B parts (runtime-semantics §1.4). */
const CANN_ALIGN = 32;
const CANN_PADDING = 32;

/**
 * The memory calls outside streams, per profile (runtime-semantics §1.4 Sync malloc, Free):
 * `malloc` and `free` with CANN's rounding and refusal of `free(null)` or CUDA's device
 * synchronization and `free(null)` no-op, `freeWithDeviceSync` (`aclrtFreeWithDevSync`), and
 * synchronous `memcpy`/`memset` with the profile's implicit synchronization.
 */
export class SyncMemory {
  readonly #rt: Runtime;
  readonly #defaultStream: (device: number) => Stream;

  constructor(rt: Runtime, defaultStream: (device: number) => Stream) {
    this.#rt = rt;
    this.#defaultStream = defaultStream;
  }

  async malloc(bytes: unknown, options: AllocateOptions | undefined): Promise<DeviceBuffer> {
    assertNotInCallback("StreamManager.malloc");
    const rt = this.#rt;
    rt.assertOpen();
    const opts = check.read(options, "malloc options", ["device", "tag", "dtype"]);
    const size = check.integer(bytes, "bytes", 1);
    const reserveBytes =
      rt.behaviours.mallocPadding === "cann"
        ? Math.ceil(size / CANN_ALIGN) * CANN_ALIGN + CANN_PADDING
        : size;
    if (!Number.isSafeInteger(reserveBytes)) {
      // aclrtMalloc: "size so large that alignment overflows" is ACL_ERROR_INVALID_PARAM.
      throw new NpuError(
        "INVALID_PARAM",
        `malloc(${size}): rounding up to ${CANN_ALIGN} bytes plus ${CANN_PADDING} of padding overflows`,
      );
    }
    if (rt.behaviours.allocationSynchronizes) await this.#synchronizeDevice();
    rt.stats.allocations.created++;
    const buffer = rt.device.allocate(size, { ...(opts as AllocateOptions), reserveBytes });
    rt.stats.allocations.succeeded++;
    return buffer;
  }

  async free(buffer: DeviceBuffer | null): Promise<void> {
    assertNotInCallback("StreamManager.free");
    const rt = this.#rt;
    if (buffer === null || buffer === undefined) {
      if (rt.behaviours.freeNull === "no-op") return;
      throw new NpuError(
        "INVALID_PARAM",
        "free(null): the 'cann' profile refuses a null pointer (aclrtFree)",
      );
    }
    if (!rt.device.isLive(buffer)) rt.device.release(buffer); // throws the right handle error
    if (rt.behaviours.allocationSynchronizes) await this.#synchronizeDevice();
    this.#release(buffer);
  }

  async freeWithDeviceSync(buffer: DeviceBuffer): Promise<void> {
    assertNotInCallback("StreamManager.freeWithDeviceSync");
    const rt = this.#rt;
    if (!rt.device.isLive(buffer)) rt.device.release(buffer);
    await this.#synchronizeDevice();
    this.#release(buffer);
  }

  /**
   * A synchronous copy. CUDA's `cudaMemcpy` runs on the legacy default stream, so it waits for
   * the work issued so far on every blocking stream of the device (and they wait for it); with
   * CANN's per-context default stream nothing is implied [INF: every CANN stream is
   * non-blocking, §1.8] and the copy runs on a queue of its own.
   */
  memcpy(spec: MemcpySpec): Promise<void> {
    return this.#run(spec, "copy");
  }

  /** A synchronous fill, ordered like {@link SyncMemory.memcpy}. */
  memset(spec: MemsetSpec): Promise<void> {
    return this.#run(spec, "fill");
  }

  async #run(spec: MemcpySpec | MemsetSpec, kind: "copy" | "fill"): Promise<void> {
    assertNotInCallback(kind === "copy" ? "StreamManager.memcpy" : "StreamManager.memset");
    const rt = this.#rt;
    rt.assertOpen();
    if (rt.behaviours.defaultStream === "per-context") {
      return kind === "copy" ? rt.device.memcpy(spec as MemcpySpec) : rt.device.memset(spec as MemsetSpec);
    }
    const s = check.options(spec as object, kind === "copy" ? "memcpy spec" : "memset spec") as Record<
      string,
      unknown
    >;
    const operand = kind === "copy" ? (ArrayBuffer.isView(s.src) ? s.dst : s.src) : s.dst;
    const buffer = (operand as { buffer?: unknown } | undefined)?.buffer ?? operand;
    const device =
      typeof (buffer as DeviceBuffer | undefined)?.device === "number" ? (buffer as DeviceBuffer).device : 0;
    const stream = this.#defaultStream(device);
    const op = kind === "copy" ? stream.copy(spec as MemcpySpec) : stream.fill(spec as MemsetSpec);
    await op.finished; // rejects with the op's own coded error
  }

  /** Waits for every queue of the device (its streams' work, blocking callbacks included). */
  async #synchronizeDevice(): Promise<void> {
    await this.#rt.device.idle();
  }

  #release(buffer: DeviceBuffer): void {
    this.#rt.device.release(buffer);
    this.#rt.stats.allocations.released++;
  }
}
