/**
 * Bad-input fuzzing for npurt's public call sites (issue 10): generated bad values by class, a
 * classifier of what a call did with one, and a fast-check driver that feeds every argument
 * position of a call site with every class and asserts the result is a `TypeError` or a coded
 * `NpuError` — never an uncoded error, a hang, or silent acceptance.
 *
 * Not published: it lives with core's tests and is written package-agnostic (no core internals),
 * so streams', callbacks' and device-sim's tests can import it by path, and moving it into
 * `@npurt/core/testing` later (if backend authors ask for it) is a file move and one export.
 * Keeping it out of the published API avoids making fast-check a peer dependency of the kit.
 */
import { fc } from "@fast-check/vitest";

/** The classes of bad input the issue lists; each generated value belongs to one. */
export type BadInputClass =
  | "wrong type"
  | "NaN"
  | "±Infinity"
  | "negative"
  | "fractional"
  | "huge number"
  | "sparse array"
  | "empty array"
  | "huge array"
  | "null prototype"
  | "throwing getter"
  | "hostile proxy"
  | "revoked proxy"
  | "detached buffer"
  | "forged handle";

/** One generated bad value: its class and a thunk building a fresh copy (Proxies are stateful). */
export interface BadValue {
  readonly kind: BadInputClass;
  readonly label: string;
  readonly make: () => unknown;
}

function thrower(): never {
  throw Object.create(null); // the worst a getter can throw: a value whose String() throws
}

/** Property names that options bags and specs across npurt use: a throwing getter on each. */
const COMMON_KEYS = [
  "kind",
  "name",
  "device",
  "priority",
  "onComplete",
  "tag",
  "buffer",
  "offset",
  "bytes",
  "value",
  "counter",
  "src",
  "dst",
  "inputs",
  "outputs",
  "params",
  "cost",
  "blockDim",
  "instrumentation",
  "nth",
  "code",
  "devices",
  "computeUnits",
  "memoryBytes",
  "maxQueues",
  "maxCounters",
  "opDurationNs",
  "kernels",
  "reuseAddresses",
  "onTimerSet",
  "cause",
  "details",
  "timeoutMs",
  "label",
  "clock",
  "signal",
  "mode",
  "now",
  "setTimer",
  "clearTimer",
];

function withThrowingGetters(): object {
  const o: Record<string, unknown> = {};
  for (const k of COMMON_KEYS) Object.defineProperty(o, k, { get: thrower, enumerable: true });
  return o;
}

