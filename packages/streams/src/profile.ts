import { NpuTypeError } from "@npurt/core";
import { check, describe } from "@npurt/core/internal";

/** Which real runtime's behaviour to copy where CANN and CUDA differ. */
export type RuntimeProfile = "cann" | "cuda";

/**
 * The behaviours where CANN and CUDA differ (see `reference/runtime-semantics.md`), each its own
 * option. A profile fills in all of them; an explicit option overrides the profile's choice.
 */
export interface ProfileBehaviours {
  /**
   * Whether `destroy()` of a stream with pending work waits for it to drain. CANN's
   * `aclrtDestroyStream` does (`true`); CUDA's `cudaStreamDestroy` returns at once and lets the
   * work finish (`false`). Either way the handle is invalid from the call on.
   */
  readonly destroyWaitsForWork: boolean;
  /**
   * Which runtime's creation calls and flags {@link StreamManager.createEvent} and
   * {@link StreamManager.create} take, and so how each event and stream behaves
   * (runtime-semantics §1.1 Create, §1.2 Create flags). `'cann'`: `aclrtCreateEvent`,
   * `aclrtCreateEventWithFlag` and `aclrtCreateEventExWithFlag` with `ACL_EVENT_*` flags — an
   * event of the first two is "not recorded" until its first record (waits refused, query not
   * ready), an Ex event stands for no work until then — and `aclrtCreateStreamWithConfig`'s
   * `ACL_STREAM_*` flags. `'cuda'`: `cudaEventCreateWithFlags` with `cudaEvent*` flags (before
   * its first record an event stands for no work; there is no reset) and
   * `cudaStreamCreateWithFlags`' `cudaStreamNonBlocking`.
   */
  readonly apiModel: "cann" | "cuda";
  /**
   * The priority numbers users pass. `'cann'`: [0, 7], 0 the most urgent and the default (as
   * `aclrtCreateStream`). `'cuda'`: [-(levels - 1), 0], 0 the least urgent and the default (as
   * `cudaDeviceGetStreamPriorityRange`), where levels is the backend's number of priorities.
   */
  readonly priorityScale: "cann" | "cuda";
  /** What an out-of-range priority does: clamped to the nearest end (both runtimes today) or `INVALID_PARAM` (CANN 8.5 on some products). */
  readonly priorityOutOfRange: "clamp" | "error";
  /**
   * Whether a device failure is sticky. `false` (CANN): a failed op's error is reported once, by
   * the next synchronize of its stream, and the stream keeps working (unless a stream of the
   * device is stop-on-failure). `true` (CUDA): the failure poisons the device: its queued work is
   * discarded and every later launch, query, synchronize (of streams and events) and stream
   * creation on it fails with the same error.
   */
  readonly stickyErrors: boolean;
  /**
   * What {@link StreamManager.defaultStream} is (runtime-semantics §1.8). `'per-context'` (CANN):
   * one default stream per device, with no implicit synchronization — every stream is
   * non-blocking. `'legacy'` (CUDA's default): the legacy default stream, which synchronizes with
   * every blocking stream of its device: before an op on it, it waits for all work issued so far
   * on the blocking streams, and an op issued on a blocking stream waits for all work issued so
   * far on it (`k_1<<<s>>>; k_2<<<legacy>>>; k_3<<<s>>>`: k_2 waits for k_1, k_3 for k_2). Streams
   * created with `nonBlocking: true` skip it. `'per-thread'` (CUDA's `--default-stream
   * per-thread`): the default stream is an ordinary blocking stream, which synchronizes only with
   * the legacy default stream if that is used too.
   */
  readonly defaultStream: "per-context" | "legacy" | "per-thread";
  /**
   * Whether a stream may wait on an event of another device (runtime-semantics §1.2
   * Cross-device). `'allow'` (CUDA: "event may be from a different device than stream");
   * `'refuse'` (CANN: events synchronize streams of one device; `INVALID_PARAM`). A record is
   * refused across devices in both (`INVALID_HANDLE`).
   */
  readonly crossDeviceWaits: "allow" | "refuse";
  /**
   * How {@link StreamManager.malloc} sizes an allocation (runtime-semantics §1.4 Sync malloc).
   * `'cann'`: as `aclrtMalloc` on A2/A3/910 parts — rounded up to a multiple of 32 bytes plus 32
   * bytes of padding. `'none'`: the size asked for (CUDA's `cudaMalloc` states only alignment).
   */
  readonly mallocPadding: "cann" | "none";
  /**
   * What {@link StreamManager.free} does with `null`: `'no-op'` (CUDA: `cudaFree(0)` does
   * nothing) or `'error'` (CANN: `aclrtFree(NULL)` is `ACL_ERROR_INVALID_PARAM`).
   */
  readonly freeNull: "no-op" | "error";
  /**
   * Whether {@link StreamManager.malloc} and {@link StreamManager.free} synchronize the device
   * first. `true` (CUDA's programming guide: "Managing memory allocations using cudaMalloc and
   * cudaFree causes the GPU to synchronize across all executing CUDA streams"); `false` (CANN:
   * `aclrtMalloc` has no implicit sync, and `aclrtFree` frees at once, without waiting for the
   * tasks that use the memory — the caller's hazard; `freeWithDeviceSync` waits).
   */
  readonly allocationSynchronizes: boolean;
}

