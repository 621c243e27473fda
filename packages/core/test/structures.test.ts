import { fc, test } from "@fast-check/vitest";
import { PriorityHeap, RingQueue } from "@npurt/core/internal";
import { describe, expect, it } from "vitest";

describe("PriorityHeap", () => {
  test.prop([fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.nat()), { maxLength: 300 })])(
    "pops by priority, then in push order (stable)",
    (items) => {
      const heap = new PriorityHeap<number>(2);
      for (const [i, [p]] of items.entries()) heap.push(i, p);
      const expected = items
        .map(([p], i) => ({ p, i }))
        .sort((a, b) => a.p - b.p || a.i - b.i)
        .map((x) => x.i);
      const out: number[] = [];
      while (heap.size > 0) out.push(heap.pop()!);
      expect(out).toEqual(expected);
    },
  );

  test.prop([fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(-1)), { maxLength: 400 })])(
    "interleaved pushes and pops agree with a sorted-array model",
    (script) => {
      const heap = new PriorityHeap<number>();
      const model: { p: number; seq: number }[] = [];
      let seq = 0;
      for (const step of script) {
        if (step < 0) {
          model.sort((a, b) => a.p - b.p || a.seq - b.seq);
          expect(heap.peek()).toBe(model[0]?.seq);
          expect(heap.peekPriority()).toBe(model[0]?.p ?? Number.POSITIVE_INFINITY);
          expect(heap.pop()).toBe(model.shift()?.seq);
        } else {
          heap.push(seq, step);
          model.push({ p: step, seq: seq++ });
        }
        expect(heap.size).toBe(model.length);
      }
    },
  );

  it("clear empties it and toArray lists what is held", () => {
    const heap = new PriorityHeap<string>();
    expect(heap.pop()).toBeUndefined();
    heap.push("a", 1);
    heap.push("b", 0);
    expect(heap.toArray().sort()).toEqual(["a", "b"]);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });
});

describe("RingQueue", () => {
  test.prop([fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 500 })])(
    "behaves like an array used as a FIFO",
    (script) => {
      const q = new RingQueue<number>(1);
      const model: number[] = [];
      for (const step of script) {
        if (step === null) expect(q.shift()).toBe(model.shift());
        else {
          q.push(step);
          model.push(step);
        }
        expect(q.size).toBe(model.length);
        expect(q.peek()).toBe(model[0]);
      }
      expect([...q]).toEqual(model);
      expect(q.at(0)).toBe(model[0]);
      expect(q.at(-1)).toBeUndefined();
      expect(q.at(model.length)).toBeUndefined();
      expect(q.drain()).toEqual(model);
      expect(q.size).toBe(0);
    },
  );

  it("keeps undefined items (drain does not stop at them)", () => {
    const q = new RingQueue<number | undefined>();
    q.push(undefined);
    q.push(2);
    expect(q.drain()).toEqual([undefined, 2]);
  });
});
