// Random programs for the reliability harness: the operations, their weights, and a seeded
// generator, so the same seed gives the same program in the soak, in tests and in a replay.

/** The operations a program is made of; indices pick among live objects, modulo their count. */
export const OPS = [
  "createStream",
  "destroyStream",
  "createEvent",
  "destroyEvent",
  "launch",
  "copy",
  "record",
  "wait",
  "hostCallback",
  "synchronize",
  "abort",
  "allocate",
  "free",
  "deviceLost",
  "useDestroyed",
  "close",
  "advance",
];

/** A seeded generator (mulberry32): the same seed gives the same program. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weights of the ops in random programs (faults are rare, ordinary work common). */
export const WEIGHTS = {
  createStream: 6,
  destroyStream: 2,
  createEvent: 3,
  destroyEvent: 1,
  launch: 14,
  copy: 4,
  record: 6,
  wait: 5,
  hostCallback: 6,
  synchronize: 5,
  abort: 1,
  allocate: 3,
  free: 2,
  deviceLost: 0.15,
  useDestroyed: 1,
  close: 0.1,
  advance: 4,
};

/** One random command, drawn with `rand` (a function returning [0, 1)). */
export function randomCommand(rand) {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let r = rand() * total;
  let op = "advance";
  for (const [name, w] of Object.entries(WEIGHTS)) {
    if (r < w) {
      op = name;
      break;
    }
    r -= w;
  }
  return {
    op,
    a: Math.floor(rand() * 1024),
    b: Math.floor(rand() * 1024),
    c: Math.floor(rand() * 1024),
  };
}

/** A random program of `length` commands from `seed`. */
export function randomProgram(seed, length) {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < length; i++) out.push(randomCommand(rand));
  return out;
}
