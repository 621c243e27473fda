import type { DeviceOp, MemRef } from "../backend/ops.js";
import type { NpuErrorCode } from "../errors/error-codes.js";
import type { OpCompletedEvent, OpEnqueuedEvent, OpStatus } from "../instrumentation/events.js";

// How an op is described on the instrumentation bus: built only when someone listens, so none
// of this is on the hot path of an unobserved device. The events are built as literals of one
// fixed shape (no spreads, no optional members that come and go): a listener's property reads
// stay monomorphic, and a million events cost two small allocations each (issue 11's counting
// benchmark measured spreads and per-op Map entries at about 2 µs an op).

/** Shared by every op that reads or writes nothing: no array allocated for it. */
const NONE: readonly number[] = Object.freeze([]);

/** The `name` an op carries in instrumentation: kernel name, copy direction, or counter and value. */
export function opName(op: DeviceOp): string {
  switch (op.kind) {
    case "kernel":
      return op.name;
    case "copy":
      return op.direction;
    case "fill":
      return "fill";
    default:
      return `counter:${op.counter}=${op.value}`;
  }
}

function flatten(refs: readonly MemRef[]): readonly number[] {
  if (refs.length === 0) return NONE;
  const out: number[] = [];
  for (const r of refs) out.push(r.base, r.offset, r.bytes);
  return out;
}

function one(r: MemRef): readonly number[] {
  return [r.base, r.offset, r.bytes];
}

/** The device ranges `op` reads, as flattened `[base, offset, bytes]` triples. */
function readsOf(op: DeviceOp): readonly number[] {
  switch (op.kind) {
    case "kernel":
      return flatten(op.inputs);
    case "copy":
      return op.direction === "h2d" ? NONE : one(op.src);
    default:
      return NONE;
  }
}

/** The device ranges `op` writes, in the same form as {@link readsOf}. */
function writesOf(op: DeviceOp): readonly number[] {
  switch (op.kind) {
    case "kernel":
      return flatten(op.outputs);
    case "copy":
      return op.direction === "d2h" ? NONE : one(op.dst);
    case "fill":
      return one(op.dst);
    default:
      return NONE;
  }
}

/** The `op.enqueued` event of `op`. */
export function enqueuedEvent(
  time: number,
  device: number,
  queue: number,
  opId: number,
  op: DeviceOp,
): OpEnqueuedEvent {
  return {
    type: "op.enqueued",
    time,
    device,
    queue,
    opId,
    kind: op.kind,
    name: opName(op),
    reads: readsOf(op),
    writes: writesOf(op),
  };
}

/**
 * The `op.completed` event of an op; `op` is undefined when it was enqueued before anyone
 * listened (its kind is then `"unknown"` and its name empty).
 */
export function completedEvent(
  time: number,
  device: number,
  queue: number,
  opId: number,
  op: DeviceOp | undefined,
  status: OpStatus,
  startNs: number,
  endNs: number,
  code: NpuErrorCode | undefined,
): OpCompletedEvent {
  const kind = op === undefined ? "unknown" : op.kind;
  const name = op === undefined ? "" : opName(op);
  // Two literals rather than a spread: `code` is present only on failures.
  return code === undefined
    ? { type: "op.completed", time, device, queue, opId, kind, name, status, startNs, endNs }
    : { type: "op.completed", time, device, queue, opId, kind, name, status, startNs, endNs, code };
}
