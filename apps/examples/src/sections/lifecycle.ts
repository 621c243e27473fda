import type { ShowcaseExample } from "../cli/example.js";
import { streamLifecycle } from "../examples/stream-lifecycle.js";

/** The stream lifecycle walk-through. */
export const lifecycleExample: ShowcaseExample = {
  name: "lifecycle",
  title: "Streams, events and the stream pool",
  summary: "create streams, order them with an event, time the work, reuse a pooled queue, check for leaks",
  sources: ["apps/examples/src/examples/stream-lifecycle.ts"],
  async run({ term }) {
    term.paragraph(
      "A stream is a queue of work for the device (copies, and kernels: functions that run on the " +
        "device) that runs in order, on one of the device's hardware queues; different streams may " +
        "run at the same time. An event is a marker placed in a stream: another stream (or the host) can wait " +
        "until the work before it is done, and two events time the work between them. Destroyed " +
        "streams leave their hardware queue in a pool, so the next stream reuses it instead of paying " +
        "to create one. Here a producer stream fills and transforms a buffer, a consumer waits for it " +
        "through an event, and at the end the manager reports anything left alive (a leak).",
    );
    term.line();
    const r = await streamLifecycle((l) => term.line(`  ${l}`));
    term.line(`  states the first stream went through: ${r.transitions.join(", ")}`);
    term.line(
      `  leak report at close: ${r.leaked === 0 ? term.style("green", "nothing left alive") : term.style("red", `${r.leaked} left alive`)}`,
    );
    return r;
  },
};