/** The behaviours of each profile. */
export const PROFILES: Readonly<Record<RuntimeProfile, ProfileBehaviours>> = {
  cann: {
    destroyWaitsForWork: true,
    apiModel: "cann",
    priorityScale: "cann",
    priorityOutOfRange: "clamp",
    stickyErrors: false,
    defaultStream: "per-context",
    crossDeviceWaits: "refuse",
    mallocPadding: "cann",
    freeNull: "error",
    allocationSynchronizes: false,
  },
  cuda: {
    destroyWaitsForWork: false,
    apiModel: "cuda",
    priorityScale: "cuda",
    priorityOutOfRange: "clamp",
    stickyErrors: true,
    defaultStream: "legacy",
    crossDeviceWaits: "allow",
    mallocPadding: "none",
    freeNull: "no-op",
    allocationSynchronizes: true,
  },
};

/** Resolves a profile name and explicit overrides into the full set of behaviours. @internal */
export function resolveBehaviours(
  profile: unknown,
  overrides: Partial<Record<keyof ProfileBehaviours, unknown>>,
): ProfileBehaviours {
  const base = PROFILES[check.oneOf(profile ?? "cann", ["cann", "cuda"] as const, "profile")];
  const bool = (v: unknown, what: string, d: boolean): boolean => {
    if (v === undefined) return d;
    if (typeof v !== "boolean") throw new NpuTypeError(`${what} must be a boolean, got ${describe(v)}`);
    return v;
  };
  // A behaviour with a fixed set of values: the override if given (checked), else the profile's.
  const one = <K extends keyof ProfileBehaviours>(
    key: K,
    choices: readonly ProfileBehaviours[K][],
  ): ProfileBehaviours[K] =>
    overrides[key] === undefined
      ? base[key]
      : (check.oneOf(overrides[key], choices as readonly string[], key) as ProfileBehaviours[K]);
  return {
    destroyWaitsForWork: bool(overrides.destroyWaitsForWork, "destroyWaitsForWork", base.destroyWaitsForWork),
    apiModel: one("apiModel", ["cann", "cuda"]),
    priorityScale: one("priorityScale", ["cann", "cuda"]),
    priorityOutOfRange: one("priorityOutOfRange", ["clamp", "error"]),
    stickyErrors: bool(overrides.stickyErrors, "stickyErrors", base.stickyErrors),
    defaultStream: one("defaultStream", ["per-context", "legacy", "per-thread"]),
    crossDeviceWaits: one("crossDeviceWaits", ["allow", "refuse"]),
    mallocPadding: one("mallocPadding", ["cann", "none"]),
    freeNull: one("freeNull", ["no-op", "error"]),
    allocationSynchronizes: bool(
      overrides.allocationSynchronizes,
      "allocationSynchronizes",
      base.allocationSynchronizes,
    ),
  };
}
