import type { HostTask, NpuError } from "@npurt/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FifoHostExecutor, type Stream } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, outcome, settle, setup } from "./backends.js";

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

describe.each(BACKENDS)("host callbacks on $name", (factory) => {
  it("a blocking callback holds later work on its stream until it finishes", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const ev = manager.createEvent();
    const g = gate();
    let started = false;
    s.launchHostCallback(async () => {
      started = true;
      await g.promise;
    });
    s.record(ev);
    await settle();
    expect(started).toBe(true);
    expect(s.state).toBe("BLOCKED");
    expect(ev.query()).toBe("not-ready");
    g.open();
    await s.synchronize();
    expect(ev.query()).toBe("complete");
    expect(s.state).toBe("COMPLETED");
  });

  it("a non-blocking callback does not hold the stream; synchronize and query still wait for it", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const ev = manager.createEvent();
    const g = gate();
    let finished = false;
    s.launchHostCallback(
      async () => {
        await g.promise;
        finished = true;
      },
      { blocking: false, label: "nb" },
    );
    s.launch(noop());
    s.record(ev);
    await ev.synchronize();
    expect(s.query()).toBe("not-ready");
    const sync = s.synchronize();
    await settle();
    expect(finished).toBe(false);
    g.open();
    await sync;
    expect(finished).toBe(true);
    expect(s.query()).toBe("complete");
  });

  it("refuses synchronizing and launching APIs inside a callback with NOT_PERMITTED_IN_CALLBACK", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const other = manager.create();
    const ev = manager.createEvent();
    const buffer = manager.allocate(8);
    const codes: Record<string, string | undefined> = {};
    const pending: Promise<unknown>[] = [];
    const attempt = (name: string, fn: () => unknown) => {
      try {
        const r = fn();
        if (r instanceof Promise) {
          pending.push(
            r.then(
              () => {
                codes[name] = "resolved";
              },
              (e: NpuError) => {
                codes[name] = e.code;
              },
            ),
          );
        } else codes[name] = "ok";
      } catch (e) {
        codes[name] = (e as NpuError).code;
      }
    };
    s.launchHostCallback(() => {
      attempt("launch", () => other.launch(noop()));
      attempt("fill", () => other.fill({ dst: {} as never, value: 1 }));
      attempt("copy", () => other.copy({ src: new Uint8Array(8), dst: buffer }));
      attempt("record", () => other.record(ev));
      attempt("waitEvent", () => other.waitEvent(ev));
      attempt("launchHostCallback", () => other.launchHostCallback(() => {}));
      attempt("abort", () => other.abort());
      attempt("destroy", () => other.destroy());
      attempt("manager.destroy", () => manager.destroy(other));
      attempt("force destroy", () => other.destroy({ force: true }));
      attempt("prewarm", () => manager.prewarm(1));
      attempt("release", () => manager.release(buffer));
      attempt("close", () => manager.close());
      attempt("create", () => manager.create());
      attempt("createEvent", () => manager.createEvent());
      attempt("allocate", () => manager.allocate(8));
      attempt("resetDevice", () => manager.resetDevice());
      attempt("resetEvent", () => other.resetEvent(ev));
      attempt("event.destroy", () => ev.destroy());
      attempt("synchronize", () => other.synchronize());
      attempt("own synchronize", () => s.synchronize());
      attempt("device synchronize", () => manager.synchronize());
      attempt("event synchronize", () => ev.synchronize());
      attempt("query", () => other.query());
      attempt("event.query", () => ev.query());
    });
    await s.synchronize();
    await Promise.all(pending);
    const refused = Object.entries(codes).filter(([, c]) => c === "NOT_PERMITTED_IN_CALLBACK");
    expect(refused.map(([k]) => k).sort()).toEqual(
      [
        "launch",
        "fill",
        "record",
        "waitEvent",
        "launchHostCallback",
        "abort",
        "destroy",
        "manager.destroy",
        "force destroy",
        "prewarm",
        "release",
        "close",
        "copy",
        "create",
        "createEvent",
        "allocate",
        "resetDevice",
        "event.destroy",
        "resetEvent",
        "synchronize",
        "own synchronize",
        "device synchronize",
        "event synchronize",
      ].sort(),
    );
    expect(codes.query).toBe("ok");
    expect(codes["event.query"]).toBe("ok");
    expect(other.query()).toBe("complete");
  });

  it("an async callback is checked up to its first await (documented rule)", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const other = manager.create();
    const codes: string[] = [];
    s.launchHostCallback(async () => {
      try {
        other.launch(noop());
      } catch (e) {
        codes.push((e as NpuError).code);
      }
      await null;
      other.launch(noop()); // after the first await: ordinary host code
      codes.push("launched");
    });
    await s.synchronize();
    await other.synchronize();
    expect(codes).toEqual(["NOT_PERMITTED_IN_CALLBACK", "launched"]);
  });

  it.each(BOTH_PROFILES)(
    "a throwing callback never escapes: its error reaches the next synchronize (%s, continue mode)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile, stickyErrors: false });
      const finished: string[] = [];
      device.instrumentation.subscribe((e) => {
        if (e.type === "callback.finished") finished.push(`${e.label}:${e.status}`);
      });
      const s = manager.create();
      let after = false;
      s.launchHostCallback(
        () => {
          throw new Error("boom");
        },
        { label: "thrower" },
      );
      s.launchHostCallback(() => Promise.reject(new Error("async boom")), { label: "rejecter" });
      s.launchHostCallback(() => {
        after = true;
      });
      const r = await outcome(s.synchronize());
      const error = (r as { error: NpuError }).error;
      expect(error.code).toBe("CALLBACK_FAILED");
      expect(error.message).toContain('"thrower"');
      expect((error.cause as Error).message).toBe("boom");
      expect(after).toBe(true);
      expect(finished).toEqual(["thrower:error", "rejecter:error", "undefined:ok"]);
      await s.synchronize();
      expect(manager.resourceStats().callbacks).toEqual({
        created: 3,
        succeeded: 1,
        released: 3,
        releaseSucceeded: 3,
      });
      await settle();
      expect(unhandled).toEqual([]);
    },
  );

  it("issue 10 defect 3: a callback throwing an unprintable value (String() throws) still fails its stream", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const unprintable = Object.create(null) as object;
    const op = s.launchHostCallback(() => {
      throw unprintable;
    });
    const after = s.launch(noop());
    const error = await s.synchronize().then(
      () => undefined,
      (e: unknown) => e as NpuError,
    );
    expect(error?.code).toBe("CALLBACK_FAILED");
    expect(error?.message).toContain("an object (no prototype)");
    expect(error?.cause).toBe(unprintable);
    expect(op.status).toBe("failed");
    expect(after.status).toBe("done"); // the stream was not left blocked
  });

  it("a throwing callback on a stop-on-failure stream stops the device", async () => {
    const { manager } = setup(factory, { profile: "cann" });
    const s = manager.create({ failureMode: "stop" });
    const t = manager.create();
    let ran = false;
    s.launchHostCallback(() => {
      throw new Error("boom");
    });
    s.launchHostCallback(() => {
      ran = true;
    });
    t.launch(noop(10_000_000));
    await expect(s.synchronize()).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
    await expect(t.synchronize()).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
    expect(ran).toBe(false);
    expect(() => t.launch(noop())).toThrow(expect.objectContaining({ code: "STOPPED_ON_FAILURE" }));
  });

  it("runs callbacks on a custom executor, with the stream's priority and label", async () => {
    const tasks: HostTask[] = [];
    const executor = {
      submit(task: HostTask) {
        tasks.push(task);
        queueMicrotask(() => {
          try {
            task.done({ ok: true, value: task.run() });
          } catch (error) {
            task.done({ ok: false, error });
          }
        });
      },
    };
    const { manager } = setup(factory, { executor });
    expect(manager.executor).toBe(executor);
    const s = manager.create({ priority: 7 });
    let n = 0;
    s.launchHostCallback(() => n++, { label: "mine" });
    await s.synchronize();
    expect(n).toBe(1);
    expect(tasks[0]).toMatchObject({ label: "mine", priority: expect.any(Number) });
  });

  it("a destroyed stream is released only after its running callback finishes", async () => {
    const { manager } = setup(factory, { profile: "cuda" });
    const s: Stream = manager.create();
    const g = gate();
    s.launchHostCallback(() => g.promise);
    await settle();
    await s.destroy();
    expect(manager.stats().draining).toBe(1);
    g.open();
    await manager.synchronize();
    expect(manager.stats()).toMatchObject({ draining: 0, pooled: 1 });
  });

  it("emits callback.enqueued, started and finished", async () => {
    const { manager, device } = setup(factory);
    const seen: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type.startsWith("callback.")) seen.push(e.type);
    });
    const s = manager.create();
    s.launchHostCallback(() => {}, { label: "x" });
    await s.synchronize();
    expect(seen).toEqual(["callback.enqueued", "callback.started", "callback.finished"]);
  });
});

