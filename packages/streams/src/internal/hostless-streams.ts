import { NpuError } from "@npurt/core";
import type { StreamRecord } from "./records.js";

/** The refusal of host work on a stream that takes none. */
export function hostless(rec: StreamRecord, api: string): NpuError {
  const mode = rec.extras?.mode;
  return new NpuError(
    "FEATURE_NOT_SUPPORTED",
    mode === "persistent"
      ? `${api}: a persistent stream keeps only kernels, copies and fills (stream ${rec.id})`
      : `${api}: stream ${rec.id} is ${mode === "device-only" ? "DEVICE_USE_ONLY" : "CPU_SCHEDULE"}; the host cannot issue work on it`,
    { details: { stream: rec.id } },
  );
}
