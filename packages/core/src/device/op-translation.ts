import type { DeviceCapabilities } from "../backend/device-backend.js";
import {
  DEVICE_OP_KINDS,
  type DeviceOp,
  type DeviceOpKind,
  type KernelCost,
  type KernelParams,
  type MemRef,
} from "../backend/ops.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, errorMessage, quote } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import type { CounterHandle, DeviceBuffer } from "./device-handles.js";
import type { BufferState, CounterState } from "./device-state.js";
import type { HandleTable } from "./handles.js";

/**
 * What translating an op needs from its device, and where it leaves what the op holds while
 * pending. The two output fields are scratch space the device reuses for every op (reset by
 * {@link translateOp}): enqueue is the hot path, and a result object per op measured as a
 * noticeable share of its cost.
 */
export interface TranslationContext {
  readonly capabilities: DeviceCapabilities;
  /**
   * Translated ops of operand-less kernels by name (blockDim 1, no params, cost or timeout):
   * such an op is the same on every launch, so one frozen object serves them all. Queued ops
   * outlive young-generation collections, so V8 pretenures their allocation site; one object
   * fewer per launch measured about a quarter of the streams submit cost.
   */
  readonly plainKernels: Map<string, DeviceOp>;
  /** The backend's kernel names as a set (a lookup per launch), or `undefined` for any name. */
  readonly kernelNames: ReadonlySet<string> | undefined;
  readonly backendName: string;
  readonly buffers: HandleTable<DeviceBuffer, BufferState>;
  readonly counters: HandleTable<CounterHandle, CounterState>;
  /**
   * Out: the buffers the op names, in operand order (a buffer named twice appears twice): the
   * first `touchedCount` entries (a count, not `length = 0`, which measured ~5 % of enqueue).
   */
  readonly touched: BufferState[];
  touchedCount: number;
  /** Out: the counter a signal or wait op names. */
  counter: CounterState | undefined;
  /** The host memory allocated page-locked (`Device.allocateHost`), by its ArrayBuffer. */
  readonly pinned: WeakSet<ArrayBufferLike>;
}

/**
 * Checks a user's op spec and builds the op a backend executes. Every field is read exactly
 * once (a getter that answers differently on a second read cannot slip past a check), bounds
 * come from the device's buffer table (never from a handle's fields), and anything that throws
 * while the spec is read — a throwing getter, a Proxy trap — becomes an `NpuTypeError`, so a
 * refused op is always refused with a code and before the backend sees it.
 */
export function translateOp(spec: unknown, device: number, ctx: TranslationContext): DeviceOp {
  ctx.touchedCount = 0;
  ctx.counter = undefined;
  try {
    return translate(spec, device, ctx);
  } catch (error) {
    if (NpuError.isInstance(error)) throw error;
    throw new NpuTypeError(`op could not be read: ${errorMessage(error)}`, { cause: error });
  }
}

function translate(spec: unknown, device: number, ctx: TranslationContext): DeviceOp {
  if (typeof spec !== "object" || spec === null)
    throw new NpuTypeError(`op must be an object, got ${describe(spec)}`);
  const s = spec as Record<string, unknown>;
  const kind = s.kind;
  if (!DEVICE_OP_KINDS.includes(kind as DeviceOpKind)) {
    if (typeof kind !== "string") throw new NpuTypeError(`op kind must be a string, got ${describe(kind)}`);
    throw new NpuError(
      "INVALID_PARAM",
      `unknown op kind ${quote(kind)}; expected one of ${DEVICE_OP_KINDS.join(", ")}`,
    );
  }
  if (!ctx.capabilities.ops.includes(kind as DeviceOpKind)) {
    throw new NpuError(
      "FEATURE_NOT_SUPPORTED",
      `backend ${quote(ctx.backendName)} does not execute "${kind as string}" ops`,
    );
  }
  switch (kind as DeviceOpKind) {
    case "kernel":
      return kernelOp(s, device, ctx);
    case "copy":
      return copyOp(s, ctx);
    case "fill": {
      const value = check.integer(s.value, "fill value", 0, 255);
      return { kind: "fill", dst: memRef(s.dst, "dst", ctx), value };
    }
    case "signal":
    case "wait": {
      const counter = ctx.counters.get(s.counter, "counter");
      const value = check.integer(s.value, `${kind as string} value`, 0);
      ctx.counter = counter;
      return { kind: kind as "signal" | "wait", counter: counter.backendId, value };
    }
  }
  throw new NpuError("INTERNAL_ERROR", "unreachable");
}

