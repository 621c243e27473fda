import { Instrumentation, type InstrumentationEvent } from "@npurt/core";
import { describe, expect, it, vi } from "vitest";

const event: InstrumentationEvent = { type: "stream.destroyed", time: 0, stream: 1 };

describe("Instrumentation", () => {
  it("is inactive without subscribers and delivers in subscription order", () => {
    const bus = new Instrumentation();
    expect(bus.active).toBe(false);
    const order: number[] = [];
    const off1 = bus.subscribe(() => order.push(1));
    bus.subscribe(() => order.push(2));
    expect(bus.active).toBe(true);
    bus.emit(event);
    expect(order).toEqual([1, 2]);
    off1();
    off1();
    bus.emit(event);
    expect(order).toEqual([1, 2, 2]);
  });

  it("a listener that unsubscribes during emit does not make the next one miss the event", () => {
    const bus = new Instrumentation();
    const seen: string[] = [];
    const off = bus.subscribe(() => {
      seen.push("a");
      off();
    });
    bus.subscribe(() => seen.push("b"));
    bus.emit(event);
    expect(seen).toEqual(["a", "b"]);
  });

  it("isolates a throwing listener: others still run, the emitter does not see the error", () => {
    const reported: unknown[] = [];
    const bus = new Instrumentation((e) => reported.push(e));
    const good = vi.fn();
    bus.subscribe(() => {
      throw new Error("bad listener");
    });
    bus.subscribe(good);
    expect(() => bus.emit(event)).not.toThrow();
    expect(good).toHaveBeenCalledWith(event);
    expect(reported).toHaveLength(1);
  });

  it("reports listener errors to console.error by default", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const bus = new Instrumentation();
    bus.subscribe(() => {
      throw new Error("x");
    });
    bus.emit(event);
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });

  it("refuses a listener that is not a function", () => {
    expect(() => new Instrumentation().subscribe(5 as never)).toThrow(TypeError);
  });
});
