import type { ShowcaseExample } from "../cli/example.js";
import { cannEventStatus } from "../examples/ported/cann-event-status.js";
import { cudaAsyncApi } from "../examples/ported/cuda-async-api.js";

/** NVIDIA's asyncAPI sample, line by line on npurt. */
export const cudaAsyncApiExample: ShowcaseExample = {
  name: "cuda-async-api",
  title: "A CUDA sample, ported call for call: asyncAPI",
  summary: "NVIDIA's asyncAPI sample (copy, kernel, copy, event; the CPU counts while it waits)",
  sources: ["apps/examples/src/examples/ported/cuda-async-api.ts"],
  async run({ term }) {
    term.paragraph(
      "NVIDIA's cuda-samples program asyncAPI, with each CUDA call replaced by its npurt " +
        "counterpart (the comments in the source name them), under the 'cuda' profile, which copies " +
        "CUDA's rules where they differ from CANN's. It queues a copy to the device, a kernel that " +
        "adds 26 to every number and a copy back, records an event, and lets the CPU count while it " +
        "polls the event; then it checks the numbers.",
    );
    term.line();
    return cudaAsyncApi(1 << 20, (l) => term.line(`  ${l}`));
  },
};

/** CANN's event-status sample on npurt. */
export const cannEventStatusExample: ShowcaseExample = {
  name: "cann-event-status",
  title: "A CANN sample, ported call for call: event status",
  summary: "Huawei CANN's event_status sample (a long kernel, an event queried before and after)",
  sources: ["apps/examples/src/examples/ported/cann-event-status.ts"],
  async run({ term }) {
    term.paragraph(
      "The CANN runtime sample 0_event_status (hicann/runtime), with each aclrt call replaced by " +
        "its npurt counterpart. A stream set to stop the device on a failure runs a long kernel that " +
        "adds one to a number and records an event; the host asks whether the event is complete " +
        "(0: not yet, 1: complete) before and after waiting for it, then reads the number back.",
    );
    term.line();
    return cannEventStatus((l) => term.line(`  ${l}`));
  },
};
