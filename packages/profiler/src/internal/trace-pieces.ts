// The fixed parts of the Chrome trace's events, encoded once: a million-op trace writes a handful
// of these cached byte strings and numbers per op instead of building a string per event.
import { OP_KIND_NAMES, OP_STATUS_NAMES } from "../op-codes.js";
import type { Recording } from "../recording.js";
import { lit } from "./json-bytes.js";
import { type EngineKind, opLabel } from "./layout.js";

/** The host process. */
export const HOST_PID = 0;
/** The host's track of API calls. */
export const HOST_API_TID = 1;
/** The host's track of host callbacks. */
export const HOST_CALLBACK_TID = 2;
/** The host's first track of host waits (the synchronizes it awaited). */
export const HOST_WAIT_TID = 3;
/** The track id of lane `l` of the host waits (more than one when waits overlap). */
export function hostWaitTid(l: number): number {
  return l === 0 ? HOST_WAIT_TID : 1000 + l;
}
/** A queue's track id is this plus its queue id (engine lanes use ids below it). */
export const QUEUE_TID_BASE = 10_000;

const ENGINE_TID: Readonly<Record<EngineKind, number>> = { compute: 100, h2d: 10, d2h: 11, d2d: 12 };

/** The track id of lane `l` of an engine kind. */
export function engineTid(e: EngineKind, l: number): number {
  return ENGINE_TID[e] + (e === "compute" ? l : l * 1000);
}

const str = JSON.stringify;

/** The fixed parts of the events. Every event but the first opens with `sep`. */
export const L = {
  open: lit('{"displayTimeUnit":"ns","traceEvents":[\n'),
  sep: lit(",\n"),
  end: lit("\n]}\n"),
  meta: lit('{"ph":"M","pid":'),
  hostCall: lit(`,\n{"ph":"X","pid":${HOST_PID},"tid":${HOST_API_TID},"ts":`),
  callback: lit(`,\n{"ph":"X","pid":${HOST_PID},"tid":${HOST_CALLBACK_TID},"ts":`),
  id: lit(',"id":'),
  // An ok op's args hold only its id: its status is written when it says something.
  status: OP_STATUS_NAMES.map((s) => lit(s === "ok" ? "}}" : `,"status":"${s}"}}`)),
  statusFlow: OP_STATUS_NAMES.map((s) => lit(s === "ok" ? '},"bind_id":' : `,"status":"${s}"},"bind_id":`)),
  flowOut: lit(',"flow_out":true}'),
  flowIn: lit(',"flow_in":true}'),
  eventTail: lit(',"name":"event","cat":"dependency"}'),
  hostCounter: lit(`,\n{"ph":"C","pid":${HOST_PID},"ts":`),
  memoryArgs: lit(',"name":"device memory","args":{"bytes":'),
  depthArgs: lit(',"name":"queue","args":{"depth":'),
  busyArgs: lit(',"name":"host utilisation","args":{"busy":'),
  close2: lit("}}"),
};

const PH_CODE = { X: 0, s: 1, f: 2, C: 3 } as const;

/** The start of an event on one track, up to its `ts` value: `,\n{"ph":"X","pid":1,"tid":10003,"ts":`. */
export class TrackHeads {
  readonly #cache = new Map<number, Uint8Array>();

  /** `device` -1 is the host process; `tid` undefined for a process-wide counter. */
  get(ph: "X" | "s" | "f" | "C", device: number, tid: number | undefined): Uint8Array {
    // A number key (devices < 256, track ids well below 2^40): no string built per lookup.
    const key = ((tid === undefined ? 0 : tid + 1) * 512 + device + 1) * 4 + PH_CODE[ph];
    let b = this.#cache.get(key);
    if (b === undefined) {
      const bp = ph === "f" ? '"bp":"e",' : "";
      b = lit(`,\n{"ph":"${ph}",${bp}"pid":${device + 1}${tid === undefined ? "" : `,"tid":${tid}`},"ts":`);
      this.#cache.set(key, b);
    }
    return b;
  }
}

/** Which tail of an op's events {@link NameTails} gives. */
type Tail = 0 | 1 | 2 | 3;
const HOST: Tail = 0;
const HOST_FLOW: Tail = 1;
const QUEUE: Tail = 2;
const ENGINE: Tail = 3;
const TAILS = 4;

/** The end of an op's events from its name on, encoded once per name and kind. */
export class NameTails {
  readonly #rec: Recording;
  /** By `(name * kinds + kind) * TAILS + tail`. */
  readonly #cache: (Uint8Array | undefined)[] = [];

  constructor(rec: Recording) {
    this.#rec = rec;
  }

  /** `,"name":"launch add"}` */
  host(i: number): Uint8Array {
    return this.#get(i, HOST);
  }

  /** `,"name":"launch add","bind_id":` (the launch flow's id follows). */
  hostFlow(i: number): Uint8Array {
    return this.#get(i, HOST_FLOW);
  }

  /** `,"name":"add","args":{"op":` (the op id, its status and its launch flow follow). */
  queue(i: number): Uint8Array {
    return this.#get(i, QUEUE);
  }

  /** `,"name":"add"}` */
  engine(i: number): Uint8Array {
    return this.#get(i, ENGINE);
  }

  #get(i: number, tail: Tail): Uint8Array {
    const ops = this.#rec.ops;
    const n = ops.name[i]!;
    const kind = ops.kind[i]!;
    // Signal and wait ops are named by counter and value, unique per op: nothing to cache.
    if (n < 0) return this.#make(i, kind, tail);
    // One name can be a kernel's and a copy direction's (a kernel called "h2d"): key by both.
    const key = (n * OP_KIND_NAMES.length + kind) * TAILS + tail;
    let b = this.#cache[key];
    if (b === undefined) {
      b = this.#make(i, kind, tail);
      this.#cache[key] = b;
    }
    return b;
  }

  #make(i: number, kind: number, tail: Tail): Uint8Array {
    const label = opLabel(this.#rec, i);
    // The host API call that enqueued a kernel is its launch.
    const host = kind === 0 ? `launch ${label}` : label;
    switch (tail) {
      case HOST:
        return lit(`,"name":${str(host)}}`);
      case HOST_FLOW:
        return lit(`,"name":${str(host)},"bind_id":`);
      case QUEUE:
        return lit(`,"name":${str(label)},"args":{"op":`);
      default:
        return lit(`,"name":${str(label)}}`);
    }
  }
}
