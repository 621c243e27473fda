import type { Clock } from "@npurt/core";

/** What a closed-loop load run measured. */
export interface LoadResult {
  /** Virtual time from the first request's start to the last one's end, ns. */
  readonly spanNs: number;
  readonly startNs: number;
  readonly endNs: number;
  /** Each request's latency (from when its client sent it to its result), ns, in request order. */
  readonly latenciesNs: Float64Array;
}

/**
 * Runs `requests` requests from `clients` concurrent clients, each sending its next request as
 * soon as its previous one returned (a closed loop, as a load generator with a fixed number of
 * connections does). `serve` handles one request; its latency is measured on `clock`.
 */
export async function closedLoop(
  clock: Clock,
  requests: number,
  clients: number,
  serve: (request: number, client: number) => Promise<void>,
  onDone: (done: number) => void = () => {},
): Promise<LoadResult> {
  const latencies = new Float64Array(requests);
  let next = 0;
  let done = 0;
  const startNs = clock.now();
  const client = async (_: unknown, index: number) => {
    while (next < requests) {
      const request = next++;
      const sent = clock.now();
      await serve(request, index);
      latencies[request] = clock.now() - sent;
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(clients, requests) }, client));
  const endNs = clock.now();
  return { spanNs: endNs - startNs, startNs, endNs, latenciesNs: latencies };
}

/** The nearest-rank percentile `p` (0–100) of `values`, or 0 for none. */
export function percentile(values: Float64Array, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
