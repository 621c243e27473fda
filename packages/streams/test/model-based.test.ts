// Model-based tests (issue 10) over the public API of streams with the FIFO host executor, on the
// simulated NPU and on core's mock backend, in both profiles: fast-check command sequences of
// stream and event lifecycles, kernels (some failing, some hanging), copies and fills, records
// and waits (plain and future), host callbacks (throwing, async, blocking or not), synchronize
// with timeouts, abort, force destroy, allocate and free, device lost and close, checked after
// every step by the reference model in scripts/reliability/workload.mjs. The same with the
// callbacks scheduler as executor lives in packages/callbacks/test/model-based.test.ts.

import { fc } from "@fast-check/vitest";
import * as core from "@npurt/core";
import * as testing from "@npurt/core/testing";
import * as deviceSim from "@npurt/device-sim";
import { describe, it } from "vitest";
import { modelProperty } from "../../../scripts/reliability/model.mjs";
import * as streams from "../src/index.js";

const pkgs = { core, testing, deviceSim, streams, callbacks: undefined };

describe("model-based: streams with the FIFO executor", () => {
  for (const backend of ["sim", "mock"] as const) {
    for (const profile of ["cann", "cuda"] as const) {
      it(`random programs keep every promise (${backend}, ${profile})`, async () => {
        await fc.assert(modelProperty(pkgs, { backend, profile, executor: "fifo" }), {
          numRuns: 60,
          seed: 20261204,
        });
      });
    }
  }
});
