import { NpuError } from "@npurt/core";
import type { GraphRunReport, NodeCounts, NodeFailure, NodeId } from "../graph-report.js";
import type { ResourceLeak } from "../resource-manager.js";
import { CANCELLED, FAILED, OK, SKIPPED, statusName } from "./node-status.js";

/** The report of a finished run, over the run's own status bytes and values (not copied). */
export function runReport(
  status: Uint8Array,
  values: unknown[],
  failures: readonly NodeFailure[],
  aborted: boolean,
  adaptive: { promoted: number; demoted: number },
  leaks: readonly ResourceLeak[],
): GraphRunReport {
  const tally = [0, 0, 0, 0, 0, 0];
  for (let v = 0; v < status.length; v++) tally[status[v]!]!++;
  const counts: NodeCounts = {
    ok: tally[OK]!,
    failed: tally[FAILED]!,
    skipped: tally[SKIPPED]!,
    cancelled: tally[CANCELLED]!,
  };
  const checkId = (id: NodeId): void => {
    if (!Number.isInteger(id) || id < 0 || id >= status.length) {
      throw new NpuError("INVALID_PARAM", `no node ${String(id)} in this graph`, { details: { node: id } });
    }
  };
  return {
    ok: failures.length === 0 && !aborted,
    aborted,
    failures,
    counts,
    adaptive,
    leaks,
    value(id) {
      checkId(id);
      return values[id];
    },
    status(id) {
      checkId(id);
      return statusName(status[id]!);
    },
  };
}
