// Run in a separate process by chrome-trace.test.ts (bundled with esbuild): records the seeded
// pipeline and prints its Chrome trace, to compare bytes across processes.
import { TraceRecorder, toChromeTrace } from "../src/index.js";
import { pipeline, simDevice } from "./fixtures.js";

const device = simDevice(11);
const recorder = new TraceRecorder().attach(device);
await pipeline(device, 5);
process.stdout.write(toChromeTrace(recorder.recording()));
