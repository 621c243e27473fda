import type { ShowcaseExample } from "../cli/example.js";
import { deadlockDiagnosis } from "../examples/diagnosis/deadlock.js";
import { leakDiagnosis } from "../examples/diagnosis/leak.js";
import { raceDiagnosis } from "../examples/diagnosis/race.js";
import { stallDiagnosis } from "../examples/diagnosis/stall.js";

/** Four classic bugs of asynchronous device code, each with the tool's report. */
export const diagnosisExample: ShowcaseExample = {
  name: "diagnosis",
  title: "Finding bugs: a leak, a deadlock, a race and a stall",
  summary: "four deliberate bugs and what the profiler and the streams package report on each",
  sources: [
    "apps/examples/src/examples/diagnosis/leak.ts",
    "apps/examples/src/examples/diagnosis/deadlock.ts",
    "apps/examples/src/examples/diagnosis/race.ts",
    "apps/examples/src/examples/diagnosis/stall.ts",
  ],
  async run({ term, display }) {
    const h = (t: string) => term.line(`  ${term.style("bold", t)}`);
    const indent = "      ";

    h("Leak: a request handler returns early and forgets its stream and buffer");
    term.paragraph(
      "The profiler's LeakTracker follows every stream, event and memory allocation through the " +
        "device's instrumentation (a stream of events the runtime emits) and lists what is still " +
        "alive, with the tag the code gave each allocation and the line that created it.",
      "    ",
    );
    const leak = await leakDiagnosis();
    term.block(leak.text, indent);
    // The first frame in the example's own code (the profiler keeps the whole creation stack).
    const first = leak.report.leaks[0];
    const frame = first?.stack
      ?.split("\n")
      .map((l) => /\(?((?:file:\/\/)?\/[^()]*\/apps\/examples\/[^():]+):(\d+):\d+\)?$/.exec(l.trim()))
      .find((m) => m !== null);
    if (first !== undefined && frame)
      term.line(
        `${indent}${first.description} was created at ${display(frame[1]!.replace(/^file:\/\//, ""))}:${frame[2]}`,
      );
    term.line(`${indent}after the fix: ${leak.afterFix.clean ? "no leaks" : "still leaking"}`);
    term.line();

    h("Deadlock: work that can never run");
    term.paragraph(
      "A consumer stream waits for an event its producer will never record (the producer hung and " +
        "was aborted). Its synchronize gives up after a timeout measured on the device's clock, " +
        "and the streams package's findDeadlocks says why. Two streams that would each wait for " +
        "the other are refused when the cycle would close. Two raw hardware queues that wait for " +
        "each other are found by the profiler's StallWatchdog (in its report, c1 and c2 are the device " +
        "counters the queues wait on: the primitive events are built from).",
      "    ",
    );
    const deadlock = await deadlockDiagnosis();
    term.line(
      `${indent}consumer.synchronize({ timeoutMs: 5 }) → ${deadlock.timeoutCode} at ${deadlock.timeoutAtMs.toFixed(3)} ms of virtual time`,
    );
    for (const d of deadlock.deadlocks) term.line(`${indent}findDeadlocks: ${d}`);
    term.line(`${indent}${deadlock.cycleCode}: ${deadlock.cycleMessage}`);
    if (deadlock.watchdog) term.block(deadlock.watchdog.description, indent);
    term.line();

    h("Race: two streams touch one buffer with nothing ordering them");
    term.paragraph(
      "On real hardware the reader would see old, new or half-written data, and only sometimes. " +
        "The profiler's RaceDetector tracks which stream's work is known to come before which " +
        "(vector clocks, as PyTorch's CUDA sanitizer does) and reports the two accesses; an event " +
        "recorded after the write and waited for before the read fixes it.",
      "    ",
    );
    const race = await raceDiagnosis();
    for (const r of race.races) term.paragraph(r.description, indent);
    term.line(`${indent}after the fix: ${race.racesAfterFix.length} races`);
    term.line();

    h("Stall: a kernel that never finishes");
    term.paragraph(
      "The StallWatchdog checks, on the device's clock, whether work is pending while nothing " +
        "has finished for a given time (2 ms here) and reports each blocked stream and the " +
        "operation at its head. (The kernel hangs because the simulator was told to inject that fault.)",
      "    ",
    );
    const stall = await stallDiagnosis();
    if (stall.hung) term.block(stall.hung.description, indent);
    term.line(
      `${indent}the stream's synchronize({ timeoutMs: 5 }) → ${stall.timeoutCode}; the stream is then aborted`,
    );
    return { leak, deadlock, race, stall };
  },
};
