import { NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import { CANN_STREAM_FLAGS as A, CUDA_STREAM_FLAGS as C } from "../stream-flags.js";
import type { StreamExtras } from "./records.js";

const CANN_BITS = A.FAST_LAUNCH | A.FAST_SYNC | A.PERSISTENT | A.HUGE | A.CPU_SCHEDULE | A.DEVICE_USE_ONLY;

/** A stream's creation flags as the API model reads them (runtime-semantics §1.1 Create). */
export interface StreamConfig {
  /** What `Stream.flags` reports. */
  readonly flags: number;
  readonly mode: StreamExtras["mode"];
  /** Whether it skips the legacy default stream's implicit synchronization. */
  readonly nonBlocking: boolean;
}

/** A stream created without flags, in either model. */
const PLAIN_STREAM: StreamConfig = Object.freeze({ flags: 0, mode: undefined, nonBlocking: false });

/**
 * Reads `flags` (and the `nonBlocking` shorthand) of a stream creation. CANN's ACL layer maps
 * only the bits it knows, so unknown bits are dropped and such a value gives a plain stream;
 * CUDA's `cudaStreamCreateWithFlags` takes `cudaStreamDefault` or `cudaStreamNonBlocking` only.
 */
export function resolveStreamFlags(
  model: "cann" | "cuda",
  flagsOpt: unknown,
  nonBlockingOpt: boolean | undefined,
): StreamConfig {
  // Most streams are created without flags: one shared answer instead of two arrays per create.
  if (flagsOpt === undefined && nonBlockingOpt === undefined) return PLAIN_STREAM;
  const raw = flagsOpt === undefined ? 0 : check.integer(flagsOpt, "stream flags", 0, 0xffff_ffff);
  if (model === "cuda") {
    if ((raw & ~C.NON_BLOCKING) !== 0) {
      throw new NpuError(
        "INVALID_PARAM",
        `stream flags 0x${raw.toString(16)} are not valid for cudaStreamCreateWithFlags: use CUDA_STREAM_FLAGS.DEFAULT or NON_BLOCKING`,
        { details: { flags: raw } },
      );
    }
    const flagged = raw === C.NON_BLOCKING;
    if (flagsOpt !== undefined && nonBlockingOpt !== undefined && nonBlockingOpt !== flagged) {
      throw new NpuError(
        "INVALID_PARAM",
        `nonBlocking: ${nonBlockingOpt} contradicts the stream flags 0x${raw.toString(16)}`,
      );
    }
    const nonBlocking = flagged || nonBlockingOpt === true;
    return { flags: nonBlocking ? C.NON_BLOCKING : 0, mode: undefined, nonBlocking };
  }
  const flags = raw & CANN_BITS;
  // One mode per stream: the kinds of stream the host issues no ordinary work to.
  const modes = [
    (flags & A.PERSISTENT) !== 0 ? "persistent" : undefined,
    (flags & A.DEVICE_USE_ONLY) !== 0 ? "device-only" : undefined,
    (flags & A.CPU_SCHEDULE) !== 0 ? "cpu-schedule" : undefined,
  ].filter((m) => m !== undefined);
  if (modes.length > 1) {
    // [INF] CANN refuses flags "that cannot be OR-ed" without listing them; these three each
    // give the stream a different owner, so npurt refuses their combinations.
    throw new NpuError(
      "INVALID_PARAM",
      `stream flags 0x${flags.toString(16)} combine ${modes.join(" and ")}, which cannot be OR-ed`,
      { details: { flags } },
    );
  }
  // Every CANN stream is non-blocking already ("Runtime中的Stream均为非阻塞式Stream").
  return { flags, mode: modes[0] as StreamExtras["mode"], nonBlocking: nonBlockingOpt === true };
}
