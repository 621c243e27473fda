// Bad-input fuzzing of every export of @npurt/core and @npurt/core/testing (issue 10). The
// entry points are enumerated: a new exported function or class fails the first test until it
// has call sites below, so nothing public escapes the fuzzing.

import { fc } from "@fast-check/vitest";
import * as core from "@npurt/core";
import * as testing from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { type CallSite, fuzzProperty, reportTable, sweep } from "./fuzz/bad-inputs.js";

const { createDevice, HandleTable, Instrumentation, NpuError, NpuTypeError, PriorityHeap, RingQueue } = core;
const { MockDeviceBackend, VirtualClock } = testing;

function device() {
  return createDevice(new MockDeviceBackend());
}

/** A fresh device with one live queue, buffer and counter (so each call starts from a clean slate). */
function rig() {
  const d = device();
  return { d, q: d.createQueue(), b: d.allocate(64), c: d.createCounter() };
}

const OPTIONS = ["null prototype", "forged handle", "label:plain object", "detached buffer"] as const;
const ANY = "any" as const;
/** Unknown timer ids are ignored by contract, whatever number they are. */
const NUMBERS = ["NaN", "±Infinity", "negative", "fractional", "huge number"] as const;
const noop = () => {};

/** Call sites by export name. Each `valid` list is a call that succeeds. */
const SITES: Record<string, readonly CallSite[]> = {
  createDevice: [
    {
      name: "createDevice",
      valid: [undefined, {}],
      call: ([backend, options]) =>
        createDevice((backend === undefined ? new MockDeviceBackend() : backend) as never, options as never),
      accepts: { 1: OPTIONS },
    },
  ],
  Device: [
    {
      name: "Device.createQueue",
      valid: [{}],
      call: ([o]) => device().createQueue(o as never),
      accepts: { 0: OPTIONS },
    },
    {
      name: "Device.allocate",
      valid: [64, {}],
      call: ([n, o]) => device().allocate(n as never, o as never),
      accepts: { 1: OPTIONS },
    },
    {
      name: "Device.createCounter",
      valid: [{}],
      call: ([o]) => device().createCounter(o as never),
      accepts: { 0: OPTIONS },
    },
    { name: "Device.info", valid: [0], call: ([i]) => device().info(i as never) },
    { name: "Device.memoryInfo", valid: [0], call: ([i]) => device().memoryInfo(i as never) },
    {
      name: "Device.destroyQueue",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        r.d.destroyQueue((h === "q" ? r.q : h) as never);
      },
    },
    {
      name: "Device.pending",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        r.d.pending((h === "q" ? r.q : h) as never);
      },
    },
    {
      name: "Device.queueId",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        r.d.queueId((h === "q" ? r.q : h) as never);
      },
    },
    {
      name: "Device.abortQueue",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        r.d.abortQueue((h === "q" ? r.q : h) as never);
      },
    },
    {
      name: "Device.drain",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        return r.d.drain((h === "q" ? r.q : h) as never);
      },
    },
    {
      name: "Device.isLive",
      valid: ["q"],
      call: ([h]) => {
        const r = rig();
        r.d.isLive((h === "q" ? r.q : h) as never);
      },
      accepts: { 0: ANY },
    },
    {
      name: "Device.release",
      valid: ["b"],
      call: ([h]) => {
        const r = rig();
        r.d.release((h === "b" ? r.b : h) as never);
      },
    },
    {
      name: "Device.destroyCounter",
      valid: ["c"],
      call: ([h]) => {
        const r = rig();
        r.d.destroyCounter((h === "c" ? r.c : h) as never);
      },
    },
    {
      name: "Device.counterValue",
      valid: ["c"],
      call: ([h]) => {
        const r = rig();
        r.d.counterValue((h === "c" ? r.c : h) as never);
      },
    },
    {
      name: "Device.signalCounter",
      valid: ["c", 1],
      call: ([h, v]) => {
        const r = rig();
        r.d.signalCounter((h === "c" ? r.c : h) as never, v as never);
      },
    },
    { name: "Device.onClose", valid: [noop], call: ([f]) => device().onClose(f as never) },
    {
      name: "Device.enqueue (op)",
      valid: [Symbol.for("a valid fill")],
      call: ([spec]) => {
        const r = rig();
        // The valid marker becomes a fill of the rig's buffer; anything else goes in as it is.
        const op = spec === Symbol.for("a valid fill") ? { kind: "fill", dst: r.b, value: 1 } : spec;
        r.d.enqueue(r.q, op as never);
        if (r.d.pending(r.q) !== 1) throw new Error("an accepted op must be pending");
      },
    },
    ...(["kernel", "copy-h2d", "copy-d2h", "fill", "signal"] as const).map(
      (kind): CallSite => ({
        name: `Device.enqueue (${kind} fields)`,
        valid:
          kind === "kernel"
            ? ["k", 1, "b", "b", {}, {}]
            : kind === "fill"
              ? ["b", 1]
              : kind === "signal"
                ? ["c", 1]
                : ["h", "b", 8],
        call: (args) => {
          const r = rig();
          const v = (x: unknown) => (x === "b" ? r.b : x === "c" ? r.c : x === "h" ? new Uint8Array(8) : x);
          const a = args.map(v);
          const spec =
            kind === "kernel"
              ? {
                  kind,
                  name: a[0],
                  blockDim: a[1],
                  inputs: [a[2]],
                  outputs: [a[3]],
                  params: a[4],
                  cost: a[5],
                }
              : kind === "fill"
                ? { kind, dst: a[0], value: a[1] }
                : kind === "signal"
                  ? { kind, counter: a[0], value: a[1] }
                  : kind === "copy-h2d"
                    ? { kind: "copy", src: a[0], dst: a[1], bytes: a[2] }
                    : { kind: "copy", src: a[1], dst: a[0], bytes: a[2] };
          r.d.enqueue(r.q, spec as never);
        },
        accepts:
          kind === "kernel"
            ? {
                4: OPTIONS.filter((k) => k !== "detached buffer"),
                5: OPTIONS.filter((k) => k !== "detached buffer"),
              }
            : {},
      }),
    ),
  ],
  toNpuError: [
    {
      name: "toNpuError (value)",
      valid: [new Error("x"), "CALLBACK_FAILED"],
      call: ([v, c]) => core.toNpuError(v, c as never),
      accepts: { 0: ANY },
    },
    {
      name: "toNpuError (code, message)",
      valid: ["CALLBACK_FAILED", "m"],
      call: ([c, m]) => core.toNpuError(new Error("x"), c as never, m as never),
    },
  ],
  isNpuErrorCode: [
    {
      name: "isNpuErrorCode",
      valid: ["INVALID_PARAM"],
      call: ([v]) => core.isNpuErrorCode(v),
      accepts: { 0: ANY },
    },
  ],
  describe: [{ name: "describe", valid: [1], call: ([v]) => core.describe(v), accepts: { 0: ANY } }],
  quote: [
    {
      name: "quote",
      valid: ["t", 10, true],
      call: ([t, m, q]) => core.quote(t, m as never, q as never),
      accepts: { 0: ANY, 1: ANY, 2: ANY },
    },
  ],
  errorMessage: [
    {
      name: "errorMessage",
      valid: [new Error("x"), 10],
      call: ([v, m]) => core.errorMessage(v, m as never),
      accepts: { 0: ANY, 1: ANY },
    },
  ],
  NpuError: [
    {
      name: "new NpuError",
      valid: ["INVALID_PARAM", "m", {}],
      call: ([c, m, o]) => new NpuError(c as never, m as never, o as never),
      accepts: { 2: OPTIONS },
    },
    {
      name: "NpuError.isInstance",
      valid: [new Error("x"), "INVALID_PARAM"],
      call: ([v, c]) => NpuError.isInstance(v, c as never),
      accepts: { 0: ANY, 1: ANY },
    },
  ],
  NpuTypeError: [
    {
      name: "new NpuTypeError",
      valid: ["m", {}],
      call: ([m, d]) => new NpuTypeError(m as never, d as never),
      // `details` is stored, never read: any non-array object is fine.
      accepts: { 1: [...OPTIONS, "throwing getter", "hostile proxy", "revoked proxy"] },
    },
  ],
  check: [
    // `what` (the name in messages) is read only to report a bad value: any label passes.
    {
      name: "check.number",
      valid: [1, "x"],
      call: ([v, w]) => core.check.number(v, w as never),
      accepts: { 0: ["negative", "fractional", "huge number"], 1: ANY },
    },
    {
      name: "check.integer",
      valid: [1, "x", 0, 5],
      call: ([v, w, a, b]) => core.check.integer(v, w as never, a as never, b as never),
      accepts: {
        1: ANY,
        2: ["±Infinity", "label:-1", "fractional"],
        3: ["label:+Infinity", "huge number", "fractional"],
      },
    },
    {
      name: "check.func",
      valid: [noop, "x"],
      call: ([v, w]) => core.check.func(v, w as never),
      accepts: { 1: ANY },
    },
    {
      name: "check.string",
      valid: ["s", "x"],
      call: ([v, w]) => core.check.string(v, w as never),
      accepts: { 1: ANY },
    },
    {
      name: "check.options",
      valid: [{}, "x"],
      call: ([v, w]) => core.check.options(v as never, w as never),
      accepts: { 0: [...OPTIONS, "throwing getter", "hostile proxy", "revoked proxy"], 1: ANY },
    },
    {
      name: "check.oneOf",
      valid: ["a", ["a"], "x"],
      call: ([v, l, w]) => core.check.oneOf(v, l as never, w as never),
      accepts: { 2: ANY },
    },
  ],
  wallClock: [
    {
      name: "wallClock().setTimer",
      valid: [1e12, noop],
      call: ([d, f]) => {
        const c = core.wallClock();
        c.clearTimer(c.setTimer(d as never, f as never));
      },
      accepts: { 0: ["±Infinity", "negative", "fractional", "huge number"] },
    },
    {
      name: "wallClock().clearTimer",
      valid: [1],
      call: ([id]) => core.wallClock().clearTimer(id as never),
      accepts: { 0: NUMBERS },
    },
  ],
  scheduleMacrotask: [
    { name: "scheduleMacrotask", valid: [noop], call: ([f]) => core.scheduleMacrotask(f as never) },
  ],
  Instrumentation: [
    { name: "new Instrumentation", valid: [noop], call: ([f]) => new Instrumentation(f as never) },
    {
      name: "Instrumentation.subscribe",
      valid: [noop],
      call: ([f]) => new Instrumentation().subscribe(f as never)(),
    },
    {
      name: "Instrumentation.emit",
      valid: [{ type: "stream.destroyed", time: 0, stream: 1 }],
      call: ([e]) => {
        const bus = new Instrumentation();
        bus.subscribe(noop);
        bus.emit(e as never);
      },
    },
  ],
  PriorityHeap: [
    { name: "new PriorityHeap", valid: [8], call: ([n]) => new PriorityHeap(n as never) },
    {
      name: "PriorityHeap.push",
      valid: ["item", 1],
      call: ([i, p]) => new PriorityHeap().push(i, p as never),
      accepts: { 0: ANY, 1: ["±Infinity", "negative", "fractional", "huge number"] },
    },
  ],
  RingQueue: [
    { name: "new RingQueue", valid: [8], call: ([n]) => new RingQueue(n as never) },
    { name: "RingQueue.push", valid: [1], call: ([i]) => new RingQueue().push(i), accepts: { 0: ANY } },
    { name: "RingQueue.at", valid: [0], call: ([i]) => new RingQueue().at(i as never), accepts: { 0: ANY } },
  ],
  HandleTable: [
    {
      name: "new HandleTable",
      valid: [{}, "thing"],
      call: ([o, k]) => new HandleTable(o as never, k as never),
      // The owner is an identity only: any object will do.
      accepts: {
        0: [
          ...OPTIONS,
          "sparse array",
          "empty array",
          "huge array",
          "throwing getter",
          "hostile proxy",
          "revoked proxy",
        ],
      },
    },
    { name: "HandleTable.get", valid: [undefined], call: ([h]) => new HandleTable({}, "thing").get(h ?? {}) },
    {
      name: "HandleTable.remove",
      valid: [undefined],
      call: ([h]) => new HandleTable({}, "thing").remove(h ?? {}),
    },
    {
      name: "HandleTable.has",
      valid: [undefined],
      call: ([h]) => new HandleTable({}, "thing").has(h),
      accepts: { 0: ANY },
    },
    {
      name: "HandleTable.issue",
      valid: [1, () => ({})],
      call: ([v, m]) => new HandleTable({}, "thing").issue(v, m as never),
      accepts: { 0: ANY },
    },
  ],
  Handle: [
    {
      name: "Handle.ownerOf",
      valid: [undefined],
      call: ([v]) => core.Handle.ownerOf(v),
      accepts: { 0: ANY },
    },
  ],
  MockDeviceBackend: [
    ...(
      [
        "devices",
        "computeUnits",
        "memoryBytes",
        "maxQueues",
        "maxCounters",
        "opDurationNs",
        "kernels",
        "reuseAddresses",
      ] as const
    ).map(
      (key): CallSite => ({
        name: `new MockDeviceBackend({ ${key} })`,
        valid: [key === "kernels" ? {} : key === "reuseAddresses" ? true : 2],
        call: ([v]) => new MockDeviceBackend({ [key]: v }),
        accepts: key === "kernels" ? { 0: OPTIONS.filter((k) => k !== "forged handle") } : {},
      }),
    ),
    {
      name: "new MockDeviceBackend",
      valid: [{}],
      call: ([o]) => new MockDeviceBackend(o as never),
      accepts: { 0: OPTIONS },
    },
    {
      name: "MockDeviceBackend.failNext",
      valid: ["k", { nth: 1 }],
      call: ([n, o]) => new MockDeviceBackend().failNext(n as never, o as never),
      accepts: { 1: OPTIONS },
    },
    {
      name: "MockDeviceBackend.hangNext",
      valid: ["k", { nth: 1 }],
      call: ([n, o]) => new MockDeviceBackend().hangNext(n as never, o as never),
      accepts: { 1: OPTIONS },
    },
  ],
  VirtualClock: [
    {
      name: "new VirtualClock",
      valid: [{}],
      call: ([o]) => new VirtualClock(o as never),
      accepts: { 0: OPTIONS },
    },
    {
      name: "VirtualClock.setTimer",
      valid: [5, noop],
      call: ([d, f]) => new VirtualClock().setTimer(d as never, f as never),
      accepts: { 0: ["±Infinity", "negative", "fractional", "huge number"] },
    },
    {
      name: "VirtualClock.clearTimer",
      valid: [1],
      call: ([id]) => new VirtualClock().clearTimer(id as never),
      accepts: { 0: NUMBERS },
    },
    {
      name: "VirtualClock.advanceTo",
      valid: [5],
      call: ([t]) => new VirtualClock().advanceTo(t as never),
      accepts: { 0: ["label:-0", "fractional"] },
    },
  ],
};