function hostileProxy(): object {
  const handler: ProxyHandler<object> = {};
  for (const trap of [
    "get",
    "has",
    "ownKeys",
    "getPrototypeOf",
    "getOwnPropertyDescriptor",
    "set",
    "defineProperty",
    "apply",
    "construct",
    "deleteProperty",
    "isExtensible",
    "preventExtensions",
    "setPrototypeOf",
  ] as const) {
    (handler as Record<string, unknown>)[trap] = thrower;
  }
  return new Proxy({}, handler);
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function detached(): Uint8Array {
  const view = new Uint8Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

/** Every bad value, by class. A value a site legitimately accepts is declared at that site. */
export const BAD_VALUES: readonly BadValue[] = [
  { kind: "wrong type", label: "string", make: () => "5" },
  { kind: "wrong type", label: "boolean", make: () => true },
  { kind: "wrong type", label: "symbol", make: () => Symbol("bad") },
  { kind: "wrong type", label: "bigint", make: () => 5n },
  { kind: "wrong type", label: "null", make: () => null },
  { kind: "wrong type", label: "function", make: () => () => 1 },
  { kind: "wrong type", label: "number", make: () => 3 },
  { kind: "wrong type", label: "plain object", make: () => ({}) },
  { kind: "wrong type", label: "text with newlines", make: () => "a\nforged line\n".repeat(50) },
  { kind: "NaN", label: "NaN", make: () => Number.NaN },
  { kind: "±Infinity", label: "+Infinity", make: () => Number.POSITIVE_INFINITY },
  { kind: "±Infinity", label: "-Infinity", make: () => Number.NEGATIVE_INFINITY },
  { kind: "negative", label: "-1", make: () => -1 },
  { kind: "fractional", label: "0.5", make: () => 0.5 },
  { kind: "huge number", label: "2^53+2", make: () => 2 ** 53 + 2 },
  { kind: "huge number", label: "1.8e308", make: () => 1.79e308 },
  // biome-ignore lint/suspicious/noSparseArray: the class under test.
  { kind: "sparse array", label: "[1, , 1]", make: () => [1, , 1] },
  { kind: "empty array", label: "[]", make: () => [] },
  { kind: "huge array", label: "length 2^20 holes", make: () => new Array(2 ** 20) },
  { kind: "null prototype", label: "Object.create(null)", make: () => Object.create(null) },
  { kind: "throwing getter", label: "getters throw", make: withThrowingGetters },
  { kind: "hostile proxy", label: "every trap throws", make: hostileProxy },
  { kind: "revoked proxy", label: "revoked", make: revokedProxy },
  { kind: "detached buffer", label: "detached Uint8Array", make: detached },
  {
    kind: "forged handle",
    label: "look-alike handle",
    make: () => ({ kind: "queue", slot: 0, generation: 1, device: 0, bytes: 1 << 20, address: 64 }),
  },
];

/** fast-check arbitrary over {@link BAD_VALUES}. */
export const badValue: fc.Arbitrary<BadValue> = fc.constantFrom(...BAD_VALUES);

/** What a call did: `TypeError`, `NpuError <CODE>`, `returned`, `uncoded <text>`, or `hang`. */
export type Outcome = string;

const BRAND = Symbol.for("@npurt/core/NpuError");

function classify(error: unknown): Outcome {
  if (error instanceof TypeError) return "TypeError";
  if (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true) {
    return `NpuError ${String((error as { code?: unknown }).code)}`;
  }
  let text: string;
  try {
    text = String(error);
  } catch {
    text = "unprintable";
  }
  return `uncoded ${text.slice(0, 120)}`;
}

/** Macrotask turns a returned promise may take before it counts as a hang (no wall time). */
const HANG_TURNS = 50;

async function settleWithin<T>(promise: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
  let settled: { done: true; value: T } | undefined;
  let failure: { error: unknown } | undefined;
  promise.then(
    (value) => {
      settled = { done: true, value };
    },
    (error) => {
      failure = { error };
    },
  );
  for (let i = 0; i < HANG_TURNS && settled === undefined && failure === undefined; i++) {
    await new Promise<void>((r) => setImmediate(r));
  }
  if (failure !== undefined) throw failure.error;
  return settled ?? { done: false };
}

/** Runs `call` and says what it did; a returned promise is awaited (bounded in macrotask turns). */
export async function outcomeOf(call: () => unknown): Promise<Outcome> {
  try {
    const result = call();
    let isPromise = false;
    try {
      isPromise = result instanceof Promise;
    } catch {
      // A hostile Proxy returned as it was given: not a promise.
    }
    if (isPromise) {
      const r = await settleWithin(result as Promise<unknown>);
      return r.done ? "returned" : "hang";
    }
    return "returned";
  } catch (error) {
    return classify(error);
  }
}

/** An outcome that keeps the promise: a `TypeError` or an `NpuError` with a code. */
export function isCoded(outcome: Outcome): boolean {
  return outcome === "TypeError" || (outcome.startsWith("NpuError ") && outcome !== "NpuError undefined");
}

/**
 * One public call site. `call(args)` makes the call on fresh objects (build them inside `call`, so
 * one run's damage cannot leak into the next); `valid` are arguments it accepts; each position is
 * replaced in turn with a bad value.
 */
export interface CallSite {
  /** `export` or `Class.prototype.method`, for reports. */
  readonly name: string;
  readonly valid: readonly unknown[];
  readonly call: (args: readonly unknown[]) => unknown;
  /**
   * A position (by index) that legitimately accepts some classes without an error (an options
   * bag accepts a plain object with no known key; a predicate accepts anything), so "returned" is
   * not silent acceptance there. `"any"`: the position is total (it must then return).
   */
  readonly accepts?: Readonly<Record<number, readonly (BadInputClass | `label:${string}`)[] | "any">>;
}

/** One row of the report: site, argument position, bad-input class, outcome. */
export interface FuzzRow {
  readonly site: string;
  readonly position: number;
  readonly kind: BadInputClass;
  readonly label: string;
  readonly outcome: Outcome;
  readonly ok: boolean;
}

/** Whether `site` declares that `bad` at `position` may be accepted (return normally). */
function acceptedAt(site: CallSite, position: number, bad: BadValue): boolean {
  const accepts = site.accepts?.[position];
  if (accepts === undefined) return false;
  return accepts === "any" || accepts.includes(bad.kind) || accepts.includes(`label:${bad.label}`);
}

/**
 * Whether `bad` is not bad at `position`: a "wrong type" value of the valid argument's own type
 * (a string where a string belongs) tests nothing about types, so it is skipped.
 */
export function irrelevant(site: CallSite, position: number, bad: BadValue): boolean {
  if (bad.kind !== "wrong type") return false;
  const valid = site.valid[position];
  const value = bad.make();
  if (typeof valid !== typeof value) return false;
  // Objects: only a plain object for a plain-object position.
  return typeof valid !== "object" || (valid !== null && value !== null && !Array.isArray(valid));
}

/** Judges one call: a coded error, or a return where the site declares the value acceptable. */
export async function probe(site: CallSite, position: number, bad: BadValue): Promise<FuzzRow> {
  const args = [...site.valid];
  args[position] = bad.make();
  const outcome = await outcomeOf(() => site.call(args));
  const ok =
    site.accepts?.[position] === "any"
      ? outcome === "returned"
      : isCoded(outcome) || (acceptedAt(site, position, bad) && outcome === "returned");
  return { site: site.name, position, kind: bad.kind, label: bad.label, outcome, ok };
}

/**
 * Every bad value at every position of every site: the exhaustive pass (a few hundred calls per
 * package), returning the rows for a report and failing rows for the assertion.
 */
export async function sweep(sites: readonly CallSite[]): Promise<FuzzRow[]> {
  const rows: FuzzRow[] = [];
  for (const site of sites) {
    for (let position = 0; position < site.valid.length; position++) {
      for (const bad of BAD_VALUES) {
        if (!irrelevant(site, position, bad)) rows.push(await probe(site, position, bad));
      }
    }
  }
  return rows;
}

/**
 * The random pass: fast-check picks a site, a position and a bad value for *several* positions at
 * once (two wrongs in one call must not cancel out), and shrinks a failure to the smallest call.
 */
export function fuzzProperty(sites: readonly CallSite[]): fc.IAsyncPropertyWithHooks<[number, BadValue[]]> {
  return fc.asyncProperty(
    fc.integer({ min: 0, max: sites.length - 1 }),
    fc.array(badValue, { minLength: 1, maxLength: 3 }),
    async (index, bads) => {
      const site = sites[index]!;
      if (site.valid.length === 0) return;
      const args = [...site.valid];
      // Distinct positions: one bad value per argument, the first ones of the call.
      bads = bads.slice(0, site.valid.length);
      const positions = bads.map((_, i) => i);
      if (bads.some((b, i) => irrelevant(site, positions[i]!, b))) return;
      bads.forEach((b, i) => {
        args[positions[i]!] = b.make();
      });
      const outcome = await outcomeOf(() => site.call(args));
      // A return is right only when every bad argument is one its position accepts.
      const accepted = bads.every((b, i) => acceptedAt(site, positions[i]!, b));
      if (!isCoded(outcome) && !(accepted && outcome === "returned")) {
        throw new Error(`${site.name}(${bads.map((b) => b.label).join(", ")}) → ${outcome}`);
      }
    },
  );
}

/**
 * A markdown matrix of the sweep: one row per call site, one column per bad-input class, each
 * cell the outcomes seen (`TypeError`, an error code, or `accepted` where the site documents that
 * the value is fine, such as an unknown key in an options bag).
 */
export function reportTable(rows: readonly FuzzRow[]): string {
  const kinds = [...new Set(BAD_VALUES.map((b) => b.kind))];
  const sites = [...new Set(rows.map((r) => r.site))];
  const cells = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = `${r.site}\u0000${r.kind}`;
    let set = cells.get(key);
    if (set === undefined) {
      set = new Set();
      cells.set(key, set);
    }
    set.add(r.outcome === "returned" ? "accepted" : r.outcome.replace(/^NpuError /, ""));
  }
  const lines = [`| function | ${kinds.join(" | ")} |`, `| --- |${kinds.map(() => " --- |").join("")}`];
  for (const site of sites) {
    const row = kinds.map((k) => [...(cells.get(`${site}\u0000${k}`) ?? [])].sort().join(", ") || "—");
    lines.push(`| \`${site}\` | ${row.join(" | ")} |`);
  }
  return lines.join("\n");
}
