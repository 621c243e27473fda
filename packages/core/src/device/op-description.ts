import type { DeviceOp, MemRef } from "../backend/ops.js";

// How an op is described on the instrumentation bus (`op.enqueued`): built only when someone
// listens, so none of this is on the hot path of an unobserved device.

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

function flatten(refs: readonly MemRef[]): number[] {
  const out: number[] = [];
  for (const r of refs) out.push(r.base, r.offset, r.bytes);
  return out;
}

/** The device ranges an op reads and writes, as flattened `[base, offset, bytes]` triples. */
export function memoryAccesses(op: DeviceOp): { reads?: number[]; writes?: number[] } {
  switch (op.kind) {
    case "kernel":
      return { reads: flatten(op.inputs), writes: flatten(op.outputs) };
    case "copy":
      return {
        ...(op.direction === "h2d" ? {} : { reads: flatten([op.src]) }),
        ...(op.direction === "d2h" ? {} : { writes: flatten([op.dst]) }),
      };
    case "fill":
      return { writes: flatten([op.dst]) };
    default:
      return {};
  }
}
