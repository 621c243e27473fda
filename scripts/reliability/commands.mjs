// What each command of a program does to the runtime under test, recorded in the harness's
// reference model (./harness.mjs). Indices pick among live objects, modulo their count, so any
// list of commands is a valid program (fast-check shrinks freely).

/** The statuses an op ends in. */
export const TERMINAL = new Set(["done", "failed", "aborted"]);

/** Runs one command on harness `h`; throws what the runtime throws (the harness classifies it). */
export async function runCommand(h, cmd) {
  const m = h.manager;
  const { a, b, c } = cmd;
  if (h.closed && cmd.op !== "advance") return;
  switch (cmd.op) {
    case "createStream": {
      if (h.streams.filter((s) => !s.destroyed).length >= 12) return;
      const device = a % 2;
      const handle = m.create({ device, ...(b % 4 === 0 ? { failureMode: "stop" } : {}) });
      h.streams.push({ handle, device, ops: [], destroyed: false });
      return;
    }
    case "destroyStream": {
      const s = h.pick(h.streams, a);
      if (s === undefined) return;
      s.destroyed = true;
      h.destroyedStreams.push(s);
      // A plain destroy lets the work drain; a hung kernel, or a wait whose record may never
      // come, would then hold the stream forever with no handle left to abort it (as on real
      // hardware): such a stream is force-destroyed.
      const hung = s.ops.some(
        (e) => (e.info.mode === "stuck" || e.info.kind === "wait") && e.op.status === "pending",
      );
      s.handle.destroy({ force: hung || b % 2 === 0 }).catch((e) => h.expectCoded("destroy", e));
      return;
    }
    case "createEvent": {
      if (h.events.filter((e) => !e.destroyed).length >= 8) return;
      const device = a % 2;
      h.events.push({
        handle: m.createEvent({ device }),
        device,
        destroyed: false,
        lastRecord: undefined,
        futureWaits: [],
      });
      return;
    }
    case "destroyEvent": {
      const e = h.pick(h.events, a);
      if (e === undefined) return;
      e.destroyed = true;
      h.destroyedEvents.push(e);
      e.handle.destroy();
      return;
    }
    case "launch": {
      const s = h.pick(h.streams, a);
      if (s === undefined) return;
      const mode = b % 16 === 0 ? "bad" : b % 29 === 1 ? "stuck" : "work";
      if (mode !== "work") h.fault(mode, s.device);
      const op = s.handle.launch({ name: mode, cost: { durationNs: 1_000 + (c % 50) * 1_000 } });
      h.track(s, op, { kind: "kernel", mode });
      return;
    }
    case "copy": {
      const s = h.pick(h.streams, a);
      const buf = h.buffers.filter((x) => x.device === s?.device)[b % Math.max(1, h.buffers.length)];
      if (s === undefined || buf === undefined) return;
      const op =
        c % 2 === 0
          ? s.handle.copy({ src: new Uint8Array(buf.bytes), dst: buf.buffer })
          : s.handle.fill({ dst: buf.buffer, value: c % 256 });
      buf.users.push(op);
      h.track(s, op, { kind: "copy" });
      return;
    }
    case "record": {
      const s = h.pick(h.streams, a);
      const e = h.pick(
        h.events.filter((x) => x.device === s?.device),
        b,
      );
      if (s === undefined || e === undefined) return;
      const op = s.handle.record(e.handle);
      const entry = h.track(s, op, { kind: "record", event: e.handle.id, eventModel: e });
      for (const w of e.futureWaits) w.info.record ??= entry;
      e.futureWaits = [];
      e.lastRecord = entry;
      return;
    }
    case "wait": {
      const s = h.pick(h.streams, a);
      const e = h.pick(
        h.events.filter((x) => x.device === s?.device),
        b,
      );
      if (s === undefined || e === undefined) return;
      // Future waits without a record to come would only hang until the final abort: keep some.
      const future = c % 3 === 0;
      const op = s.handle.waitEvent(e.handle, future ? { future: true } : undefined);
      const entry = h.track(s, op, {
        kind: "wait",
        event: e.handle.id,
        future,
        record: future ? undefined : e.lastRecord,
      });
      if (future) e.futureWaits.push(entry);
      return;
    }
    case "hostCallback": {
      const s = h.pick(h.streams, a);
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
      h.callbacks.push(record);
      h.track(s, op, { kind: "callback", callback: record });
      return;
    }
    case "synchronize": {
      const whole = a % 4 === 0;
      const s = whole ? undefined : h.pick(h.streams, a);
      if (!whole && s === undefined) return;
      const timeoutMs = b % 3 === 0 ? undefined : 1 + (b % 5);
      const covered = whole
        ? h.streams.filter((x) => !x.destroyed).map((x) => [x, x.ops.length])
        : [[s, s.ops.length]];
      // An untimed synchronize may wait for a hung kernel until the final abort: fine, it
      // must settle then.
      const p = whole
        ? m.synchronize(timeoutMs === undefined ? {} : { timeoutMs })
        : s.handle.synchronize(timeoutMs === undefined ? {} : { timeoutMs });
      h.syncs++;
      const sync = { settled: false, streams: new Set(covered.map(([x]) => x)) };
      h.pendingSyncs.add(sync);
      const label = `${whole ? "device" : `stream ${s.handle.id}`} sync #${h.syncs} (timeout ${timeoutMs})`;
      p.then(
        () => {
          h.config.log?.(`${label}: ok`);
          sync.settled = true;
          h.pendingSyncs.delete(sync);
          for (const [stream, n] of covered) {
            for (const entry of stream.ops.slice(0, n)) {
              if (entry.op.status !== "failed" || entry.reported) continue;
              if (entry.op.error?.code === "TASK_TIMEOUT") continue;
              // Another synchronize still pending that covers the stream may have taken the
              // failure (a device synchronize takes it from a stream that drained first): it
              // must report it when it settles. Otherwise this one should have.
              const claimant = [...h.pendingSyncs].some((o) => o.streams.has(stream));
              if (claimant) h.claimed.add(entry);
              else {
                h.violation(
                  `lost failure: a synchronize covering ${entry.info.kind} #${entry.index} of stream ${stream.handle.id} (${entry.op.error?.code}) resolved OK`,
                );
                entry.reported = true;
              }
            }
          }
        },
        (error) => {
          h.config.log?.(`${label}: ${error?.code}`);
          sync.settled = true;
          h.pendingSyncs.delete(sync);
          h.expectCoded("synchronize", error);
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
      const s = h.pick(h.streams, a);
      if (s === undefined) return;
      s.handle.abort();
      return;
    }
    case "allocate": {
      if (h.buffers.length >= 6) return;
      const device = a % 2;
      if (b % 11 === 0) h.fault("allocation", device);
      const bytes = 64 + (c % 16) * 64;
      const buffer = m.allocate(bytes, { device });
      h.buffers.push({ buffer, bytes, device, users: [] });
      return;
    }
    case "free": {
      // Only buffers no pending op uses: a use after free is its own (tested) story.
      const free = h.buffers.filter((x) => x.users.every((op) => TERMINAL.has(op.status)));
      const buf = free[a % Math.max(1, free.length)];
      if (buf === undefined) return;
      h.buffers.splice(h.buffers.indexOf(buf), 1);
      m.release(buf.buffer);
      return;
    }
    case "deviceLost": {
      if (h.npu === undefined || h.lostDevice) return;
      h.lostDevice = true;
      h.faults++;
      h.npu.injectFault({ kind: "device-lost", device: 0 });
      return;
    }
    case "useDestroyed": {
      const s = h.destroyedStreams[a % Math.max(1, h.destroyedStreams.length)];
      if (s !== undefined) h.mustRefuse("a destroyed stream", () => s.handle.launch({ name: "work" }));
      const e = h.destroyedEvents[b % Math.max(1, h.destroyedEvents.length)];
      const live = h.pick(h.streams, c);
      if (e !== undefined && live !== undefined)
        h.mustRefuse("a destroyed event", () => live.handle.record(e.handle));
      return;
    }
    case "close":
      h.closed = true;
      h.closedByProgram = true;
      try {
        m.close();
      } catch (error) {
        h.violation(`manager.close() threw: ${error?.code ?? ""} ${error?.message ?? String(error)}`);
      }
      return;
    case "advance":
      await h.turns(1 + (a % 4));
      return;
  }
}
