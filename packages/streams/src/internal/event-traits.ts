import { NpuError, NpuTypeError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import { CANN_EVENT_FLAGS as A, CUDA_EVENT_FLAGS as C, type EventCreationApi } from "../event-flags.js";
import type { CreateEventOptions } from "../stream-options.js";

/**
 * What an event may do, fixed at creation by the creation call and its flags
 * (runtime-semantics §1.2). The event timeline consults these instead of a per-manager rule.
 */
export interface EventTraits {
  readonly api: EventCreationApi;
  /** The flags as given (0 for `'plain'`). */
  readonly flags: number;
  /** Whether records carry timestamps. */
  readonly timing: boolean;
  /** Whether a stream may wait on it; when not, the reason. */
  readonly waitRefusal: string | undefined;
  /** Before the first record: `'empty'` (waits pass, query complete) or `'error'` (waits refused, query not ready). */
  readonly unrecorded: "empty" | "error";
  /** When it takes one of the device's limited event resources: at creation, at the first record, or never. */
  readonly limited: "create" | "first-record" | "never";
  /** Why `resetEvent` is refused, or `undefined` when it is allowed. */
  readonly resetRefusal:
    | { readonly code: "FEATURE_NOT_SUPPORTED" | "INVALID_PARAM"; readonly why: string }
    | undefined;
  /** Whether the wait-status query is refused (Ex and IPC events). */
  readonly waitStatusRefused: boolean;
  /** Whether the host may query and synchronize it (not `DEVICE_USE_ONLY`). */
  readonly hostUsable: boolean;
  /** CUDA's `cudaEventBlockingSync`. */
  readonly blockingSync: boolean;
}

const WITH_FLAG_BITS = A.SYNC | A.CAPTURE_STREAM_PROGRESS | A.TIME_LINE;
const EX_BITS = A.SYNC | A.CAPTURE_STREAM_PROGRESS | A.TIME_LINE;
const CUDA_BITS = C.BLOCKING_SYNC | C.DISABLE_TIMING | C.INTERPROCESS;

function invalidFlags(api: string, flags: number, allowed: string): NpuError {
  return new NpuError(
    "INVALID_PARAM",
    `event flags 0x${flags.toString(16)} are not valid for ${api}: use ${allowed}`,
    { details: { flags, api } },
  );
}

/** Checks the creation options of an event in an event model and derives its traits. */
export function resolveEventTraits(model: "cann" | "cuda", opts: CreateEventOptions): EventTraits {
  const timingOpt = opts.timing;
  if (timingOpt !== undefined && typeof timingOpt !== "boolean")
    throw new NpuTypeError("timing must be a boolean");
  const flagsOpt =
    opts.flags === undefined ? undefined : check.integer(opts.flags, "event flags", 0, 0xffff_ffff);
  const apiOpt =
    opts.api === undefined
      ? undefined
      : check.oneOf(opts.api, ["plain", "with-flag", "ex"] as const, "event api");
  return model === "cuda" ? cudaTraits(apiOpt, flagsOpt, timingOpt) : cannTraits(apiOpt, flagsOpt, timingOpt);
}

function cudaTraits(
  api: string | undefined,
  flagsOpt: number | undefined,
  timingOpt: boolean | undefined,
): EventTraits {
  if (api !== undefined) {
    throw new NpuError(
      "INVALID_PARAM",
      `event api '${api}' is a CANN creation call; the 'cuda' event model takes flags only`,
    );
  }
  let flags = flagsOpt ?? C.DEFAULT;
  if ((flags & ~CUDA_BITS) !== 0)
    throw invalidFlags("cudaEventCreateWithFlags", flags, "CUDA_EVENT_FLAGS bits");
  if (timingOpt !== undefined) {
    // `timing` is a shorthand for DISABLE_TIMING; with flags as well, the two must agree.
    if (flagsOpt !== undefined && timingOpt === ((flags & C.DISABLE_TIMING) !== 0)) {
      throw new NpuError(
        "INVALID_PARAM",
        `timing: ${timingOpt} contradicts the event flags 0x${flags.toString(16)}`,
      );
    }
    if (!timingOpt) flags |= C.DISABLE_TIMING;
  }
  // CUDA: "cudaEventInterprocess ... must be used with cudaEventDisableTiming".
  if ((flags & C.INTERPROCESS) !== 0 && (flags & C.DISABLE_TIMING) === 0) {
    throw invalidFlags("cudaEventCreateWithFlags", flags, "INTERPROCESS together with DISABLE_TIMING");
  }
  return {
    api: "cuda",
    flags,
    timing: (flags & C.DISABLE_TIMING) === 0,
    waitRefusal: undefined,
    unrecorded: "empty",
    limited: "never",
    resetRefusal: {
      code: "FEATURE_NOT_SUPPORTED",
      why: "CUDA has no event reset; record the event again instead",
    },
    waitStatusRefused: true,
    hostUsable: true,
    blockingSync: (flags & C.BLOCKING_SYNC) !== 0,
  };
}

function cannTraits(
  apiOpt: "plain" | "with-flag" | "ex" | undefined,
  flagsOpt: number | undefined,
  timingOpt: boolean | undefined,
): EventTraits {
  const api = apiOpt ?? (flagsOpt === undefined ? "plain" : "with-flag");
  if (api === "plain") {
    if (flagsOpt !== undefined && flagsOpt !== 0) {
      throw new NpuError("INVALID_PARAM", "aclrtCreateEvent takes no flags: use api 'with-flag' or 'ex'");
    }
    return {
      api,
      flags: 0,
      // aclrtCreateEvent events time records (aclrtEventElapsedTime's documented call order);
      // `timing: false` turns that off, an npurt extension for cheaper events.
      timing: timingOpt ?? true,
      waitRefusal: undefined,
      unrecorded: "error",
      limited: "first-record",
      resetRefusal: {
        code: "FEATURE_NOT_SUPPORTED",
        why: "events of aclrtCreateEvent cannot be reset (CANN: undefined behaviour); create it with api 'with-flag' and SYNC",
      },
      waitStatusRefused: false,
      hostUsable: true,
      blockingSync: false,
    };
  }
  const flags = flagsOpt ?? 0;
  const call = api === "ex" ? "aclrtCreateEventExWithFlag" : "aclrtCreateEventWithFlag";
  // As the runtime's EventCreate/EventCreateEx checks: at least one known bit, nothing else, and
  // the stand-alone flags alone.
  const alone = api === "ex" ? [A.IPC] : [A.DEVICE_USE_ONLY, A.EXTERNAL];
  const bits = api === "ex" ? EX_BITS : WITH_FLAG_BITS;
  const soleOk = alone.includes(flags as never);
  if (!soleOk && (flags === 0 || (flags & ~bits) !== 0)) {
    const names =
      api === "ex"
        ? "SYNC | CAPTURE_STREAM_PROGRESS | TIME_LINE, or IPC alone"
        : "SYNC | CAPTURE_STREAM_PROGRESS | TIME_LINE, or DEVICE_USE_ONLY or EXTERNAL alone";
    throw invalidFlags(call, flags, names);
  }
  const timeLine = (flags & A.TIME_LINE) !== 0;
  if (timingOpt !== undefined && timingOpt !== timeLine) {
    throw new NpuError(
      "INVALID_PARAM",
      `timing: ${timingOpt} contradicts the event flags 0x${flags.toString(16)} (TIME_LINE gives timestamps)`,
    );
  }
  const sync = (flags & A.SYNC) !== 0 || flags === A.EXTERNAL;
  const deviceOnly = flags === A.DEVICE_USE_ONLY;
  const ipc = flags === A.IPC;
  let resetRefusal: EventTraits["resetRefusal"];
  if (deviceOnly)
    resetRefusal = { code: "INVALID_PARAM", why: "device-only events can be reset only on the device" };
  else if (api === "ex")
    resetRefusal = {
      code: "FEATURE_NOT_SUPPORTED",
      why: "events of aclrtCreateEventExWithFlag cannot be reset; record again instead",
    };
  else if ((flags & A.SYNC) === 0)
    resetRefusal = { code: "FEATURE_NOT_SUPPORTED", why: "only events created with SYNC can be reset" };
  return {
    api,
    flags,
    timing: timeLine,
    waitRefusal: sync || deviceOnly ? undefined : `it was created by ${call} without SYNC`,
    unrecorded: api === "ex" ? "empty" : "error",
    limited: api === "ex" ? "never" : sync ? "create" : "never",
    resetRefusal,
    waitStatusRefused: api === "ex" || ipc,
    hostUsable: !deviceOnly,
    blockingSync: false,
  };
}
