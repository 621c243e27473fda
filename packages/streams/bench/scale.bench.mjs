// Issue 10 defect 8: the deadlock check and the cleanup of timed-out synchronizes must stay
// near-linear. Each figure runs a hand-written linear pass over the same population as its
// peer (the least any check must cost) and prints our cost over it, plus the growth from a
// tenth of the size to the full size (10 means linear; the old findDeadlocks grew ~100×).
import { StreamManager } from "@npurt/streams";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice } from "./backend.mjs";

const STREAMS = quick ? 100_000 : 1_000_000;
const BUSY = STREAMS / 100;
const SYNCS = quick ? 10_000 : 100_000;

/** `total` streams, `busy` of them blocked on a record behind a long kernel; returns the manager. */
function population(total, busy) {
  const manager = new StreamManager(makeDevice());
  const producer = manager.create();
  const ev = manager.createEvent();
  producer.launch({ name: "noop", cost: { durationNs: 1e12 } });
  producer.record(ev);
  const streams = [producer];
  for (let i = 1; i < total; i++) {
    const s = manager.create();
    if (i <= busy) {
      s.waitEvent(ev);
      s.launch({ name: "noop" });
    }
    streams.push(s);
  }
  return { manager, streams };
}

function ms(fn) {
  const t0 = process.hrtime.bigint();
  const out = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
}

/** Median of 3 runs of `fn` (ms). */
function median3(fn) {
  const t = [ms(fn).ms, ms(fn).ms, ms(fn).ms].sort((a, b) => a - b);
  return t[1];
}

// ---- findDeadlocks -------------------------------------------------------------------------
const small = population(STREAMS / 10, BUSY / 10);
const smallMs = median3(() => small.manager.findDeadlocks());
small.manager.close();
const big = population(STREAMS, BUSY);
if (big.manager.findDeadlocks().length !== 0) throw new Error("the busy streams are not deadlocked");
const bigMs = median3(() => big.manager.findDeadlocks());
// The peer: one linear pass reading every stream's state (what any whole-population check reads).
let blocked = 0;
const passMs = median3(() => {
  blocked = 0;
  for (const s of big.streams) if (s.state === "BLOCKED") blocked++;
});
if (blocked < BUSY) throw new Error(`expected ${BUSY} blocked streams, saw ${blocked}`);
big.manager.close();
figure({
  name: `streams: findDeadlocks, ${BUSY} busy among ${STREAMS} streams (${BACKEND_NAME}) vs one pass reading every stream's state`,
  unit: "ms",
  value: bigMs,
  baseline: { name: "linear pass over the stream handles", value: passMs },
  ratio: passMs / bigMs,
});
figure({
  name: `streams: findDeadlocks growth from ${STREAMS / 10} to ${STREAMS} streams (10 = linear)`,
  unit: "×",
  value: bigMs / smallMs,
});

// ---- timed-out synchronizes ----------------------------------------------------------------
/** `n` stream synchronizes with a 1 ms timeout on a stream that never drains, all timing out. */
async function timeouts(n) {
  const manager = new StreamManager(makeDevice());
  const s = manager.create();
  const never = manager.createEvent();
  s.waitEvent(never, { future: true });
  const t0 = process.hrtime.bigint();
  const all = [];
  for (let i = 0; i < n; i++) all.push(s.synchronize({ timeoutMs: 1 }).catch((e) => e.code));
  const codes = await Promise.all(all);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  if (codes.some((c) => c !== "STREAM_SYNC_TIMEOUT")) throw new Error("a synchronize did not time out");
  s.abort();
  manager.close();
  return elapsed;
}
/** The peer: the same number of promises rejected by timers on the same device clock. */
async function plainTimers(n) {
  const clock = makeDevice().clock;
  const t0 = process.hrtime.bigint();
  const all = [];
  for (let i = 0; i < n; i++) {
    all.push(
      new Promise((_, reject) => clock.setTimer(1e6, () => reject(new Error("timeout")))).catch(
        (e) => e.message,
      ),
    );
  }
  await Promise.all(all);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const tSmall = (await timeouts(SYNCS / 10)) && (await timeouts(SYNCS / 10));
const tBig = await timeouts(SYNCS);
const tPeer = await plainTimers(SYNCS);
figure({
  name: `streams: ${SYNCS} stream synchronizes timing out (${BACKEND_NAME}) vs as many timer-rejected promises`,
  unit: "ms",
  value: tBig,
  baseline: { name: "promises rejected by device-clock timers", value: tPeer },
  ratio: tPeer / tBig,
});
figure({
  name: `streams: timed-out synchronize cleanup growth from ${SYNCS / 10} to ${SYNCS} (10 = linear)`,
  unit: "×",
  value: tBig / tSmall,
});
