// Random workloads over npurt's public API with a reference model that checks the promises of
// issue 10 after every step (see ./harness.mjs). Shared by the model-based tests and the soak.
import { Harness } from "./harness.mjs";
import { randomProgram } from "./program.mjs";

export { Harness } from "./harness.mjs";
export { OPS, prng, randomCommand, randomProgram, WEIGHTS } from "./program.mjs";

/**
 * Runs one random program of `length` commands from `seed` under `config`.
 * @returns `{ violations, lost, ops, faults, timeline }`.
 */
export async function runProgram(pkgs, config, seed, length) {
  const h = new Harness(pkgs, { ...config, seed });
  await h.prelude();
  for (const cmd of randomProgram(seed, length)) await h.step(cmd);
  const lost = await h.finish();
  return {
    violations: h.violations,
    lost,
    ops: h.opsRun,
    faults: h.faults,
    timeline: h.timeline(),
  };
}
