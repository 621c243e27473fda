// Determinism (issue 10): the same seed gives byte-identical completion timelines — each op's
// stream, kind, status, device start and end time and error code, in issue order — in two runs
// of one process, in two processes, and while unrelated work churns the event loop. The
// programs are the fault soak's (scripts/reliability/workload.mjs: kernels failing and hanging,
// allocation failures, device loss, callbacks throwing, timeouts, aborts, ...).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as core from "@npurt/core";
import * as testing from "@npurt/core/testing";
import * as deviceSim from "@npurt/device-sim";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../../scripts/reliability/workload.mjs";
import * as streams from "../src/index.js";

const pkgs = { core, testing, deviceSim, streams, callbacks: undefined };
const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Timers, immediates, microtasks and garbage on the event loop until stopped. */
function churn(): () => void {
  let stop = false;
  let junk: number[][] = [];
  const spin = (): void => {
    if (stop) return;
    junk.push(new Array(32).fill(Math.random()));
    if (junk.length > 128) junk = [];
    queueMicrotask(() => void junk.length);
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

async function timelines(seeds: readonly number[]): Promise<string[]> {
  const out: string[] = [];
  for (const seed of seeds) {
    for (const profile of ["cann", "cuda"] as const) {
      for (const backend of ["sim", "mock"] as const) {
        const r = await runProgram(pkgs, { backend, profile, executor: "fifo" }, seed, 80);
        expect(r.violations).toEqual([]);
        out.push(r.timeline);
      }
    }
  }
  return out;
}

describe("determinism of the soak's fault-injected programs", () => {
  it("the same seeds give byte-identical timelines in two runs, the second under event-loop churn", async () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const first = await timelines(seeds);
    const stop = churn();
    let second: string[];
    try {
      second = await timelines(seeds);
    } finally {
      stop();
    }
    expect(second).toEqual(first);
    expect(first.join("").length).toBeGreaterThan(1000); // the programs did work
  });

  const built =
    existsSync(`${root}packages/streams/dist/index.js`) &&
    existsSync(`${root}packages/callbacks/dist/index.js`);
  it.skipIf(!built)(
    "two processes (built packages, one with churn) print the same timeline digest (skipped without a build)",
    () => {
      const run = (...extra: string[]) => {
        const r = spawnSync(
          process.execPath,
          ["scripts/soak.mjs", "--sequences", "24", "--seed", "41", ...extra],
          {
            cwd: root,
            encoding: "utf8",
          },
        );
        const line = r.stdout.split("\n").find((l) => l.startsWith("timeline digest:"));
        expect(line, r.stderr).toBeDefined();
        return line!.replace(" (with event-loop churn)", "");
      };
      expect(run("--churn")).toBe(run());
    },
  );
});
