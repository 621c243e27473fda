import type { ShowcaseExample } from "./cli/example.js";
import { customBackendExample } from "./sections/custom-backend.js";
import { diagnosisExample } from "./sections/diagnosis.js";
import { inferenceExample } from "./sections/inference.js";
import { lifecycleExample } from "./sections/lifecycle.js";
import { pipelineExample } from "./sections/pipeline.js";
import { cannEventStatusExample, cudaAsyncApiExample } from "./sections/ported.js";
import { syncVsAsyncExample } from "./sections/sync-vs-async.js";

/** Every example, in the order the showcase runs them. */
export const EXAMPLES: readonly ShowcaseExample[] = [
  lifecycleExample,
  syncVsAsyncExample,
  inferenceExample,
  pipelineExample,
  diagnosisExample,
  customBackendExample,
  cudaAsyncApiExample,
  cannEventStatusExample,
];
