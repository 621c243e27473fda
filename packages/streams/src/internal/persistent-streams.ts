import { NpuError, type OpSpec } from "@npurt/core";
import type { OpHandle } from "../op-handle.js";
import { assertNotInCallback } from "./callback-scope.js";
import { hostless } from "./hostless-streams.js";
import { OpRecord } from "./op-record.js";
import type { PersistentTask, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";

type DeviceWork = OpSpec & { kind: "kernel" | "copy" | "fill" };

/**
 * Streams the host issues no ordinary work to (runtime-semantics §1.1 Create): CANN's
 * `ACL_STREAM_PERSISTENT` streams keep the tasks issued on them instead of running them ("下发的
 * 任务不会立即执行、任务执行完成后也不会立即销毁，在销毁Stream时才会销毁任务相关的资源") for a model to run
 * on another stream; `DEVICE_USE_ONLY` and `CPU_SCHEDULE` streams take work from the device
 * only. For all three, query and synchronize return at once (CANN: "不会触发任何业务处理逻辑，接口直接
 * 返回成功"), which here follows from the stream holding no device work.
 */
export class PersistentStreams {
  readonly #rt: Runtime;
  /** Runs device work on an ordinary stream, as `Stream.launch`/`copy`/`fill` do. */
  readonly #submit: (rec: StreamRecord, spec: DeviceWork, api: string) => OpHandle;

  constructor(rt: Runtime, submit: (rec: StreamRecord, spec: DeviceWork, api: string) => OpHandle) {
    this.#rt = rt;
    this.#submit = submit;
  }

  /** Keeps a kernel, copy or fill issued on a persistent stream; refuses it on the other modes. */
  keep(rec: StreamRecord, spec: DeviceWork, api: string): OpHandle {
    assertNotInCallback(api);
    this.#rt.assertOpen();
    const x = rec.extras!;
    if (x.mode !== "persistent") throw hostless(rec, api);
    const handle = new OpRecord(spec.kind, rec.id);
    if (x.persistent === undefined) x.persistent = [];
    x.persistent.push({ spec, handle });
    return handle;
  }

  /** `aclrtPersistentTaskClean`: drops the kept tasks; their handles end aborted. */
  clean(rec: StreamRecord): void {
    assertNotInCallback("Stream.cleanPersistentTasks");
    if (rec.extras?.mode !== "persistent") {
      throw notPersistent(rec);
    }
    const tasks = rec.extras.persistent;
    rec.extras.persistent = undefined;
    if (tasks !== undefined) this.drop(rec.id, tasks, "its persistent tasks were cleaned");
  }

  /** Ends kept tasks' handles as aborted (clean, destroy). */
  drop(stream: number, tasks: readonly PersistentTask[], why: string): void {
    const now = this.#rt.device.clock.now();
    for (const t of tasks) {
      t.handle.settle(
        "aborted",
        now,
        now,
        new NpuError("STREAM_ABORT", `stream ${stream}: ${why}`, { details: { stream } }),
      );
    }
  }

  /** The number of tasks kept on a persistent stream. */
  count(rec: StreamRecord): number {
    return rec.extras?.persistent?.length ?? 0;
  }

  /**
   * Runs the kept tasks, in order, as work of `target` (CANN: a model bound to the persistent
   * stream, executed on another one). Each run issues them again; the kept tasks stay.
   */
  executeOn(rec: StreamRecord, target: StreamRecord): OpHandle[] {
    assertNotInCallback("Stream.executeOn");
    if (rec.extras?.mode !== "persistent") {
      throw notPersistent(rec);
    }
    if (target.extras?.mode !== undefined) {
      // CANN: "Sink streams do not support execution models".
      throw new NpuError(
        "INVALID_PARAM",
        `stream ${target.id} cannot run a model: it is a ${target.extras.mode} stream`,
        {
          details: { stream: target.id },
        },
      );
    }
    if (target.device !== rec.device) {
      throw new NpuError(
        "INVALID_PARAM",
        `stream ${target.id} is on device ${target.device}, the persistent stream ${rec.id} on ${rec.device}`,
        {
          details: { stream: target.id },
        },
      );
    }
    return (rec.extras.persistent ?? []).map((t) =>
      this.#submit(target, t.spec as DeviceWork, "Stream.executeOn"),
    );
  }
}

function notPersistent(rec: StreamRecord): NpuError {
  return new NpuError(
    "INVALID_PARAM",
    `stream ${rec.id} is not a persistent stream (CANN_STREAM_FLAGS.PERSISTENT)`,
    {
      details: { stream: rec.id },
    },
  );
}
