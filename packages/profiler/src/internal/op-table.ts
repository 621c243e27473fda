const KIND_CODE: Readonly<Record<string, number>> = { kernel: 0, copy: 1, fill: 2, signal: 3, wait: 4 };
const STATUS_CODE: Readonly<Record<string, number>> = { ok: 1, error: 2, aborted: 3 };

/** The code of an op kind in `OP_KIND_NAMES`. */
export function kindCode(kind: string): number {
  return KIND_CODE[kind] ?? 5;
}

/** The code of an op status in `OP_STATUS_NAMES`. */
export function statusCode(status: string): number {
  return STATUS_CODE[status] ?? 0;
}

/** Bytes of one row over all columns: four 8-byte, five 4-byte and three 1-byte columns. */
const BYTES_PER_ROW = 4 * 8 + 5 * 4 + 3;

/**
 * Ops in columns of typed arrays, one row per op, so that a million-op trace holds about 55 bytes
 * per op rather than an object's few hundred (the ≤ 64 bytes per record goal).
 */
export class OpTable {
  /** Rows in use. */
  length = 0;
  /** Host time the op was handed to the backend (ns). */
  enqueueNs = new Float64Array(0);
  /** Host time of the event before the enqueue: the host call took at most `enqueueNs - hostStartNs`. */
  hostStartNs = new Float64Array(0);
  /** Device-clock start (ns); `NaN` until completed. */
  startNs = new Float64Array(0);
  /** Device-clock end (ns); `NaN` until completed. */
  endNs = new Float64Array(0);
  /** The core op id. */
  opId = new Int32Array(0);
  /** The backend queue id. */
  queue = new Int32Array(0);
  /** Index into the recording's name table, or -1 for signal and wait ops (named by counter). */
  name = new Int32Array(0);
  /** Timeline counter of a signal or wait op, else -1. */
  counter = new Int32Array(0);
  /** Counter value of a signal or wait op, else 0. */
  value = new Int32Array(0);
  /** Device index. */
  device = new Uint8Array(0);
  /** Code into `OP_KIND_NAMES`. */
  kind = new Uint8Array(0);
  /** Code into `OP_STATUS_NAMES`. */
  status = new Uint8Array(0);

  /** Appends a row and returns its index. */
  add(): number {
    if (this.length === this.opId.length) this.#grow(Math.max(1024, this.length * 2));
    const i = this.length++;
    this.startNs[i] = Number.NaN;
    this.endNs[i] = Number.NaN;
    this.counter[i] = -1;
    return i;
  }

  /** Bytes the columns hold (their capacity, not just the rows in use). */
  get byteLength(): number {
    return this.opId.length * BYTES_PER_ROW;
  }

  #grow(capacity: number): void {
    const f = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    const i = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    const u = (a: Uint8Array) => {
      const b = new Uint8Array(capacity);
      b.set(a);
      return b;
    };
    this.enqueueNs = f(this.enqueueNs);
    this.hostStartNs = f(this.hostStartNs);
    this.startNs = f(this.startNs);
    this.endNs = f(this.endNs);
    this.opId = i(this.opId);
    this.queue = i(this.queue);
    this.name = i(this.name);
    this.counter = i(this.counter);
    this.value = i(this.value);
    this.device = u(this.device);
    this.kind = u(this.kind);
    this.status = u(this.status);
  }
}
