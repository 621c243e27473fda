import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { CANN_EVENT_FLAGS, type StreamState } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, settle, setup } from "./backends.js";

const step = fc.oneof(
  fc.record({ op: fc.constant("kernel" as const), s: fc.nat(2), ns: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ op: fc.constant("record" as const), s: fc.nat(2), e: fc.nat(1) }),
  fc.record({ op: fc.constant("wait" as const), s: fc.nat(2), e: fc.nat(1) }),
  fc.record({ op: fc.constant("callback" as const), s: fc.nat(2), blocking: fc.boolean() }),
  fc.constant({ op: "settle" as const }),
);

const IDLE: StreamState[] = ["READY", "COMPLETED"];

describe.each(BACKENDS)("state and query stay accurate on $name", (factory) => {
  describe.each(BOTH_PROFILES)("%s", (profile) => {
    test.prop([fc.array(step, { maxLength: 40 })], { numRuns: 40 })(
      "query() is 'complete' exactly in READY/COMPLETED, and every program drains",
      async (program) => {
        const { manager } = setup(factory, { profile });
        const streams = [manager.create(), manager.create(), manager.create()];
        // Ex events in the 'cann' model stand for no work before their first record, like CUDA's.
        const opts = profile === "cann" ? ({ api: "ex", flags: CANN_EVENT_FLAGS.SYNC } as const) : {};
        const events = [manager.createEvent(opts), manager.createEvent(opts)];
        let callbacks = 0;
        const check = () => {
          for (const s of streams) {
            expect(s.query() === "complete").toBe(IDLE.includes(s.state));
          }
        };
        for (const st of program) {
          if (st.op === "kernel") streams[st.s]!.launch(noop(st.ns));
          else if (st.op === "record") streams[st.s]!.record(events[st.e]!);
          else if (st.op === "wait") streams[st.s]!.waitEvent(events[st.e]!);
          else if (st.op === "callback")
            streams[st.s]!.launchHostCallback(() => callbacks++, { blocking: st.blocking });
          else await settle(3);
          check();
        }
        await manager.synchronize({ timeoutMs: 1_000 });
        check();
        for (const s of streams) expect(s.query()).toBe("complete");
        expect(callbacks).toBe(program.filter((p) => p.op === "callback").length);
        expect(manager.findDeadlocks()).toEqual([]);
      },
    );
  });
});