function kernelOp(s: Record<string, unknown>, device: number, ctx: TranslationContext): DeviceOp {
  const name = check.string(s.name, "kernel name");
  const known = ctx.capabilities.kernels;
  // The set is made from the manifest when the device is; the list is read again before a
  // refusal, in case a backend added a name to its manifest since.
  if (known !== undefined && !ctx.kernelNames!.has(name) && !known.includes(name)) {
    throw new NpuError(
      "INVALID_PARAM",
      `unknown kernel ${quote(name)}; backend ${quote(ctx.backendName)} knows ${known.map((k) => quote(k)).join(", ")}`,
    );
  }
  const units = ctx.capabilities.devices[device]!.computeUnits;
  const blockDimIn = s.blockDim;
  const blockDim = blockDimIn === undefined ? 1 : check.integer(blockDimIn, "blockDim", 1);
  if (blockDim > units) {
    throw new NpuError(
      "INVALID_PARAM",
      `blockDim ${blockDim} exceeds the ${units} compute units of device ${device}`,
      {
        details: { blockDim, computeUnits: units },
      },
    );
  }
  const paramsIn = s.params;
  const params = paramsIn === undefined ? undefined : kernelParams(paramsIn);
  const costIn = s.cost;
  const cost = costIn === undefined ? undefined : kernelCost(costIn);
  const inputs = memRefs(s.inputs, "inputs", ctx);
  const outputs = memRefs(s.outputs, "outputs", ctx);
  const timeoutIn = s.timeoutNs;
  if (timeoutIn === undefined) {
    if (
      blockDim === 1 &&
      params === undefined &&
      cost === undefined &&
      inputs === NO_REFS &&
      outputs === NO_REFS
    ) {
      let op = ctx.plainKernels.get(name);
      if (op === undefined) {
        op = Object.freeze({ kind: "kernel", name, blockDim, inputs, outputs, params, cost });
        ctx.plainKernels.set(name, op);
      }
      return op;
    }
    return { kind: "kernel", name, blockDim, inputs, outputs, params, cost };
  }
  const timeoutNs = check.integer(timeoutIn, "kernel timeoutNs", 1, MAX_DURATION_NS);
  if (ctx.capabilities.opTimeouts !== true) {
    throw new NpuError(
      "FEATURE_NOT_SUPPORTED",
      `backend ${quote(ctx.backendName)} does not stop kernels at a timeout (its manifest does not claim opTimeouts)`,
    );
  }
  return { kind: "kernel", name, blockDim, inputs, outputs, params, cost, timeoutNs };
}

function copyOp(s: Record<string, unknown>, ctx: TranslationContext): DeviceOp {
  const src = s.src;
  const dst = s.dst;
  const bytesIn = s.bytes;
  const srcHost = ArrayBuffer.isView(src);
  const dstHost = ArrayBuffer.isView(dst);
  if (srcHost && dstHost) {
    throw new NpuError(
      "INVALID_PARAM",
      "copy needs a device buffer on at least one side (host-to-host is not a device op)",
    );
  }
  const bytes = bytesIn === undefined ? undefined : check.integer(bytesIn, "copy bytes", 0);
  const direction = srcHost ? "h2d" : dstHost ? "d2h" : "d2d";
  if (!ctx.capabilities.copyDirections.includes(direction)) {
    throw new NpuError(
      "FEATURE_NOT_SUPPORTED",
      `backend ${quote(ctx.backendName)} does not copy ${direction}`,
    );
  }
  const srcRef = srcHost ? undefined : memRef(src, "src", ctx);
  const dstRef = dstHost ? undefined : memRef(dst, "dst", ctx);
  const srcLength = srcRef?.bytes ?? hostLength(src as ArrayBufferView, "src");
  const length = bytes ?? srcLength;
  const dstLength = dstRef?.bytes ?? hostLength(dst as ArrayBufferView, "dst");
  if (length > srcLength || length > dstLength) {
    throw new NpuError(
      "INVALID_PARAM",
      `copy of ${length} bytes does not fit: source has ${srcLength}, destination ${dstLength}`,
      { details: { bytes: length, srcBytes: srcLength, dstBytes: dstLength } },
    );
  }
  const hostView = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, length);
  const clip = (r: MemRef): MemRef =>
    r.bytes === length
      ? r
      : r.dtype === undefined
        ? { base: r.base, offset: r.offset, bytes: length }
        : { base: r.base, offset: r.offset, bytes: length, dtype: r.dtype };
  if (direction === "h2d") {
    const view = src as ArrayBufferView;
    const pinned = ctx.pinned.has(view.buffer);
    return { kind: "copy", direction, src: hostView(view), dst: clip(dstRef!), pinned };
  }
  if (direction === "d2h") {
    const view = dst as ArrayBufferView;
    const pinned = ctx.pinned.has(view.buffer);
    return { kind: "copy", direction, src: clip(srcRef!), dst: hostView(view), pinned };
  }
  return { kind: "copy", direction, src: clip(srcRef!), dst: clip(dstRef!) };
}

/**
 * A host view's length, refusing a view on a detached buffer (transferred or `postMessage`d):
 * it reads as 0 bytes, so a copy would "succeed" having moved nothing.
 */
function hostLength(view: ArrayBufferView, what: string): number {
  const length = view.byteLength;
  if (length === 0 && isDetached(view.buffer)) {
    throw new NpuError("INVALID_PARAM", `${what} is a view on a detached ArrayBuffer (it was transferred)`);
  }
  return length;
}

