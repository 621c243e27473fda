// Random workloads over npurt's public API with a small reference model that checks, after every
// step, the promises of issue 10: every op and callback completes exactly once or is reported
// skipped / failed / aborted; order within a stream; no wait passes before its record completed;
// errors surface at the synchronize that covers them; memory accounting returns to baseline; a
// destroyed handle is never accepted; nothing hangs (a virtual-time bound).
//
// Shared by the model-based tests (packages/streams/test/model-based.test.ts, through fast-check)
// and the fault soak (scripts/soak.mjs, on the built packages). The packages are passed in, so
// the same code runs against sources in tests and against dist/ in the soak.

/** The operations a program is made of; indices pick among live objects, modulo their count. */
export const OPS = [
  "createStream",
  "destroyStream",
  "createEvent",
  "destroyEvent",
  "launch",
  "copy",
  "record",
  "wait",
  "hostCallback",
  "synchronize",
  "abort",
  "allocate",
  "free",
  "deviceLost",
  "useDestroyed",
  "close",
  "advance",
];

/** A seeded generator (mulberry32): the same seed gives the same program. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weights of the ops in random programs (faults are rare, ordinary work common). */
export const WEIGHTS = {
  createStream: 6,
  destroyStream: 2,
  createEvent: 3,
  destroyEvent: 1,
  launch: 14,
  copy: 4,
  record: 6,
  wait: 5,
  hostCallback: 6,
  synchronize: 5,
  abort: 1,
  allocate: 3,
  free: 2,
  deviceLost: 0.15,
  useDestroyed: 1,
  close: 0.1,
  advance: 4,
};

/** One random command, drawn with `rand` (a function returning [0, 1)). */
export function randomCommand(rand) {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let r = rand() * total;
  let op = "advance";
  for (const [name, w] of Object.entries(WEIGHTS)) {
    if (r < w) {
      op = name;
      break;
    }
    r -= w;
  }
  return {
    op,
    a: Math.floor(rand() * 1024),
    b: Math.floor(rand() * 1024),
    c: Math.floor(rand() * 1024),
  };
}

/** A random program of `length` commands from `seed`. */
export function randomProgram(seed, length) {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < length; i++) out.push(randomCommand(rand));
  return out;
}

const TERMINAL = new Set(["done", "failed", "aborted"]);

/**
 * A device, a manager and the reference model of what was issued on them.
 *
 * @param pkgs - `{ core, testing, deviceSim, streams, callbacks }`: the packages to drive.
 * @param config - `{ backend: 'sim' | 'mock', profile, executor: 'fifo' | 'scheduler', seed, log? }`
 *   (`log`, a function, hears how each synchronize settled: for replaying a failing seed).
 */
export class Harness {
  constructor(pkgs, config) {
    this.pkgs = pkgs;
    this.config = config;
    const { core, testing, deviceSim, streams, callbacks } = pkgs;
    if (config.backend === "sim") {
      this.npu = deviceSim.simulatedNpu({
        preset: "tiny",
        seed: config.seed >>> 0,
        devices: 2,
        computeKernels: false,
        kernels: { work: {}, bad: {}, stuck: {} },
      });
      this.backend = this.npu;
    } else {
      this.mock = new testing.MockDeviceBackend({ devices: 2 });
      this.backend = this.mock;
    }
    this.device = core.createDevice(this.backend);
    const executor =
      config.executor === "scheduler" ? new callbacks.CallbackScheduler({ concurrency: 4 }) : undefined;
    this.manager = new streams.StreamManager(this.device, {
      profile: config.profile,
      ...(executor === undefined ? {} : { executor }),
    });
    this.baseline = this.device.memoryInfo();
    /** @type {string[]} */
    this.violations = [];
    this.streams = []; // { handle, device, ops: [], destroyed }
    this.events = []; // { handle, destroyed, lastRecord, pendingFuture: [] }
    this.buffers = []; // { buffer, users: [] }
    this.destroyedStreams = [];
    this.destroyedEvents = [];
    this.callbacks = []; // { op, runs }
    /** Synchronizes not settled yet, with the streams they cover. */
    this.pendingSyncs = new Set();
    /** Failed ops a covering synchronize resolved OK over, while another pending one covered them. */
    this.claimed = new Set();
    this.syncs = 0;
    this.opsRun = 0;
    this.faults = 0;
    this.lostDevice = false;
    this.closed = false;
    /** Early waits explained by issue 10 defect 1 (see `record`), counted apart from violations. */
    this.knownDefect1 = 0;
    /** Completion timeline, in issue order: the determinism check compares it byte for byte. */
    this.issued = [];
  }

