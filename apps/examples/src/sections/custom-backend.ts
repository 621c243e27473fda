import type { ShowcaseExample } from "../cli/example.js";
import { customBackend } from "../examples/custom-backend/custom-backend.js";

/** The same runtime on a backend written in this app. */
export const customBackendExample: ShowcaseExample = {
  name: "custom-backend",
  title: "Another device behind the same interface: kernels on the host, in wall time",
  summary: "a small DeviceBackend that computes on the host thread; it passes core's conformance suite",
  sources: [
    "apps/examples/src/examples/custom-backend/host-cpu-backend.ts",
    "apps/examples/test/custom-backend.test.ts",
  ],
  async run({ term }) {
    term.paragraph(
      "Everything above ran on the simulated NPU, but the runtime only talks to a device through " +
        "core's DeviceBackend interface: hardware queues, five kinds of operation (kernel, copy, " +
        "fill, and signal and wait on counters, from which events and host callbacks are built), " +
        "memory and completion reports. This backend, a few hundred lines in this app, runs kernels on " +
        "the host thread and reports real (wall-clock) time. Its test runs core's conformance suite " +
        "against it, the same checks the simulator passes; here the streams package runs on it " +
        "unchanged.",
    );
    term.line();
    return customBackend((l) => term.line(`  ${l}`));
  },
};
