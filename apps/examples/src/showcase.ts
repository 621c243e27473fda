// The npurt showcase: runs each example on the simulated NPU and prints what it saw.
// `pnpm start` from the repository root builds the packages and runs this file.
import { diagnostics } from "./examples/diagnostics.js";
import { inferenceEngine } from "./examples/inference-engine.js";
import { cannEventStatus } from "./examples/ported/cann-event-status.js";
import { cudaAsyncApi } from "./examples/ported/cuda-async-api.js";
import { streamLifecycle } from "./examples/stream-lifecycle.js";
import { SEED_TABLE, syncVsAsync } from "./examples/sync-vs-async.js";
import { ms, table } from "./format.js";

const say = (line = "") => console.log(line);
const section = (title: string) => say(`\n━━ ${title} ${"━".repeat(Math.max(0, 72 - title.length))}`);

async function main(): Promise<void> {
  say("npurt showcase — an async NPU runtime on a deterministic simulated 910-class NPU");

  section("1. Stream lifecycle (pool, states, events, leak report)");
  const life = await streamLifecycle((l) => say(`  ${l}`));
  say(`  states of the first stream: ${life.transitions.join(", ")}`);

  section("2. Synchronous vs asynchronous execution (the seed article's table, measured)");
  const rows = await syncVsAsync();
  say(
    table(
      ["operators", "sync", "async", "improvement", "seed: sync / async / improvement"],
      rows.map((r) => {
        const seed = SEED_TABLE[r.operators];
        return [
          String(r.operators),
          ms(r.syncNs),
          ms(r.asyncNs),
          `${(r.improvement * 100).toFixed(0)}%`,
          seed
            ? `${seed.syncMs} / ${seed.asyncMs} ms / ${((1 - seed.asyncMs / seed.syncMs) * 100).toFixed(0)}%`
            : "",
        ];
      }),
    )
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n"),
  );
  say("  (virtual time: identical on every run; the seed's figures came from real hardware)");

  section("3. Async inference engine: a callback chain per request, device stages on streams");
  const results = await inferenceEngine(8, (l) => say(`  ${l}`));
  const ok = results.filter((r) => r.matchesReference).length;
  say(`  ${ok}/${results.length} results equal a CPU computation of the same model`);

  section("4. Diagnosis: deadlock, deterministic timeout, dependency cycle, leaks");
  await diagnostics((l) => say(`  ${l}`));

  section("5. Real programs, ported unchanged: CUDA's asyncAPI and CANN's event_status");
  say("  CUDA sample asyncAPI (legacy default stream, events, CPU polling):");
  await cudaAsyncApi(1 << 20, (l) => say(`    ${l}`));
  say("  CANN sample 1_basic_features/event/0_event_status (stop-on-failure stream, event status):");
  await cannEventStatus((l) => say(`    ${l}`));
  say();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
