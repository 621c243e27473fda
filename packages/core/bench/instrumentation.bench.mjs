// Instrumentation cost on a hot path: the same loop with no emit call, with a guarded emit and no
// subscriber (the "disabled" case every npurt package ships), and with a counting subscriber.
// Goal (performance-anchors §7 d): disabled ≤ 5 % slowdown; enabled, counting only ≤ 1.5×.
import { Instrumentation } from "@npurt/core";
import { RingQueue } from "@npurt/core/internal";
import { figure, medianSeconds, quick } from "../../../scripts/bench-kit.mjs";

const N = quick ? 2_000_000 : 20_000_000;
const RUNS = quick ? 3 : 7;

// Each variant is its own function so V8 optimises each separately, as a real call site would be.
// The loop body is a small submit path: an op record goes into a FIFO and the oldest comes out.
function plain(state) {
  const q = state.queue;
  for (let i = 0; i < N; i++) {
    q.push({ opId: i, kind: "kernel" });
    state.last = q.shift().opId;
  }
}

function guarded(state, bus) {
  const q = state.queue;
  for (let i = 0; i < N; i++) {
    q.push({ opId: i, kind: "kernel" });
    state.last = q.shift().opId;
    if (bus.active)
      bus.emit({ type: "op.enqueued", time: i, device: 0, queue: 1, opId: i, kind: "kernel", name: "k" });
  }
}

const silent = new Instrumentation();
const counting = new Instrumentation();
let events = 0;
counting.subscribe(() => {
  events++;
});

// Interleave the variants (A B C A B C …) so machine noise hits all of them alike.
const times = { plain: [], disabled: [], enabled: [] };
const state = { queue: new RingQueue(), last: 0 };
for (let r = 0; r < RUNS; r++) {
  times.plain.push(await medianSeconds(() => plain(state), { runs: 1, warmup: r === 0 ? 1 : 0 }));
  times.disabled.push(
    await medianSeconds(() => guarded(state, silent), { runs: 1, warmup: r === 0 ? 1 : 0 }),
  );
  times.enabled.push(
    await medianSeconds(() => guarded(state, counting), { runs: 1, warmup: r === 0 ? 1 : 0 }),
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ns = (s) => (s / N) * 1e9;
const base = ns(median(times.plain));
const disabled = ns(median(times.disabled));
const enabled = ns(median(times.enabled));
if (events === 0) throw new Error("the counting subscriber saw no event");

figure({ name: "core: hot loop, no emit call", unit: "ns/iter", value: base });
figure({
  name: "core: hot loop, guarded emit, no subscriber (slowdown vs no emit)",
  unit: "ns/iter",
  value: disabled,
  baseline: { name: "no emit call", value: base },
  ratio: disabled / base,
  goal: "≤ 1.05",
});
figure({ name: "core: cost of a guarded emit with no subscriber", unit: "ns/call", value: disabled - base });
figure({
  name: "core: hot loop, emit to a counting subscriber (slowdown vs no emit)",
  unit: "ns/iter",
  value: enabled,
  baseline: { name: "no emit call", value: base },
  ratio: enabled / base,
});
