import { NpuError, NpuTypeError } from "@npurt/core";
import { check, describe as describeValue } from "@npurt/core/internal";
import { describe, expect, it } from "vitest";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NpuTypeError) return "TypeError";
    if (NpuError.isInstance(e)) return e.code;
    throw e;
  }
  return "ok";
}

describe("check", () => {
  it("numbers: TypeError for non-numbers, INVALID_PARAM for non-finite", () => {
    expect(check.number(1.5, "x")).toBe(1.5);
    expect(codeOf(() => check.number("1", "x"))).toBe("TypeError");
    expect(codeOf(() => check.number(Number.NaN, "x"))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.number(Number.NEGATIVE_INFINITY, "x"))).toBe("INVALID_PARAM");
  });

  it("integers: range and integrality", () => {
    expect(check.integer(3, "x", 0, 3)).toBe(3);
    expect(codeOf(() => check.integer(2.5, "x"))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.integer(-1, "x", 0))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.integer(9, "x", 0, 8))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.integer(2 ** 60, "x"))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.integer(null, "x"))).toBe("TypeError");
  });

  it("functions, strings, options and enumerations", () => {
    const f = () => 1;
    expect(check.func(f, "cb")).toBe(f);
    expect(codeOf(() => check.func({}, "cb"))).toBe("TypeError");
    expect(check.string("a", "s")).toBe("a");
    expect(codeOf(() => check.string(1, "s"))).toBe("TypeError");
    expect(check.options(undefined, "o")).toEqual({});
    expect(check.options({ a: 1 }, "o")).toEqual({ a: 1 });
    expect(codeOf(() => check.options([] as unknown as object, "o"))).toBe("TypeError");
    expect(codeOf(() => check.options(null as unknown as object, "o"))).toBe("TypeError");
    expect(check.oneOf("cann", ["cann", "cuda"], "profile")).toBe("cann");
    expect(codeOf(() => check.oneOf("rocm", ["cann", "cuda"], "profile"))).toBe("INVALID_PARAM");
    expect(codeOf(() => check.oneOf(1, ["cann", "cuda"], "profile"))).toBe("TypeError");
  });

  it("messages name the argument and describe what was given", () => {
    expect(() => check.number("12", "bytes")).toThrow('bytes must be a number, got the string "12"');
    expect(describeValue(null)).toBe("null");
    expect(describeValue([])).toBe("an array");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(() => 0)).toBe("a function");
    expect(describeValue(Symbol("s"))).toBe("a symbol");
    expect(describeValue(true)).toBe("boolean true");
    expect(describeValue(new Map())).toBe("an object (Map)");
    expect(describeValue(Object.create(null))).toBe("an object (no prototype)");
    expect(describeValue("x".repeat(50))).toContain("…");
  });
});
