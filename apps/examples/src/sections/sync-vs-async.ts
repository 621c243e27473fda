import { ASCEND_910, DEFAULT_HOST_COSTS } from "@npurt/device-sim";
import type { ShowcaseExample } from "../cli/example.js";
import { DEFAULT_WORKLOAD, SEED_TABLE, syncVsAsync, whatMovesIt } from "../examples/sync-vs-async.js";
import { ms, pct, size, table, us } from "../format.js";

/** The seed article's sync-versus-async table, measured. */
export const syncVsAsyncExample: ShowcaseExample = {
  name: "sync-vs-async",
  title: "Waiting after every operator versus queueing them (the callback article's table)",
  summary: "10, 50 and 200 operators run synchronously and asynchronously, beside the published figures",
  sources: ["apps/examples/src/examples/sync-vs-async.ts"],
  async run({ term }) {
    term.paragraph(
      `Each operator copies ${size(DEFAULT_WORKLOAD.inputBytes)} to the device, runs a kernel ` +
        `and copies ${size(DEFAULT_WORKLOAD.outputBytes)} back. ` +
        "Synchronously, the host waits for each operator before it submits the next, so the copy " +
        "engines and the AI cores take turns. Asynchronously, loads, kernels and stores go on three " +
        "streams linked by events, each operator ends with a host callback (a function the stream " +
        "calls on the host once the work before it is done) instead of a wait, and " +
        "the host waits once at the end: the next operator's load overlaps this one's kernel. The " +
        `device is simulated, modelled on Huawei's Ascend 910 (${ASCEND_910.aiCores} AI cores, its compute units; ` +
        `${ASCEND_910.h2dBandwidth / 1e9} GB/s between host and device), and the times are virtual: ` +
        "the simulator's clock advances by what each step would take on that hardware, so every run " +
        "prints the same figures. The blog post on CANN's callback engine that this project started " +
        "from published the right-hand columns, collected in one of its author's projects (it names " +
        "neither the hardware nor the operators).",
    );
    term.line();
    const { rows, stages, bound } = await syncVsAsync();
    const seedCell = (n: number) => {
      const s = SEED_TABLE[n];
      return s ? [`${s.syncMs} ms`, `${s.asyncMs} ms`, pct(s.improvement)] : ["", "", ""];
    };
    term.block(
      table(
        ["operators", "sync", "async", "improvement", "article: sync", "async", "improvement"],
        rows.map((r) => [
          String(r.operators),
          ms(r.syncNs),
          ms(r.asyncNs),
          pct(r.improvement),
          ...seedCell(r.operators),
        ]),
      ),
    );
    term.line();
    term.paragraph(
      `Why the figures differ: one synchronous operator here is a ${us(stages.loadNs)} load, a ` +
        `${us(stages.kernelNs)} kernel, a ${us(stages.storeNs)} store and ${us(stages.hostNs)} of host ` +
        "work (launching, synchronizing, waking up). Overlap hides every stage but the longest, so " +
        `the improvement approaches 1 − longest / total = ${pct(bound)} as operators are added, and ` +
        "the first and last operators, which cannot overlap, matter less with more operators. The " +
        "article credits its gain to fewer thread switches and less time spent waiting; a gain " +
        `that grows to ${pct(SEED_TABLE[200]!.improvement)} needs stages of about equal length, or ` +
        "far more host cost per wait than this model's " +
        `${us(DEFAULT_HOST_COSTS.syncWakeNs)} wake-up. Changing one parameter at a time, at 50 operators:`,
    );
    term.line();
    const moves = await whatMovesIt(50);
    term.block(
      table(
        ["change", "improvement", "bound from its stages"],
        moves.map((m) => [m.change, pct(m.improvement), pct(m.bound)]),
      ),
    );
    return { rows, stages, bound, moves };
  },
};
