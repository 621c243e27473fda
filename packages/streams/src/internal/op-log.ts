import { NpuError, type OpFailure } from "@npurt/core";
import type { OpHandle, OpHandleKind, OpHandleStatus } from "../op-handle.js";

// A stream's first chunk holds 4 ops: its 8 times are 64 bytes, the most V8 keeps on its heap
// for a typed array. One byte more and the array gets a backing store of its own (malloc, an
// external-memory account and a finalizer): ≈550 ns instead of ≈30 ns, which doubled the cost
// of creating a stream, launching one kernel and destroying it.
const FIRST_CHUNK = 4;
const MAX_CHUNK = 1024;
const STATUS: readonly OpHandleStatus[] = ["pending", "done", "failed", "aborted"];

/** Why an op failed or was discarded, kept until a handle asks (an error is built only then). */
interface StoredFailure {
  readonly failure: OpFailure | undefined;
  readonly stream: number;
  readonly opId: number;
}

/** A slot that did not end `done`: 2 failed, 3 aborted, with its error (or what builds it). */
interface Outcome {
  readonly code: 2 | 3;
  error: NpuError | StoredFailure;
}

/**
 * The outcomes of a run of consecutive ops of one stream: device times in one typed array, the
 * count of slots completed (ops complete in stream order, so a slot below it is settled), and
 * failures and watchers in maps made only when needed — one memory write per time and no other
 * per-op store on the completion path. The runtime holds a chunk
 * while it has pending ops; afterwards only the handles of its ops keep it, so a handle the user
 * dropped costs no retained object per op (retaining one object per queued op made submission
 * three times slower, through the garbage collector).
 */
export class OpChunk {
  /** Stream position of slot 0. */
  readonly base: number;
  readonly size: number;
  /** Slots completed so far (in order). */
  completed = 0;
  /** Start and end (ns) of each op, interleaved. */
  readonly times: Float64Array;
  /** The next chunk of the stream, once one was made. */
  next: OpChunk | undefined = undefined;
  /** The slots that failed or were aborted. */
  outcomes: Map<number, Outcome> | undefined = undefined;
  watchers: Map<number, (() => void)[]> | undefined = undefined;

  constructor(base: number, size: number) {
    this.base = base;
    this.size = size;
    this.times = new Float64Array(2 * size);
  }

  /** The status code of slot `i`: 0 pending, 1 done, 2 failed, 3 aborted. */
  codeAt(i: number): number {
    if (i >= this.completed) return 0;
    return this.outcomes?.get(i)?.code ?? 1;
  }

  /** The error of slot `i`, built on first request and kept. */
  errorAt(i: number): NpuError | undefined {
    const outcome = this.outcomes?.get(i);
    if (outcome === undefined) return undefined;
    const stored = outcome.error;
    if (stored instanceof NpuError) return stored;
    const f = stored.failure;
    const error = new NpuError(
      f?.code ?? "STREAM_ABORT",
      `stream ${stored.stream}: op ${stored.opId} was discarded: ${f?.message ?? "aborted"}`,
      { details: { stream: stored.stream, opId: stored.opId } },
    );
    outcome.error = error;
    return error;
  }

  /** Calls `fn` once slot `i` is settled (at once when it is). */
  onSettled(i: number, fn: () => void): void {
    if (i < this.completed) {
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
 * One stream's log of op outcomes, in stream order: chunks of growing size (4 slots up to 1024,
 * so an idle or rarely used stream stays small) for the ops not completed yet.
 */
export class OpLog {
  // A linked list rather than a queue: the completion path then reaches its chunk in one load,
  // which matters with many streams, whose logs the completions visit in turn.
  /** The oldest chunk with an op not completed, and the chunk new ops go to. */
  #head: OpChunk | undefined = undefined;
  #tail: OpChunk | undefined = undefined;

  /** The chunk that records the op at stream position `seq` (the next one enqueued). */
  slot(seq: number): OpChunk {
    const tail = this.#tail;
    if (tail !== undefined && seq < tail.base + tail.size) return tail;
    const chunk = new OpChunk(seq, tail === undefined ? FIRST_CHUNK : Math.min(tail.size * 2, MAX_CHUNK));
    if (tail === undefined) this.#head = chunk;
    else tail.next = chunk;
    this.#tail = chunk;
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
    const chunk = this.#head;
    if (chunk === undefined) return;
    const i = seq - chunk.base;
    chunk.times[2 * i] = startNs;
    chunk.times[2 * i + 1] = endNs;
    chunk.completed = i + 1;
    if (code !== 1) {
      if (chunk.outcomes === undefined) chunk.outcomes = new Map();
      chunk.outcomes.set(i, { code, error: (error ?? failure)! });
    }
    if (i === chunk.size - 1) {
      // Full and complete: the runtime lets go of it (handles may still hold it).
      this.#head = chunk.next;
      chunk.next = undefined;
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
    return STATUS[this.#chunk.codeAt(this.#i)]!;
  }

  get startNs(): number | undefined {
    return this.#i >= this.#chunk.completed ? undefined : this.#chunk.times[2 * this.#i];
  }

  get endNs(): number | undefined {
    return this.#i >= this.#chunk.completed ? undefined : this.#chunk.times[2 * this.#i + 1];
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
