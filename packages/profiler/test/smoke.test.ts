import { it } from "vitest";
import { formatSummary, summarize, TraceRecorder } from "../src/index.js";
import { pipeline, simDevice } from "./fixtures.js";

it("smoke", async () => {
  const device = simDevice();
  const r = new TraceRecorder().attach(device);
  await pipeline(device, 8);
  console.log(formatSummary(summarize(r.recording())));
});
