// The model-based property over npurt's public API (issue 10): fast-check generates a sequence of
// commands (`fc.commands`), each run against a fresh device and manager by the harness of
// ./workload.mjs, whose reference model checks the invariants after every step; the run ends by
// draining (aborting what hangs) and checking that every op and callback was accounted for. A
// failure shrinks to a short command list, printed as JSON that `Harness.step` replays.
import fc from "fast-check";
import { Harness, WEIGHTS } from "./workload.mjs";

const index = fc.nat({ max: 1023 });

/** One command, weighted as in the soak's random programs. */
const commandArb = fc.oneof(
  ...Object.entries(WEIGHTS).map(([op, w]) => ({
    arbitrary: fc.record({ op: fc.constant(op), a: index, b: index, c: index }),
    weight: Math.max(1, Math.round(w * 4)),
  })),
);

class Step {
  constructor(cmd) {
    this.cmd = cmd;
  }
  check() {
    return true;
  }
  async run(_model, real) {
    await real.step(this.cmd);
    if (real.violations.length > 0) throw new Error(real.violations.join("\n"));
  }
  toString() {
    return JSON.stringify(this.cmd);
  }
}

/**
 * The property for one configuration (`{ backend, profile, executor }`): random command lists
 * of up to `maxCommands`, each from a seed fast-check also draws (the simulator's jitter).
 */
export function modelProperty(pkgs, config, maxCommands = 80) {
  return fc.asyncProperty(
    fc.commands([commandArb.map((cmd) => new Step(cmd))], { maxCommands, size: "large" }),
    fc.nat({ max: 2 ** 31 - 1 }),
    async (cmds, seed) => {
      const harness = new Harness(pkgs, { ...config, seed });
      await harness.prelude();
      await fc.asyncModelRun(() => ({ model: {}, real: harness }), cmds);
      const lost = await harness.finish();
      if (harness.violations.length > 0 || lost > 0) {
        throw new Error(`${lost} op(s) lost; ${harness.violations.join("\n")}`);
      }
    },
  );
}