describe("FifoHostExecutor", () => {
  const task = (log: string[], name: string, body: () => unknown = () => name): HostTask => ({
    run: () => {
      log.push(`run ${name}`);
      return body();
    },
    done: (o) => log.push(`done ${name} ${o.ok ? "ok" : "err"}`),
  });

  it("runs tasks in order, never inside submit, one at a time by default", async () => {
    const ex = new FifoHostExecutor();
    expect(ex.concurrency).toBe(1);
    const log: string[] = [];
    const g = gate();
    ex.submit(task(log, "a", () => g.promise));
    ex.submit(task(log, "b"));
    expect(log).toEqual([]);
    expect(ex.queued).toBe(2);
    await settle(2);
    expect(log).toEqual(["run a"]);
    expect(ex.running).toBe(1);
    g.open();
    await settle(2);
    expect(log).toEqual(["run a", "done a ok", "run b", "done b ok"]);
  });

  it("overlaps async tasks up to its concurrency and reports throws and rejections", async () => {
    const ex = new FifoHostExecutor({ concurrency: 2 });
    const log: string[] = [];
    const g = gate();
    ex.submit(task(log, "a", () => g.promise));
    ex.submit(task(log, "b", () => Promise.reject(new Error("x"))));
    ex.submit(
      task(log, "c", () => {
        throw new Error("y");
      }),
    );
    await settle(2);
    expect(log).toEqual(["run a", "run b", "done b err", "run c", "done c err"]);
    g.open();
    await settle(2);
    expect(log.at(-1)).toBe("done a ok");
  });

  it("keeps going when a done() throws, and checks its options", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const ex = new FifoHostExecutor();
    let ran = 0;
    ex.submit({
      run: () => ran++,
      done: () => {
        throw new Error("bad done");
      },
    });
    ex.submit({ run: () => ran++, done: () => {} });
    await settle(2);
    expect(ran).toBe(2);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(() => new FifoHostExecutor({ concurrency: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => new FifoHostExecutor("x" as never)).toThrow(TypeError);
  });
});

describe.each(BACKENDS)("synchronize and callbacks launched after it on $name", (factory) => {
  it.each([true, false])(
    "a synchronize does not wait for a callback launched after it (blocking: %s)",
    async (blocking) => {
      const { manager } = setup(factory);
      const s = manager.create();
      const before = gate();
      let beforeDone = false;
      s.launchHostCallback(
        async () => {
          await before.promise;
          beforeDone = true;
        },
        { blocking: false },
      );
      s.launch(noop(1_000));
      let synced = false;
      const sync = s.synchronize().then(() => {
        synced = true;
      });
      const after = gate();
      s.launchHostCallback(() => after.promise, { blocking });
      await settle();
      expect(synced).toBe(false); // the callback launched before it still runs
      before.open();
      await sync;
      expect(beforeDone).toBe(true);
      expect(s.query()).toBe("not-ready"); // the later callback still runs
      after.open();
      await s.synchronize();
      expect(s.query()).toBe("complete");
    },
  );
});
