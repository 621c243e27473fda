import type { ShowcaseExample } from "../cli/example.js";
import { inferenceEngine } from "../examples/inference-engine.js";

/** The async inference engine: a callback chain per request. */
export const inferenceExample: ShowcaseExample = {
  name: "inference",
  title: "An asynchronous inference engine: a chain of callbacks per request",
  summary: "8 requests through preprocess → device forward pass → postprocess, checked against the CPU",
  sources: ["apps/examples/src/examples/inference-engine.ts"],
  async run({ term }) {
    term.paragraph(
      "The callback article's engine: each request is a chain of host steps (prepare the input, " +
        "run the model on the device, read the answer), each step starting when the one before it " +
        "finishes. The model (two matrix multiplications with a relu and a softmax) runs on its own " +
        "stream per request and is computed for real by the simulator, so each answer is compared " +
        "with the same model computed in plain JavaScript. The streams' host callbacks run on the " +
        "callbacks package's scheduler, which runs ready callbacks by priority, several per turn of " +
        "the event loop. All eight requests are in flight at once.",
    );
    term.line();
    const results = await inferenceEngine(8, (l) => term.line(`  ${l}`));
    const ok = results.filter((r) => r.matchesReference).length;
    term.line(
      `  ${term.style(ok === results.length ? "green" : "red", `${ok}/${results.length}`)} answers equal the CPU computation of the same model`,
    );
    return results;
  },
};
