import { DTYPES, type DType, type KernelCost, NpuError, NpuTypeError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { ResolvedSimConfig, SimulatedNpuConfig } from "../config.js";
import type { FaultSpec } from "../faults.js";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import {
  DEFAULT_HOST_COSTS,
  type DeviceFigures,
  type HostCosts,
  PRESETS,
  type PresetName,
} from "../presets.js";
import { safeDescribe as describe, readArray, readOptions } from "./read-options.js";

/**
 * Each device's addresses live in their own 1 TiB window (the base address names its device),
 * so a device holds at most that much HBM.
 */
export const DEVICE_WINDOW_BYTES = 2 ** 40;
/** A host cost above a second per call is surely a unit mistake (the figures are microseconds). */
const MAX_HOST_COST_NS = 1e9;
/** Faults one config may list. */
const MAX_FAULTS = 100_000;

const FIGURE_KEYS = Object.keys(PRESETS.tiny) as (keyof DeviceFigures)[];
const HOST_KEYS = Object.keys(DEFAULT_HOST_COSTS) as (keyof HostCosts)[];
const OTHER_KEYS = [
  "preset",
  "devices",
  "hostCosts",
  "seed",
  "jitter",
  "timeMode",
  "paceScale",
  "computeKernels",
  "maxHostBackedBytes",
  "kernels",
  "faults",
] as const;
const KNOWN_KEYS = new Set<string>([...FIGURE_KEYS, ...OTHER_KEYS]);

/** Figures that may be `Infinity` (limits); the others must be finite. */
const UNBOUNDED_OK = new Set<string>(["maxQueues", "maxCounters"]);
/** Figures that are counts (integers ≥ 1) rather than rates or sizes. */
const COUNTS = new Set<string>([
  "aiCores",
  "copyEnginesPerDirection",
  "priorityLevels",
  "maxQueues",
  "maxCounters",
  "hbmBytes",
]);
/** Upper bounds of the figures that have one. */
const MAXIMA: Readonly<Record<string, number>> = {
  // The ready queues keep one bit per level in a 32-bit mask.
  priorityLevels: 32,
  hbmBytes: DEVICE_WINDOW_BYTES,
};
/** Figures that may be 0 (latencies). */
const ZERO_OK = new Set<string>(["kernelLaunchNs", "copyLatencyNs"]);

function unknownKeys(value: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new NpuError(
        "INVALID_PARAM",
        `${what}: unknown option "${key}"; known options are ${[...known].join(", ")}`,
      );
    }
  }
}

function figure(key: string, value: unknown): number {
  const what = `config.${key}`;
  if (typeof value !== "number") throw new NpuTypeError(`${what} must be a number, got ${describe(value)}`);
  if (value === Number.POSITIVE_INFINITY && UNBOUNDED_OK.has(key)) return value;
  const min = ZERO_OK.has(key) ? 0 : COUNTS.has(key) ? 1 : Number.MIN_VALUE;
  const n =
    COUNTS.has(key) || ZERO_OK.has(key)
      ? check.integer(value, what, min, MAXIMA[key])
      : check.number(value, what);
  if (n < min) throw new NpuError("INVALID_PARAM", `${what} must be positive, got ${n}`);
  return n;
}

/** Applies the preset and defaults to `config` and checks every field. */
export function resolveConfig(config: SimulatedNpuConfig | undefined): {
  resolved: ResolvedSimConfig;
  kernels: Readonly<Record<string, KernelDefinition>>;
  faults: readonly FaultSpec[];
} {
  const c = readOptions(config, "simulatedNpu config");
  unknownKeys(c, KNOWN_KEYS, "simulatedNpu config");
  const preset = (
    c.preset === undefined ? "ascend910" : check.oneOf(c.preset, Object.keys(PRESETS), "config.preset")
  ) as PresetName;
  const figures: Record<string, unknown> = { ...PRESETS[preset] };
  for (const key of FIGURE_KEYS) {
    if (c[key] === undefined) continue;
    figures[key] = key === "name" ? check.string(c[key], "config.name") : figure(key, c[key]);
  }
  const host = readOptions(c.hostCosts, "config.hostCosts");
  unknownKeys(host, new Set(HOST_KEYS), "config.hostCosts");
  const hostCosts: Record<string, number> = { ...DEFAULT_HOST_COSTS };
  for (const key of HOST_KEYS) {
    if (host[key] !== undefined) {
      hostCosts[key] = check.integer(host[key], `config.hostCosts.${key}`, 0, MAX_HOST_COST_NS);
    }
  }
  const timeMode =
    c.timeMode === undefined ? "virtual" : check.oneOf(c.timeMode, ["virtual", "paced"], "config.timeMode");
  const paceScale = c.paceScale === undefined ? 1 : check.number(c.paceScale, "config.paceScale");
  // A wall second per virtual nanosecond is the slowest playback anyone can watch.
  if (paceScale > 1e9)
    throw new NpuError("INVALID_PARAM", `config.paceScale must be at most 1e9, got ${paceScale}`);
  if (paceScale <= 0)
    throw new NpuError("INVALID_PARAM", `config.paceScale must be positive, got ${paceScale}`);
  const jitter = c.jitter === undefined ? 0 : check.number(c.jitter, "config.jitter");
  if (jitter < 0) throw new NpuError("INVALID_PARAM", `config.jitter must not be negative, got ${jitter}`);
  const computeKernels = c.computeKernels === undefined ? true : c.computeKernels;
  if (typeof computeKernels !== "boolean") {
    throw new NpuTypeError(`config.computeKernels must be a boolean, got ${describe(computeKernels)}`);
  }
  const maxHostBackedBytes =
    c.maxHostBackedBytes === undefined || c.maxHostBackedBytes === Number.POSITIVE_INFINITY
      ? (c.maxHostBackedBytes ?? 4 * 2 ** 30)
      : check.integer(c.maxHostBackedBytes, "config.maxHostBackedBytes", 0);
  const kernels: Record<string, KernelDefinition> = {};
  for (const [name, def] of Object.entries(readOptions(c.kernels, "config.kernels"))) {
    kernels[name] = checkKernelDefinition(name, def);
  }
  const devices = c.devices === undefined ? 1 : check.integer(c.devices, "config.devices", 1, 64);
  const faults = readArray(c.faults, "config.faults", MAX_FAULTS).map((f, i) =>
    checkFault(f, `config.faults[${i}]`, devices),
  );
  return {
    resolved: {
      devices,
      figures: figures as unknown as DeviceFigures,
      hostCosts: hostCosts as unknown as HostCosts,
      seed: c.seed === undefined ? 1 : check.integer(c.seed, "config.seed"),
      jitter,
      timeMode,
      paceScale,
      computeKernels,
      maxHostBackedBytes: maxHostBackedBytes as number,
    },
    kernels,
    faults,
  };
}

