// The three chains of a request, as the callback seed article's recommender builds them
// (feature extraction, model inference, result post-processing), combined into one chain per
// request. How each step waits for the device is the only thing the two versions change.
import { CallbackChain, combineChains } from "@npurt/callbacks";
import type { Stream } from "@npurt/streams";
import {
  enqueueFeatureExtraction,
  enqueueModel,
  enqueuePostProcessing,
  type ModelWeights,
  type RequestBuffers,
} from "./workload.js";

/** What flows through a request's chain. */
export interface RequestContext {
  readonly request: number;
  readonly stream: Stream;
  readonly buffers: RequestBuffers;
  /** The features the client sent (host memory). */
  readonly features: Uint8Array;
  /** Where the ranked scores land (host memory). */
  readonly scores: Uint8Array;
}

/** The host's last step: read the ranking (the best item's score byte). */
function rank(ctx: RequestContext): number {
  return ctx.scores[0] ?? 0;
}

/**
 * Naive: each stage submits its device work and then waits for the stream to finish it
 * (`synchronize`), so the host sits idle while the device works and the device sits idle while
 * the host wakes up and submits the next stage.
 */
export function synchronousRequestChain(model: ModelWeights): CallbackChain<RequestContext, number> {
  const features = CallbackChain.start<RequestContext>().step(
    async (ctx) => {
      enqueueFeatureExtraction(ctx.stream, ctx.features, model, ctx.buffers);
      await ctx.stream.synchronize();
      return ctx;
    },
    { label: "feature extraction" },
  );
  const inference = CallbackChain.start<RequestContext>().step(
    async (ctx) => {
      enqueueModel(ctx.stream, model, ctx.buffers);
      await ctx.stream.synchronize();
      return ctx;
    },
    { label: "model" },
  );
  const post = CallbackChain.start<RequestContext>().step(
    async (ctx) => {
      enqueuePostProcessing(ctx.stream, ctx.buffers, ctx.scores);
      await ctx.stream.synchronize();
      return rank(ctx);
    },
    { label: "post-processing" },
  );
  return combineChains(features, inference, post);
}

/**
 * Asynchronous: each stage only submits its device work to the request's stream (the stream
 * keeps the stages in order), and the last stage ends with a host callback that ranks the
 * result when the device is done. The host is free to serve other requests meanwhile, and the
 * request waits once, for its callback, instead of three times.
 */
export function asynchronousRequestChain(model: ModelWeights): CallbackChain<RequestContext, number> {
  const features = CallbackChain.start<RequestContext>().step(
    (ctx) => {
      enqueueFeatureExtraction(ctx.stream, ctx.features, model, ctx.buffers);
      return ctx;
    },
    { label: "feature extraction" },
  );
  const inference = CallbackChain.start<RequestContext>().step(
    (ctx) => {
      enqueueModel(ctx.stream, model, ctx.buffers);
      return ctx;
    },
    { label: "model" },
  );
  const post = CallbackChain.start<RequestContext>().step(
    async (ctx) => {
      enqueuePostProcessing(ctx.stream, ctx.buffers, ctx.scores);
      let ranked = 0;
      const done = ctx.stream.launchHostCallback(
        () => {
          ranked = rank(ctx);
        },
        { label: `rank request ${ctx.request}` },
      );
      await done.finished;
      return ranked;
    },
    { label: "post-processing" },
  );
  return combineChains(features, inference, post);
}
