import { NpuError, type OpFailure, RingQueue } from "@npurt/core";
import type { OpHandle, OpHandleKind, OpHandleStatus } from "../op-handle.js";

const FIRST_CHUNK = 8;
const MAX_CHUNK = 1024;
const STATUS: readonly OpHandleStatus[] = ["pending", "done", "failed", "aborted"];

/** Why an op failed or was discarded, kept until a handle asks (an error is built only then). */
interface StoredFailure {
  readonly failure: OpFailure | undefined;
  readonly stream: number;
  readonly opId: number;
}

/**
 * The outcomes of a run of consecutive ops of one stream: status codes and device times in
 * typed arrays, failures and watchers in maps made only when needed. The runtime holds a chunk
 * while it has pending ops; afterwards only the handles of its ops keep it, so a handle the user
 * dropped costs no retained object per op (retaining one object per queued op made submission
 * three times slower, through the garbage collector).
 */
export class OpChunk {
  /** Stream position of slot 0. */
  readonly base: number;
  readonly size: number;
  readonly status: Uint8Array;
  /** Start and end (ns) of each op, interleaved. */
  readonly times: Float64Array;
  errors: Map<number, NpuError | StoredFailure> | undefined = undefined;
  watchers: Map<number, (() => void)[]> | undefined = undefined;

  constructor(base: number, size: number) {
    this.base = base;
    this.size = size;
    this.status = new Uint8Array(size);
    this.times = new Float64Array(2 * size);
  }

  /** The error of slot `i`, built on first request and kept. */
  errorAt(i: number): NpuError | undefined {
    const stored = this.errors?.get(i);
    if (stored === undefined || stored instanceof NpuError) return stored;
    const f = stored.failure;
    const error = new NpuError(
      f?.code ?? "STREAM_ABORT",
      `stream ${stored.stream}: op ${stored.opId} was discarded: ${f?.message ?? "aborted"}`,
      { details: { stream: stored.stream, opId: stored.opId } },
    );
    this.errors!.set(i, error);
    return error;
  }

  /** Calls `fn` once slot `i` is settled (at once when it is). */
  onSettled(i: number, fn: () => void): void {
    if (this.status[i] !== 0) {
      fn();
      return;
    }
    if (this.watchers === undefined) this.watchers = new Map();
    const list = this.watchers.get(i);
    if (list === undefined) this.watchers.set(i, [fn]);
    else list.push(fn);
  }
}

/**
 * One stream's log of op outcomes, in stream order: chunks of growing size (8 slots up to 1024,
 * so an idle or rarely used stream stays small) for the ops not completed yet.
 */
export class OpLog {
  readonly #chunks = new RingQueue<OpChunk>(2);
  #tail: OpChunk | undefined = undefined;

  /** The chunk that records the op at stream position `seq` (the next one enqueued). */
  slot(seq: number): OpChunk {
    const tail = this.#tail;
    if (tail !== undefined && seq < tail.base + tail.size) return tail;
    const chunk = new OpChunk(seq, tail === undefined ? FIRST_CHUNK : Math.min(tail.size * 2, MAX_CHUNK));
    this.#tail = chunk;
    this.#chunks.push(chunk);
    return chunk;
  }

  /**
   * Records the outcome of the op at `seq` (ops complete in stream order). `error` is the error
   * of a failed op; an aborted op's error is built from `failure` when a handle asks for it.
   */
  complete(
    seq: number,
    code: 1 | 2 | 3,
    startNs: number,
    endNs: number,
    error: NpuError | undefined,
    failure: StoredFailure | undefined,
  ): void {
    const chunk = this.#chunks.peek();
    if (chunk === undefined) return;
    const i = seq - chunk.base;
    chunk.status[i] = code;
    chunk.times[2 * i] = startNs;
    chunk.times[2 * i + 1] = endNs;
    const stored = error ?? failure;
    if (stored !== undefined) {
      if (chunk.errors === undefined) chunk.errors = new Map();
      chunk.errors.set(i, stored);
    }
    if (i === chunk.size - 1) {
      this.#chunks.shift();
      if (this.#tail === chunk) this.#tail = undefined;
    }
    const watchers = chunk.watchers?.get(i);
    if (watchers !== undefined) {
      chunk.watchers!.delete(i);
      for (const fn of watchers) fn();
    }
  }
}

/** The handle of a device op (kernel, copy, fill, record, wait): a view of its slot in the log. */
export class DeviceOpHandle implements OpHandle {
  readonly kind: OpHandleKind;
  readonly stream: number;
  readonly #chunk: OpChunk;
  readonly #i: number;
  #finished: Promise<OpHandle> | undefined = undefined;

  constructor(kind: OpHandleKind, stream: number, chunk: OpChunk, seq: number) {
    this.kind = kind;
    this.stream = stream;
    this.#chunk = chunk;
    this.#i = seq - chunk.base;
  }

  get status(): OpHandleStatus {
    return STATUS[this.#chunk.status[this.#i]!]!;
  }

  get startNs(): number | undefined {
    return this.#chunk.status[this.#i] === 0 ? undefined : this.#chunk.times[2 * this.#i];
  }

  get endNs(): number | undefined {
    return this.#chunk.status[this.#i] === 0 ? undefined : this.#chunk.times[2 * this.#i + 1];
  }

  get error(): NpuError | undefined {
    return this.#chunk.errorAt(this.#i);
  }

  get finished(): Promise<OpHandle> {
    if (this.#finished === undefined) {
      this.#finished = new Promise<OpHandle>((resolve, reject) => {
        this.onSettled(() => {
          const error = this.error;
          if (error === undefined) resolve(this);
          else reject(error);
        });
      });
    }
    return this.#finished;
  }

  /** Calls `fn` once the op settled (at once when it has). */
  onSettled(fn: () => void): void {
    this.#chunk.onSettled(this.#i, fn);
  }
}
