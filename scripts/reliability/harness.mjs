// The harness of the random workloads: a device, a manager, and a small reference model that checks, after every
// step, the promises of issue 10: every op and callback completes exactly once or is reported
// skipped / failed / aborted; order within a stream; no wait passes before its record completed;
// errors surface at the synchronize that covers them; memory accounting and fragmentation return
// to the baseline; a
// destroyed handle is never accepted; nothing hangs (a virtual-time bound).
//
// Shared by the model-based tests (packages/streams/test/model-based.test.ts, through fast-check)
// and the fault soak (scripts/soak.mjs, on the built packages). The packages are passed in, so
// the same code runs against sources in tests and against dist/ in the soak.

import { runCommand, TERMINAL } from "./commands.mjs";

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
    /** Per device: the memory accounting before the program, to return to after it. */
    this.baseline = [0, 1].map((d) => this.device.memoryInfo(d));
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
    /** Whether a `close` command closed the manager (before the final synchronize). */
    this.closedByProgram = false;
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

  /** Records a broken promise (the first 50 are kept). */
  violation(text) {
    if (this.violations.length < 50) this.violations.push(text);
  }

  /** The `i`-th live object of `list` (modulo their count), or `undefined` when none is live. */
  pick(list, i) {
    const live = list.filter((x) => !x.destroyed);
    return live.length === 0 ? undefined : live[i % live.length];
  }

  /** Tracks an op handle: its status must go from pending to one terminal status, once. */
  track(stream, op, info) {
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
      await runCommand(this, cmd);
    } catch (error) {
      if (!this.coded(error)) this.violation(`${cmd.op}: uncoded ${error?.stack ?? String(error)}`);
    }
    this.checkStep();
  }

  /** A coded refusal: an `NpuError`, or core's `NpuTypeError` for misuse (a plain `TypeError` is a bug here). */
  coded(error) {
    return this.pkgs.core.NpuError.isInstance(error) || error instanceof this.pkgs.core.NpuTypeError;
  }

  /** Injects a fault (`'bad'` kernel, `'stuck'` kernel, `'allocation'`) on the backend. */
  fault(kind, device) {
    this.faults++;
    if (this.npu !== undefined) {
      if (kind === "allocation") this.npu.injectFault({ kind: "allocation-fail", device });
      else this.npu.injectFault({ kind: kind === "bad" ? "kernel-fail" : "kernel-hang", kernel: kind });
    } else if (kind === "bad") this.mock.failNext("bad");
    else if (kind === "stuck") this.mock.hangNext("stuck");
    else this.faults--; // the mock has no allocation fault
  }

  /** `fn` uses a destroyed handle: it must be refused with a coded error. */
  mustRefuse(what, fn) {
    try {
      fn();
    } catch (error) {
      if (error?.code === "INVALID_HANDLE" || error?.code === "DEVICE_CLOSED") return;
      if (this.coded(error)) return; // refused, for another reason first (a stopped device)
      this.violation(`${what}: uncoded refusal ${String(error)}`);
      return;
    }
    this.violation(`${what} was accepted`);
  }

  /** A rejection must be coded. */
  expectCoded(what, error) {
    if (!this.coded(error)) this.violation(`${what} rejected with an uncoded ${String(error)}`);
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
            this.expectCoded("final abort", error);
          }
        }
      }
      await m.synchronize({ timeoutMs: 1_000 }).then(
        () => this.config.log?.("final sync: ok"),
        (e) => {
          this.expectCoded("final synchronize", e);
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
    // A failure a timed-out device synchronize gave back waits for the stream's next synchronize;
    // a program that closed the manager first never asked again (not lost by the runtime). The
    // final synchronize above asks for every program that did not.
    for (const entry of this.claimed) {
      if (!entry.reported && !this.closedByProgram) {
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
        this.expectCoded("final release", error);
      }
    }
    this.buffers = [];
    if (!this.device.closed) {
      // Allocations, bytes in use and the largest free block (fragmentation) all come back; not
      // on a lost device, whose memory is gone with it.
      for (const d of [0, 1]) {
        if (d === 0 && this.lostDevice) continue;
        const now = this.device.memoryInfo(d);
        const was = this.baseline[d];
        for (const key of ["allocations", "bytesInUse", "largestFreeBlock"]) {
          if (now[key] !== was[key]) {
            this.violation(`device ${d} memory not back to baseline: ${key} ${now[key]}, was ${was[key]}`);
          }
        }
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
        // No wait passes before its record completed, whether it took a device op or was
        // satisfied when issued.
        if (entry.info.kind === "wait" && entry.info.record !== undefined) {
          const r = entry.info.record.op;
          if (r.status === "done" && r.endNs !== undefined && op.endNs < r.endNs) {
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
