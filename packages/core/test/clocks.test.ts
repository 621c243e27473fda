import { scheduleMacrotask, wallClock } from "@npurt/core";
import { VirtualClock } from "@npurt/core/testing";
import { describe, expect, it, vi } from "vitest";
import { type MacrotaskHost, macrotaskHop } from "../src/macrotask.js";

describe("VirtualClock", () => {
  it("fires timers in due order, ties in the order they were set, only when time reaches them", () => {
    const onTimerSet = vi.fn();
    const clock = new VirtualClock({ onTimerSet });
    const fired: string[] = [];
    clock.setTimer(200, () => fired.push("b"));
    clock.setTimer(100, () => fired.push("a1"));
    clock.setTimer(100, () => fired.push("a2"));
    const cancelled = clock.setTimer(150, () => fired.push("never"));
    clock.clearTimer(cancelled);
    expect(onTimerSet).toHaveBeenCalledTimes(4);
    expect(clock.pendingTimers).toBe(3);
    expect(clock.nextTimerAt()).toBe(100);
    expect(clock.fireDue()).toBe(0);
    clock.advanceTo(150);
    expect(clock.fireDue()).toBe(2);
    expect(fired).toEqual(["a1", "a2"]);
    clock.advanceTo(100);
    expect(clock.now()).toBe(150);
    clock.advanceTo(clock.nextTimerAt());
    clock.fireDue();
    expect(fired).toEqual(["a1", "a2", "b"]);
    expect(clock.nextTimerAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it("runs every due timer even if one throws, then rethrows the first error", () => {
    const clock = new VirtualClock();
    const after = vi.fn();
    clock.setTimer(0, () => {
      throw new Error("first");
    });
    clock.setTimer(0, after);
    expect(() => clock.fireDue()).toThrow("first");
    expect(after).toHaveBeenCalled();
  });

  it("refuses bad timer arguments and treats negative delays as zero", () => {
    const clock = new VirtualClock();
    expect(() => clock.setTimer("1" as never, () => {})).toThrow(TypeError);
    expect(() => clock.setTimer(1, null as never)).toThrow(TypeError);
    clock.setTimer(-5, () => {});
    expect(clock.nextTimerAt()).toBe(0);
  });
});

describe("wallClock", () => {
  it("measures real time in integer nanoseconds and fires and cancels timers", async () => {
    const clock = wallClock();
    expect(clock.mode).toBe("wall");
    const t0 = clock.now();
    expect(Number.isInteger(t0)).toBe(true);
    const fired = await new Promise<number>((resolve) => clock.setTimer(1e6, () => resolve(clock.now())));
    expect(fired).toBeGreaterThan(t0);
    const never = vi.fn();
    clock.clearTimer(clock.setTimer(1e6, never));
    clock.clearTimer(12345);
    await new Promise((r) => setTimeout(r, 5));
    expect(never).not.toHaveBeenCalled();
  });
});

describe("wallClock with long delays", () => {
  it("does not fire a timer longer than setTimeout's 2^31-1 ms limit early", () => {
    vi.useFakeTimers();
    try {
      const clock = wallClock();
      const fired = vi.fn();
      const thirtyDaysNs = 30 * 24 * 3600 * 1e9;
      clock.setTimer(thirtyDaysNs, fired);
      vi.advanceTimersByTime(1000);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(2 ** 31 - 1);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(30 * 24 * 3600 * 1000);
      expect(fired).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });

  it("can cancel a long timer between its steps", () => {
    vi.useFakeTimers();
    try {
      const clock = wallClock();
      const fired = vi.fn();
      const id = clock.setTimer(40 * 24 * 3600 * 1e9, fired);
      vi.advanceTimersByTime(2 ** 31);
      clock.clearTimer(id);
      vi.advanceTimersByTime(40 * 24 * 3600 * 1000);
      expect(fired).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("scheduleMacrotask", () => {
  it("runs after pending microtasks", async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      scheduleMacrotask(() => {
        order.push("macrotask");
        resolve();
      });
      queueMicrotask(() => order.push("microtask"));
    });
    expect(order).toEqual(["microtask", "macrotask"]);
  });
});

describe("macrotask hops off Node (issue 12: browsers clamp setTimeout(0) to 4 ms)", () => {
  const hopOrder = (hop: (callback: () => void) => void) =>
    new Promise<string[]>((resolve) => {
      const order: string[] = [];
      hop(() => order.push("first"));
      hop(() => {
        order.push("second");
        resolve(order);
      });
      queueMicrotask(() => order.push("microtask"));
    });

  it("uses a MessageChannel where there is no setImmediate: after microtasks, in order", async () => {
    let timeouts = 0;
    const hop = macrotaskHop({
      // Node's typings declare MessagePort as an EventEmitter; at run time it has `onmessage` too.
      MessageChannel: MessageChannel as unknown as MacrotaskHost["MessageChannel"],
      setTimeout: (callback: () => void, ms: number) => {
        timeouts++;
        return setTimeout(callback, ms);
      },
    });
    expect(await hopOrder(hop)).toEqual(["microtask", "first", "second"]);
    expect(timeouts).toBe(0);
  });

  it("falls back to setTimeout(0), and refuses a host with no hop at all", async () => {
    expect(await hopOrder(macrotaskHop({ setTimeout }))).toEqual(["microtask", "first", "second"]);
    expect(() => macrotaskHop({})).toThrow(TypeError);
  });
});