  /** A starting population, so that short programs already have work to interleave. */
  async prelude() {
    for (const [op, a, b] of [
      ["createStream", 0, 1],
      ["createStream", 1, 1],
      ["createStream", 0, 4],
      ["createEvent", 0, 0],
      ["createEvent", 1, 0],
      ["allocate", 0, 1],
      ["allocate", 1, 1],
    ]) {
      await this.step({ op, a, b, c: 3 });
    }
  }

  violation(text) {
    if (this.violations.length < 50) this.violations.push(text);
  }

  #pick(list, i) {
    const live = list.filter((x) => !x.destroyed);
    return live.length === 0 ? undefined : live[i % live.length];
  }

  /** Tracks an op handle: its status must go from pending to one terminal status, once. */
  #track(stream, op, info) {
    const entry = {
      op,
      info,
      seen: op.status,
      issuedAs: op.status,
      settledCount: 0,
      stream,
      index: stream?.ops.length ?? -1,
    };
    if (stream !== undefined) stream.ops.push(entry);
    this.issued.push(entry);
    this.opsRun++;
    op.finished.then(
      () => {
        entry.settledCount++;
      },
      () => {
        entry.settledCount++;
      },
    );
    return entry;
  }

  /** Runs one command; refusals with a coded error are fine, anything else is a violation. */
  async step(cmd) {
    try {
      await this.#run(cmd);
    } catch (error) {
      if (!this.#coded(error)) this.violation(`${cmd.op}: uncoded ${error?.stack ?? String(error)}`);
    }
    this.checkStep();
  }

  /** A coded refusal: an `NpuError`, or core's `NpuTypeError` for misuse (a plain `TypeError` is a bug here). */
  #coded(error) {
    return this.pkgs.core.NpuError.isInstance(error) || error instanceof this.pkgs.core.NpuTypeError;
  }

  async #run(cmd) {
    const m = this.manager;
    const { a, b, c } = cmd;
    if (this.closed && cmd.op !== "advance") return;
    switch (cmd.op) {
      case "createStream": {
        if (this.streams.filter((s) => !s.destroyed).length >= 12) return;
        const device = a % 2;
        const handle = m.create({ device, ...(b % 4 === 0 ? { failureMode: "stop" } : {}) });
        this.streams.push({ handle, device, ops: [], destroyed: false });
        return;
      }
      case "destroyStream": {
        const s = this.#pick(this.streams, a);
        if (s === undefined) return;
        s.destroyed = true;
        this.destroyedStreams.push(s);
        // A plain destroy lets the work drain; a hung kernel, or a wait whose record may never
        // come, would then hold the stream forever with no handle left to abort it (as on real
        // hardware): such a stream is force-destroyed.
        const hung = s.ops.some(
          (e) => (e.info.mode === "stuck" || e.info.kind === "wait") && e.op.status === "pending",
        );
        s.handle.destroy({ force: hung || b % 2 === 0 }).catch((e) => this.#expectCoded("destroy", e));
        return;
      }
      case "createEvent": {
        if (this.events.filter((e) => !e.destroyed).length >= 8) return;
        const device = a % 2;
        this.events.push({
          handle: m.createEvent({ device }),
          device,
          destroyed: false,
          lastRecord: undefined,
          futureWaits: [],
        });
        return;
      }
      case "destroyEvent": {
        const e = this.#pick(this.events, a);
        if (e === undefined) return;
        e.destroyed = true;
        this.destroyedEvents.push(e);
        e.handle.destroy();
        return;
      }
      case "launch": {
        const s = this.#pick(this.streams, a);
        if (s === undefined) return;
        const mode = b % 16 === 0 ? "bad" : b % 29 === 1 ? "stuck" : "work";
        if (mode !== "work") this.#fault(mode, s.device);
        const op = s.handle.launch({ name: mode, cost: { durationNs: 1_000 + (c % 50) * 1_000 } });
        this.#track(s, op, { kind: "kernel", mode });
        return;
      }
      case "copy": {
        const s = this.#pick(this.streams, a);
        const buf = this.buffers.filter((x) => x.device === s?.device)[b % Math.max(1, this.buffers.length)];
        if (s === undefined || buf === undefined) return;
        const op =
          c % 2 === 0
            ? s.handle.copy({ src: new Uint8Array(buf.bytes), dst: buf.buffer })
            : s.handle.fill({ dst: buf.buffer, value: c % 256 });
        buf.users.push(op);
        this.#track(s, op, { kind: "copy" });
        return;
      }
      case "record": {
        const s = this.#pick(this.streams, a);
        const e = this.#pick(
          this.events.filter((x) => x.device === s?.device),
          b,
        );
        if (s === undefined || e === undefined) return;
        // Issue 10 defect 1 (in the event timeline, being fixed there): a record issued while a
        // future wait is pending shares the counter with a pending record of another stream, so
        // a wait that captured the earlier record can pass when this one completes.
        const sharesCounter =
          e.futureWaits.length > 0 &&
          e.lastRecord !== undefined &&
          e.lastRecord.op.status === "pending" &&
          e.lastRecord.stream !== s;
        const op = s.handle.record(e.handle);
        if (sharesCounter) e.defect1 = true;
        const entry = this.#track(s, op, { kind: "record", event: e.handle.id, eventModel: e });
        for (const w of e.futureWaits) w.info.record ??= entry;
        e.futureWaits = [];
        e.lastRecord = entry;
        return;
      }
      case "wait": {
        const s = this.#pick(this.streams, a);
        const e = this.#pick(
          this.events.filter((x) => x.device === s?.device),
          b,
        );
        if (s === undefined || e === undefined) return;
        // Future waits without a record to come would only hang until the final abort: keep some.
        const future = c % 3 === 0;
        const op = s.handle.waitEvent(e.handle, future ? { future: true } : undefined);
        const entry = this.#track(s, op, {
          kind: "wait",
          event: e.handle.id,
          future,
          record: future ? undefined : e.lastRecord,
        });
        if (future) e.futureWaits.push(entry);
        return;
      }
      case "hostCallback": {
        const s = this.#pick(this.streams, a);
        if (s === undefined) return;
        const kind = ["sync", "throw", "async", "async-throw"][b % 4];
        const record = { runs: 0, op: undefined };
        const fn =
          kind === "sync"
            ? () => {
                record.runs++;
              }
            : kind === "throw"
              ? () => {
                  record.runs++;
                  throw new Error("callback failed on purpose");
                }
              : kind === "async"
                ? async () => {
                    record.runs++;
                    await Promise.resolve();
                  }
                : async () => {
                    record.runs++;
                    await Promise.resolve();
                    throw Object.create(null); // unprintable
                  };
        const op = s.handle.launchHostCallback(fn, { blocking: c % 3 !== 0 });
        record.op = op;
        this.callbacks.push(record);
        this.#track(s, op, { kind: "callback", callback: record });
        return;
      }
      case "synchronize": {
        const whole = a % 4 === 0;
        const s = whole ? undefined : this.#pick(this.streams, a);
        if (!whole && s === undefined) return;
        const timeoutMs = b % 3 === 0 ? undefined : 1 + (b % 5);
        const covered = whole
          ? this.streams.filter((x) => !x.destroyed).map((x) => [x, x.ops.length])
          : [[s, s.ops.length]];
        // An untimed synchronize may wait for a hung kernel until the final abort: fine, it
        // must settle then.
        const p = whole
          ? m.synchronize(timeoutMs === undefined ? {} : { timeoutMs })
          : s.handle.synchronize(timeoutMs === undefined ? {} : { timeoutMs });
        this.syncs++;
        const sync = { settled: false, streams: new Set(covered.map(([x]) => x)) };
        this.pendingSyncs.add(sync);
        const label = `${whole ? "device" : `stream ${s.handle.id}`} sync #${this.syncs} (timeout ${timeoutMs})`;
        p.then(
          () => {
            this.config.log?.(`${label}: ok`);
            sync.settled = true;
            this.pendingSyncs.delete(sync);
            for (const [stream, n] of covered) {
              for (const entry of stream.ops.slice(0, n)) {
                if (entry.op.status !== "failed" || entry.reported) continue;
                if (entry.op.error?.code === "TASK_TIMEOUT") continue;
                // Another synchronize still pending that covers the stream may have taken the
                // failure (a device synchronize takes it from a stream that drained first): it
                // must report it when it settles. Otherwise this one should have.
                const claimant = [...this.pendingSyncs].some((o) => o.streams.has(stream));
                if (claimant) this.claimed.add(entry);
                else {
                  this.violation(
                    `lost failure: a synchronize covering ${entry.info.kind} #${entry.index} of stream ${stream.handle.id} (${entry.op.error?.code}) resolved OK`,
                  );
                  entry.reported = true;
                }
              }
            }
          },
          (error) => {
            this.config.log?.(`${label}: ${error?.code}`);
            sync.settled = true;
            this.pendingSyncs.delete(sync);
            this.#expectCoded("synchronize", error);
            if (error?.code === "STREAM_SYNC_TIMEOUT") return;
            // A rejection reports the failures its streams had so far (a failure may reach a
            // synchronize that settles after it even if issued before the op: reported, not lost).
            for (const [stream] of covered) {
              for (const entry of stream.ops) if (entry.op.status === "failed") entry.reported = true;
            }
          },
        );
        return;
      }
      case "abort": {
        const s = this.#pick(this.streams, a);
        if (s === undefined) return;
        s.handle.abort();
        return;
      }
      case "allocate": {
        if (this.buffers.length >= 6) return;
        const device = a % 2;
        if (b % 11 === 0) this.#fault("allocation", device);
        const bytes = 64 + (c % 16) * 64;
        const buffer = m.allocate(bytes, { device });
        this.buffers.push({ buffer, bytes, device, users: [] });
        return;
      }
      case "free": {
        // Only buffers no pending op uses: a use after free is its own (tested) story.
        const free = this.buffers.filter((x) => x.users.every((op) => TERMINAL.has(op.status)));
        const buf = free[a % Math.max(1, free.length)];
        if (buf === undefined) return;
        this.buffers.splice(this.buffers.indexOf(buf), 1);
        m.release(buf.buffer);
        return;
      }
      case "deviceLost": {
        if (this.npu === undefined || this.lostDevice) return;
        this.lostDevice = true;
        this.faults++;
        this.npu.injectFault({ kind: "device-lost", device: 0 });
        return;
      }
      case "useDestroyed": {
        const s = this.destroyedStreams[a % Math.max(1, this.destroyedStreams.length)];
        if (s !== undefined) this.#mustRefuse("a destroyed stream", () => s.handle.launch({ name: "work" }));
        const e = this.destroyedEvents[b % Math.max(1, this.destroyedEvents.length)];
        const live = this.#pick(this.streams, c);
        if (e !== undefined && live !== undefined)
          this.#mustRefuse("a destroyed event", () => live.handle.record(e.handle));
        return;
      }
      case "close":
        this.closed = true;
        try {
          m.close();
        } catch (error) {
          this.violation(`manager.close() threw: ${error?.code ?? ""} ${error?.message ?? String(error)}`);
        }
        return;
      case "advance":
        await this.turns(1 + (a % 4));
        return;
    }
  }

  #fault(kind, device) {
    this.faults++;
    if (this.npu !== undefined) {
      if (kind === "allocation") this.npu.injectFault({ kind: "allocation-fail", device });
      else this.npu.injectFault({ kind: kind === "bad" ? "kernel-fail" : "kernel-hang", kernel: kind });
    } else if (kind === "bad") this.mock.failNext("bad");
    else if (kind === "stuck") this.mock.hangNext("stuck");
    else this.faults--; // the mock has no allocation fault
  }

  #mustRefuse(what, fn) {
    try {
      fn();
    } catch (error) {
      if (error?.code === "INVALID_HANDLE" || error?.code === "DEVICE_CLOSED") return;
      if (this.#coded(error)) return; // refused, for another reason first (a stopped device)
      this.violation(`${what}: uncoded refusal ${String(error)}`);
      return;
    }
    this.violation(`${what} was accepted`);
  }

  #expectCoded(what, error) {
    if (!this.#coded(error)) this.violation(`${what} rejected with an uncoded ${String(error)}`);
  }

  /** Lets the backend and the host executor run (macrotask turns). */
  async turns(n) {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  }

  /** The checks made after every step. */
  checkStep() {
    for (const entry of this.issued) {
      const now = entry.op.status;
      if (TERMINAL.has(entry.seen) && now !== entry.seen) {
        this.violation(`${entry.info.kind} #${entry.index} changed from ${entry.seen} to ${now}`);
      }
      entry.seen = now;
      if (entry.settledCount > 1) this.violation(`${entry.info.kind} #${entry.index} settled twice`);
    }
    for (const cb of this.callbacks) {
      if (cb.runs > 1) this.violation(`a host callback ran ${cb.runs} times`);
    }
  }

  /**
   * Ends the program: lets work finish, aborts what hangs, and checks that every op and callback
   * was accounted for, the orders held, and memory went back to the baseline.
   * @returns the number of ops lost (never settled).
   */
  async finish() {
    const m = this.manager;
    await this.turns(30);
    if (!this.closed) {
      // Hung kernels and future waits with no record to come hold their streams: abort those.
      for (const s of this.streams) {
        if (!s.destroyed && s.ops.some((e) => e.op.status === "pending")) {
          try {
            s.handle.abort();
          } catch (error) {
            this.#expectCoded("final abort", error);
          }
        }
      }
      await m.synchronize({ timeoutMs: 1_000 }).then(
        () => this.config.log?.("final sync: ok"),
        (e) => {
          this.#expectCoded("final synchronize", e);
          this.config.log?.(`final sync: ${e?.code} ${e?.message}`);
          if (e?.code !== "STREAM_SYNC_TIMEOUT")
            for (const s of this.streams)
              for (const x of s.ops) if (x.op.status === "failed") x.reported = true;
        },
      );
    }
    await this.turns(30);
    this.checkStep();
    let lost = 0;
    // No hang: with the hung work aborted, every synchronize must have settled (in virtual time,
    // within the bounded turns above).
    if (!this.closed || this.pendingSyncs.size > 0) {
      for (const _ of this.pendingSyncs) {
        lost++;
        this.violation("a synchronize never settled");
      }
    }
    for (const entry of this.issued) {
      if (entry.op.status === "pending") {
        // A destroyed stream's op may still drain: the force destroy discards it, a plain one waits.
        lost++;
        this.violation(`${entry.info.kind} #${entry.index} of stream ${entry.op.stream} never settled`);
      } else if (entry.settledCount !== 1) {
        lost++;
        this.violation(`${entry.info.kind} #${entry.index}: finished settled ${entry.settledCount} times`);
      }
    }
    for (const cb of this.callbacks) {
      const st = cb.op.status;
      if (st === "done" && cb.runs !== 1) this.violation(`a callback reported done ran ${cb.runs} times`);
      if (st === "aborted" && cb.runs !== 0)
        this.violation(`a callback reported aborted ran ${cb.runs} times`);
      if (st === "failed" && cb.runs !== 1) this.violation(`a callback reported failed ran ${cb.runs} times`);
    }
    this.#checkOrders();
    for (const entry of this.claimed) {
      if (!entry.reported) {
        this.violation(
          `lost failure: ${entry.info.kind} #${entry.index} of stream ${entry.op.stream} (${entry.op.error?.code}) was never reported by any synchronize`,
        );
      }
    }
    // Memory: free what is left; the device's accounting must be back to where it started.
    for (const buf of this.buffers) {
      try {
        m.release(buf.buffer);
      } catch (error) {
        this.#expectCoded("final release", error);
      }
    }
    this.buffers = [];
    if (!this.device.closed) {
      const info = this.device.memoryInfo();
      if (info.allocations !== this.baseline.allocations || info.bytes !== this.baseline.bytes) {
        this.violation(
          `memory not back to baseline: ${info.allocations} allocation(s), ${info.bytes} bytes (was ${this.baseline.allocations}, ${this.baseline.bytes})`,
        );
      }
    }
    await this.#servesNewWork();
    if (!this.closed) {
      this.closed = true;
      try {
        m.close();
      } catch (error) {
        this.violation(`manager.close() threw: ${error?.code ?? ""} ${error?.message ?? String(error)}`);
      }
    }
    return lost;
  }

  /** Order within a stream, and no wait passing before its record. */
  #checkOrders() {
    for (const s of this.streams) {
      let prevEnd = -1;
      for (const entry of s.ops) {
        const op = entry.op;
        if (op.status !== "done" || entry.info.kind === "callback") continue;
        if (op.startNs === undefined || op.endNs === undefined) continue;
        if (entry.info.kind === "kernel" || entry.info.kind === "copy") {
          if (op.startNs < prevEnd) {
            this.violation(
              `stream ${op.stream}: ${entry.info.kind} #${entry.index} started at ${op.startNs} before the op ahead of it ended (${prevEnd})`,
            );
          }
          prevEnd = op.endNs;
        }
        // A wait already satisfied when issued is stamped with the host's time of the call, which
        // on the simulator can lie behind the device time its record completed at (the host saw
        // the completion without its clock moving there): a known issue in the event timeline,
        // pinned by an `it.fails` test; only waits that took a device op are checked here.
        if (entry.info.kind === "wait" && entry.info.record !== undefined && entry.issuedAs === "pending") {
          const r = entry.info.record.op;
          if (r.status === "done" && r.endNs !== undefined && op.endNs < r.endNs) {
            if (entry.info.record.info.eventModel?.defect1 === true) {
              this.knownDefect1++;
              continue;
            }
            this.violation(
              `stream ${op.stream}: wait #${entry.index} passed at ${op.endNs}, before its record completed at ${r.endNs}`,
            );
          }
        }
      }
    }
  }

  /** After the program: a healthy device (1, never lost) still takes work and completes it. */
  async #servesNewWork() {
    if (this.closed) return;
    const m = this.manager;
    const pending = this.issued.filter((e) => e.op.status === "pending").length;
    if (pending > 0) return; // reported as lost already
    try {
      m.resetDevice(1);
      const s = m.create({ device: 1 });
      const op = s.launch({ name: "work", cost: { durationNs: 1_000 } });
      await s.synchronize({ timeoutMs: 1_000 });
      if (op.status !== "done") this.violation(`new work on healthy device 1 ended ${op.status}`);
      await s.destroy();
    } catch (error) {
      this.violation(
        `healthy device 1 refused new work: ${error?.code ?? String(error)} ${error?.message ?? ""}`,
      );
    }
  }

  /** The completion timeline, one line per op in issue order (for the determinism check). */
  timeline() {
    return this.issued
      .map(
        (e) =>
          `${e.op.stream} ${e.info.kind} ${e.op.status} ${e.op.startNs ?? "-"} ${e.op.endNs ?? "-"} ${e.op.error?.code ?? ""}`,
      )
      .join("\n");
  }
}

/**
 * Runs one random program of `length` commands from `seed` under `config`.
 * @returns `{ violations, lost, ops, faults, timeline }`.
 */
export async function runProgram(pkgs, config, seed, length) {
  const h = new Harness(pkgs, { ...config, seed });
  await h.prelude();
  for (const cmd of randomProgram(seed, length)) await h.step(cmd);
  const lost = await h.finish();
  return {
    violations: h.violations,
    lost,
    ops: h.opsRun,
    faults: h.faults,
    knownDefect1: h.knownDefect1,
    timeline: h.timeline(),
  };
}
