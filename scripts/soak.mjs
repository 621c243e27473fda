#!/usr/bin/env node
import { createHash } from "node:crypto";
// Fault soak (issue 10): long random workloads with fault injection (kernel failure, kernel hang,
// allocation failure, device lost) under both failure modes, both profiles, both backends and
// both host executors, on the built packages (run `pnpm build` first; `pnpm soak` does not build).
//
//   pnpm soak [--sequences N] [--seed S] [--length L] [--churn]
//
// It also prints a digest of every sequence's completion timeline (each op's stream, kind,
// status, device start and end time, error code, in issue order): the same seeds give the same
// digest in every run and process. `--churn` runs unrelated work on the event loop meanwhile
// (timers, immediates, microtasks, allocation), which must not change it; the determinism test
// (packages/streams/test/soak-determinism.test.ts) compares the digests of two processes.
//
// Prints one line each: sequences run, ops run, faults injected, `violations: N`, `lost: N`, and
// the seed that replays a failure (`--seed S --sequences 1` runs just that program). Exits 1 on
// any violation or lost op. Every sequence also checks that the runtime still serves new work
// on a healthy device afterwards.
// The built packages, by path: the root has no dependency on them (they reach each other through
// their own node_modules links, which resolve to these same files).
import * as callbacks from "../packages/callbacks/dist/index.js";
import * as core from "../packages/core/dist/index.js";
import * as testing from "../packages/core/dist/testing/index.js";
import * as deviceSim from "../packages/device-sim/dist/index.js";
import * as streams from "../packages/streams/dist/index.js";
import { runProgram } from "./reliability/workload.mjs";

const args = process.argv.slice(2);
function arg(name, fallback) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer, got ${args[i + 1]}`);
    process.exit(2);
  }
  return v;
}
const sequences = arg("sequences", 500);
const firstSeed = arg("seed", 1);
const length = arg("length", 60);
const churn = args.includes("--churn");

/** The configuration of sequence `seed`: every combination comes round in turn. */
export function configOf(seed) {
  return {
    backend: seed % 2 === 0 ? "sim" : "mock",
    profile: Math.floor(seed / 2) % 2 === 0 ? "cann" : "cuda",
    executor: Math.floor(seed / 4) % 2 === 0 ? "fifo" : "scheduler",
  };
}

let unhandled = 0;
process.on("unhandledRejection", (reason) => {
  unhandled++;
  if (unhandled <= 3) console.error("unhandled rejection:", reason);
});

const pkgs = { core, testing, deviceSim, streams, callbacks };
const digest = createHash("sha256");

/** Unrelated work on the event loop: timers, immediates, microtasks and garbage. */
function startChurn() {
  let stop = false;
  let junk = [];
  const spin = () => {
    if (stop) return;
    junk.push(new Array(64).fill(Math.random()));
    if (junk.length > 256) junk = [];
    queueMicrotask(() => {
      junk.length;
    });
    setImmediate(spin);
  };
  const timer = setInterval(() => {
    junk = [];
  }, 1);
  spin();
  return () => {
    stop = true;
    clearInterval(timer);
  };
}
const stopChurn = churn ? startChurn() : () => {};
let ops = 0;
let faults = 0;
let violations = 0;
let lost = 0;
let failingSeed;
const t0 = performance.now();
for (let i = 0; i < sequences; i++) {
  const seed = firstSeed + i;
  let r;
  try {
    r = await runProgram(pkgs, configOf(seed), seed, length);
  } catch (error) {
    // The harness catches what the runtime throws; anything escaping it is a violation too.
    r = {
      violations: [`the program crashed: ${error?.stack ?? String(error)}`],
      lost: 0,
      ops: 0,
      faults: 0,
      timeline: "crashed",
    };
  }
  digest.update(`${seed}\n${r.timeline}\n`);
  ops += r.ops;
  faults += r.faults;
  lost += r.lost;
  if (r.violations.length > 0) {
    violations += r.violations.length;
    if (failingSeed === undefined) {
      failingSeed = seed;
      console.error(`seed ${seed} (${JSON.stringify(configOf(seed))}):`);
      for (const v of r.violations.slice(0, 10)) console.error(`  ${v}`);
    }
  }
}
stopChurn();
await new Promise((r) => setImmediate(r));
violations += unhandled;
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `sequences run: ${sequences} (seeds ${firstSeed}..${firstSeed + sequences - 1}, ${length} commands each, ${secs} s)`,
);
console.log(`ops run: ${ops}`);
console.log(`faults injected: ${faults}`);
console.log(`violations: ${violations}${unhandled > 0 ? ` (${unhandled} unhandled rejections)` : ""}`);
console.log(`lost: ${lost}`);
console.log(
  failingSeed === undefined
    ? "replay seed: none (no failure)"
    : `replay seed: ${failingSeed} (pnpm soak --seed ${failingSeed} --sequences 1 --length ${length})`,
);
console.log(
  `timeline digest: ${digest.digest("hex").slice(0, 32)}${churn ? " (with event-loop churn)" : ""}`,
);
process.exit(violations > 0 || lost > 0 ? 1 : 0);
