// Model-based tests (issue 10) of @npurt/streams with this package's CallbackScheduler as the
// host executor, on the simulated NPU and core's mock backend, in both profiles. The commands
// and the reference model are scripts/reliability/workload.mjs (see streams' model-based test
// for the FIFO executor).

import { fc } from "@fast-check/vitest";
import * as core from "@npurt/core";
import * as testing from "@npurt/core/testing";
import * as deviceSim from "@npurt/device-sim";
import * as streams from "@npurt/streams";
import { describe, it } from "vitest";
import { modelProperty } from "../../../scripts/reliability/model.mjs";
import * as callbacks from "../src/index.js";

const pkgs = { core, testing, deviceSim, streams, callbacks };

describe("model-based: streams with the callbacks scheduler as executor", () => {
  for (const backend of ["sim", "mock"] as const) {
    for (const profile of ["cann", "cuda"] as const) {
      it(`random programs keep every promise (${backend}, ${profile})`, async () => {
        await fc.assert(modelProperty(pkgs, { backend, profile, executor: "scheduler" }), {
          numRuns: 60,
          seed: 20261205,
        });
      });
    }
  }
});