function isDetached(buffer: ArrayBufferLike): boolean {
  const flag = (buffer as { detached?: unknown }).detached;
  if (typeof flag === "boolean") return flag;
  // Before ES2024's `detached`: constructing a view on a detached buffer throws.
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** Resolves a buffer or slice against the table, records it in `ctx.touched`, returns its range. */
function memRef(ref: unknown, what: string, ctx: TranslationContext): MemRef {
  const buffers = ctx.buffers;
  const whole = buffers.find(ref);
  if (whole !== undefined) {
    ctx.touched[ctx.touchedCount++] = whole;
    return whole.whole; // shared and frozen: no allocation for the common whole-buffer operand
  }
  if (ArrayBuffer.isView(ref)) {
    // The usual first mistake: handing a kernel (or a fill) the host data itself.
    throw new NpuTypeError(
      `${what} is host memory (${describe(ref)}), not a device buffer: allocate a device buffer ` +
        "and copy the host data into it first (a copy op, or Device.memcpy)",
    );
  }
  if (typeof ref !== "object" || ref === null || !("buffer" in ref)) {
    buffers.get(ref, what); // throws the right error for a stale, foreign, forged or mistyped handle
    throw new NpuError("INTERNAL_ERROR", "unreachable");
  }
  const slice = ref as { buffer: unknown; offset?: unknown; bytes?: unknown };
  const offsetIn = slice.offset;
  const bytesIn = slice.bytes;
  const state = buffers.get(slice.buffer, `${what}.buffer`);
  const offset = offsetIn === undefined ? 0 : check.integer(offsetIn, `${what}.offset`, 0);
  const size = state.bytes;
  const length = bytesIn === undefined ? size - offset : check.integer(bytesIn, `${what}.bytes`, 0);
  if (offset + length > size || length < 0) {
    throw new NpuError(
      "INVALID_PARAM",
      `${what}: range [${offset}, ${offset + length}) is outside the ${size}-byte buffer`,
      { details: { offset, bytes: length, size } },
    );
  }
  ctx.touched[ctx.touchedCount++] = state;
  if (offset === 0 && length === size) return state.whole;
  return state.dtype === "float32"
    ? { base: state.address, offset, bytes: length }
    : { base: state.address, offset, bytes: length, dtype: state.dtype };
}

function memRefs(list: unknown, what: string, ctx: TranslationContext): readonly MemRef[] {
  if (list === undefined) return NO_REFS;
  if (!Array.isArray(list))
    throw new NpuTypeError(`${what} must be an array of buffers, got ${describe(list)}`);
  const length = list.length;
  if (length === 0) return NO_REFS;
  const refs: MemRef[] = new Array(length);
  // An index loop, not map(): map skips the holes of a sparse array (`[b, , b]`), which would
  // reach the backend and the instrumentation as `undefined` operands.
  for (let i = 0; i < length; i++) refs[i] = memRef(list[i], `${what}[${i}]`, ctx);
  return refs;
}

// Kernels without declared inputs or outputs share one frozen empty list: two fewer allocations
// per launch, which is most of a queued op's memory on a fast backend.
const NO_REFS: readonly MemRef[] = Object.freeze([]);

/** The longest stated duration: the clock counts integer nanoseconds, exact up to 2^53. */
const MAX_DURATION_NS = Number.MAX_SAFE_INTEGER;

function kernelCost(cost: unknown): KernelCost {
  const c = check.options(cost as object, "kernel cost") as Record<string, unknown>;
  const out: { flops?: number; bytes?: number; durationNs?: number } = {};
  for (const key of ["flops", "bytes", "durationNs"] as const) {
    const v = c[key];
    if (v === undefined) continue;
    const n = check.number(v, `cost.${key}`);
    if (n < 0) throw new NpuError("INVALID_PARAM", `cost.${key} must not be negative, got ${n}`);
    if (key === "durationNs" && n > MAX_DURATION_NS)
      throw new NpuError(
        "INVALID_PARAM",
        `cost.durationNs must be at most ${MAX_DURATION_NS} (2^53-1 ns), got ${n}`,
      );
    out[key] = n;
  }
  return out;
}

/** A frozen copy of the params, each a number, string, boolean or array of numbers. */
function kernelParams(params: unknown): KernelParams {
  const p = check.options(params as object, "kernel params") as Record<string, unknown>;
  const out: Record<string, number | string | boolean | readonly number[]> = {};
  for (const key of Object.keys(p)) {
    const v = p[key];
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out[key] = v;
    else if (Array.isArray(v)) {
      const copy = new Array<number>(v.length);
      for (let i = 0; i < v.length; i++) copy[i] = check.number(v[i], `params.${key}[${i}]`);
      out[key] = Object.freeze(copy);
    } else {
      throw new NpuTypeError(
        `params.${key} must be a number, string, boolean or array of numbers, got ${describe(v)}`,
      );
    }
  }
  return Object.freeze(out);
}
