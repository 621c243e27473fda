import { expect, it } from "vitest";
import { toChromeTrace, TraceRecorder } from "../src/index.js";
import { pipeline, simDevice } from "./fixtures.js";

it("smoke", async () => {
  const device = simDevice();
  const r = new TraceRecorder().attach(device);
  await pipeline(device);
  const rec = r.recording();
  console.log(rec.queues, rec.streams, rec.ops.length, rec.names);
  const json = toChromeTrace(rec);
  console.log(json.slice(0, 4000));
  expect(JSON.parse(json).traceEvents.length).toBeGreaterThan(10);
});