/** Checks a kernel definition; returns a frozen copy (the simulator keeps what it checked). */
export function checkKernelDefinition(name: string, def: unknown): KernelDefinition {
  if (name.length === 0) throw new NpuError("INVALID_PARAM", "a kernel name must not be empty");
  const d = readOptions(def, `kernel "${name}"`);
  unknownKeys(d, new Set(["compute", "cost", "dtypes"]), `kernel "${name}"`);
  if (d.compute !== undefined) check.func(d.compute, `kernel "${name}".compute`);
  if (d.cost !== undefined) check.func(d.cost, `kernel "${name}".cost`);
  if (d.dtypes !== undefined) {
    if (!Array.isArray(d.dtypes) || d.dtypes.length === 0) {
      throw new NpuTypeError(
        `kernel "${name}".dtypes must be a non-empty array of dtypes, got ${describe(d.dtypes)}`,
      );
    }
    d.dtypes = Object.freeze(
      d.dtypes.map((t: unknown, i: number) =>
        check.oneOf(t, Object.keys(DTYPES) as DType[], `kernel "${name}".dtypes[${i}]`),
      ),
    );
  }
  return Object.freeze(d) as KernelDefinition;
}

/**
 * Checks what a kernel's cost function returned: each stated field must be a finite number
 * >= 0. A NaN duration would never complete (its queue would hang) and a negative one would
 * end before it started, moving device time backwards.
 */
export function checkStatedCost(name: string, value: unknown): KernelCost {
  if (typeof value !== "object" || value === null) {
    throw new NpuError(
      "INVALID_PARAM",
      `kernel "${name}": its cost function returned ${describe(value)}, not { flops?, bytes?, durationNs? }`,
    );
  }
  const c = value as Record<string, unknown>;
  for (const key of ["flops", "bytes", "durationNs"] as const) {
    const v = c[key];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) {
      throw new NpuError(
        "INVALID_PARAM",
        `kernel "${name}": its cost function returned ${key}: ${describe(v)}; it must be a finite number >= 0`,
      );
    }
  }
  return c as KernelCost;
}

const FAULT_KINDS = ["kernel-fail", "kernel-hang", "allocation-fail", "device-lost"] as const;

/**
 * Checks a fault spec against the backend's device count; returns a frozen copy. A `kernel`
 * pattern is copied without its `g` and `y` flags: `test` on such a RegExp is stateful
 * (`lastIndex`), which would make the same program hit different kernels run to run.
 */
export function checkFault(value: unknown, what: string, devices: number): FaultSpec {
  if (value === undefined) throw new NpuTypeError(`${what} must be an object, got undefined`);
  const f = readOptions(value, what);
  const kind = check.oneOf(f.kind, FAULT_KINDS, `${what}.kind`);
  const deviceIndex = (v: unknown) => check.integer(v, `${what}.device`, 0, devices - 1);
  if (f.device !== undefined) deviceIndex(f.device);
  if (kind === "device-lost") {
    unknownKeys(f, new Set(["kind", "device", "atNs"]), what);
    if (f.atNs !== undefined) check.integer(f.atNs, `${what}.atNs`, 0);
    return Object.freeze(f) as unknown as FaultSpec;
  }
  if (kind === "allocation-fail") {
    unknownKeys(f, new Set(["kind", "device", "nth"]), what);
    if (f.nth !== undefined) check.integer(f.nth, `${what}.nth`, 1);
    return Object.freeze(f) as unknown as FaultSpec;
  }
  unknownKeys(f, new Set(["kind", "device", "kernel", "nth", "probability"]), what);
  if (f.kernel !== undefined && typeof f.kernel !== "string") {
    if (!(f.kernel instanceof RegExp)) {
      throw new NpuTypeError(`${what}.kernel must be a string or a RegExp, got ${describe(f.kernel)}`);
    }
    try {
      f.kernel = new RegExp(f.kernel.source, f.kernel.flags.replace(/[gy]/g, ""));
    } catch {
      throw new NpuTypeError(`${what}.kernel could not be read as a RegExp`);
    }
  }
  if (f.nth !== undefined && f.probability !== undefined) {
    throw new NpuError("INVALID_PARAM", `${what}: give either nth or probability, not both`);
  }
  if (f.nth !== undefined) check.integer(f.nth, `${what}.nth`, 1);
  if (f.probability !== undefined) {
    const p = check.number(f.probability, `${what}.probability`);
    if (p < 0 || p > 1)
      throw new NpuError("INVALID_PARAM", `${what}.probability must be in [0, 1], got ${p}`);
  }
  return Object.freeze(f) as unknown as FaultSpec;
}