/**
 * Exports that take no argument or are not called directly, with the reason. Everything else
 * exported as a function must have call sites above.
 */
const NOT_FUZZED: Record<string, string> = {
  QueueHandle:
    "constructed by Device only (@internal constructor); a forged one is fuzzed as 'forged handle'",
  CounterHandle: "constructed by Device only (@internal constructor)",
  DeviceBuffer: "constructed by Device only (@internal constructor)",
  describeDeviceBackendConformance: "registers vitest suites; exercised by the conformance tests",
};

describe("issue 10: bad-input fuzzing of every export", () => {
  it("every exported function and class has call sites (a new export must be added here)", () => {
    const exported = [...Object.entries(core), ...Object.entries(testing)]
      .filter(([, v]) => typeof v === "function")
      .map(([k]) => k);
    const missing = exported.filter((k) => !(k in SITES) && !(k in NOT_FUZZED));
    expect(missing).toEqual([]);
  });

  it("every bad value at every argument position gives a TypeError or a coded NpuError", async () => {
    const rows = await sweep(Object.values(SITES).flat());
    const failures = rows
      .filter((r) => !r.ok)
      .map((r) => `${r.site} arg ${r.position} ${r.label} → ${r.outcome}`);
    expect(failures).toEqual([]);
    expect(rows.length).toBeGreaterThan(1000);
    if (process.env.NPURT_FUZZ_TABLE) console.log(reportTable(rows));
  });

  it("random combinations of bad arguments (fast-check, shrunk on failure)", async () => {
    await fc.assert(fuzzProperty(Object.values(SITES).flat()), { numRuns: 300, seed: 10 });
  });

  it("calls after close() that would start work give DEVICE_CLOSED", () => {
    const r = rig();
    r.d.close();
    const closed = [
      () => r.d.createQueue(),
      () => r.d.allocate(8),
      () => r.d.createCounter(),
      () => r.d.enqueue(r.q, { kind: "fill", dst: r.b, value: 1 }),
      () => r.d.signalCounter(r.c, 1),
    ];
    for (const call of closed)
      expect(() => call()).toThrow(expect.objectContaining({ code: "DEVICE_CLOSED" }));
  });
});
