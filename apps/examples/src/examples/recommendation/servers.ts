import type { Device } from "@npurt/core";
import type { StreamManager } from "@npurt/streams";
import { asynchronousRequestChain, type RequestContext, synchronousRequestChain } from "./request-chains.js";
import { StreamLease } from "./stream-lease.js";
import { allocateRequest, type ModelWeights, releaseRequest } from "./workload.js";

/** Serves one request from `client`; resolves when its answer is back on the host. */
export type Serve = (request: number, client: number) => Promise<void>;

/** A way of serving requests, and how to tidy up after the last one. */
export interface RequestServer {
  readonly serve: Serve;
  close(): Promise<void>;
}

/** Host memory per client: a client sends one request at a time, so its buffers are reused. */
export interface ClientBuffers {
  readonly features: readonly Uint8Array[];
  readonly scores: readonly Uint8Array[];
}

function context(
  device: Device,
  host: ClientBuffers,
  request: number,
  client: number,
  stream: RequestContext["stream"],
): RequestContext {
  return {
    request,
    stream,
    buffers: allocateRequest(device),
    features: host.features[client]!,
    scores: host.scores[client]!,
  };
}

/** Naive: every request on one shared stream, waiting for the device after each step. */
export function naiveServer(
  device: Device,
  manager: StreamManager,
  model: ModelWeights,
  host: ClientBuffers,
): RequestServer {
  const shared = manager.create();
  const chain = synchronousRequestChain(model);
  return {
    async serve(request, client) {
      const ctx = context(device, host, request, client, shared);
      try {
        await chain.run(ctx, { clock: device.clock });
      } finally {
        releaseRequest(device, ctx.buffers);
      }
    },
    close: () => shared.destroy(),
  };
}

/**
 * Pooled: each request takes one of `streams` streams (served from the manager's pool), queues
 * its three steps without waiting and learns it is done from a host callback.
 */
export function pooledServer(
  device: Device,
  manager: StreamManager,
  model: ModelWeights,
  host: ClientBuffers,
  streams: number,
): RequestServer {
  const lease = new StreamLease(manager, streams);
  const chain = asynchronousRequestChain(model);
  return {
    async serve(request, client) {
      const stream = await lease.acquire();
      const ctx = context(device, host, request, client, stream);
      try {
        await chain.run(ctx, { clock: device.clock });
      } finally {
        releaseRequest(device, ctx.buffers);
        await lease.release(stream);
      }
    },
    close: async () => {},
  };
}
