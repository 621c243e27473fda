import { describe, expect, it } from "vitest";
import { CallbackChain, combineChains } from "../src/index.js";

const inc = (x: number): number => x + 1;

describe("issue 10 defect 8: chains at scale", () => {
  it("defect 8: step() builds and runs a 100k-step chain (it copied every step: quadratic)", async () => {
    let chain = CallbackChain.start<number>();
    for (let i = 0; i < 100_000; i++) chain = chain.step(inc);
    expect(chain.length).toBe(100_000);
    await expect(chain.run(0)).resolves.toBe(100_000);
  });

  it("defect 8: combineChains takes a million parts as an array, and a 300k-step part (it spread them: RangeError)", async () => {
    const one = CallbackChain.start<number>().step(inc);
    const parts = new Array<CallbackChain<number, number>>(1_000_000).fill(one);
    const combined = combineChains(parts);
    expect(combined.length).toBe(1_000_000);
    let long = CallbackChain.start<number>();
    for (let i = 0; i < 300_000; i++) long = long.step(inc);
    const twice = combineChains(long, long);
    expect(twice.length).toBe(600_000);
    await expect(combineChains([one, one, one]).run(1)).resolves.toBe(4);
  });

  it("defect 8: chains stay immutable when two chains extend one parent (shared steps are never overwritten)", async () => {
    const base = CallbackChain.start<number>().step(inc);
    const double = base.step((x) => x * 2);
    const negate = base.step((x) => -x);
    const longer = double.step(inc);
    const branchOfDouble = double.step((x) => x * 100);
    expect([base.length, double.length, negate.length, longer.length, branchOfDouble.length]).toEqual([
      1, 2, 2, 3, 3,
    ]);
    await expect(base.run(1)).resolves.toBe(2);
    await expect(double.run(1)).resolves.toBe(4);
    await expect(negate.run(1)).resolves.toBe(-2);
    await expect(longer.run(1)).resolves.toBe(5);
    await expect(branchOfDouble.run(1)).resolves.toBe(400);
    // A chain combined from a branch is independent of later branches too.
    const combined = combineChains(negate, base);
    negate.step(() => 999);
    await expect(combined.run(1)).resolves.toBe(-1);
  });

  it("defect 8: combineChains refuses holes, non-chains and an empty call gives an empty chain", async () => {
    const one = CallbackChain.start<number>().step(inc);
    // biome-ignore lint/suspicious/noSparseArray: the sparse array is the bad input under test
    expect(() => combineChains([one, , one] as CallbackChain<number, number>[])).toThrow(
      /part 1 is not a CallbackChain/,
    );
    expect(() => combineChains(one, {} as CallbackChain<number, number>)).toThrow(TypeError);
    expect(() => combineChains([one, 5 as never])).toThrow(TypeError);
    const empty = combineChains([]);
    expect(empty.length).toBe(0);
    await expect(empty.run(7)).resolves.toBe(7);
  });
});
