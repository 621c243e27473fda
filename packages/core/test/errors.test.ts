import { ERROR_CODES, isNpuErrorCode, NpuError, NpuTypeError, toNpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";

describe("NpuError", () => {
  it("carries a stable code, a cause and details", () => {
    const cause = new Error("root");
    const e = new NpuError("KERNEL_FAILED", "kernel add failed", { cause, details: { kernel: "add" } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("NpuError");
    expect(e.code).toBe("KERNEL_FAILED");
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ kernel: "add" });
    expect(NpuError.isInstance(e)).toBe(true);
    expect(NpuError.isInstance(e, "KERNEL_FAILED")).toBe(true);
    expect(NpuError.isInstance(e, "INVALID_PARAM")).toBe(false);
  });

  it("isInstance recognises errors from a second copy of the module", async () => {
    // A query string makes the module loader evaluate the file again: a distinct class object,
    // as when two versions of @npurt/core are installed side by side.
    const path = "../src/errors/npu-error.ts?second-copy";
    const copy = (await import(/* @vite-ignore */ path)) as typeof import("../src/errors/npu-error.js");
    expect(copy.NpuError).not.toBe(NpuError);
    const foreign = new copy.NpuError("INVALID_HANDLE", "stale");
    expect(foreign instanceof NpuError).toBe(false);
    expect(NpuError.isInstance(foreign, "INVALID_HANDLE")).toBe(true);
    expect(copy.NpuError.isInstance(new NpuError("DEADLOCK", "x"))).toBe(true);
  });

  it("isInstance refuses look-alikes", () => {
    expect(NpuError.isInstance({ code: "INVALID_PARAM", message: "x" })).toBe(false);
    expect(NpuError.isInstance(new Error("x"))).toBe(false);
    expect(NpuError.isInstance(null)).toBe(false);
    expect(NpuError.isInstance("INVALID_PARAM")).toBe(false);
  });

  it("NpuTypeError is a TypeError with code INVALID_PARAM", () => {
    const e = new NpuTypeError("bytes must be a number", { got: "string" });
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe("INVALID_PARAM");
    expect(e.details).toEqual({ got: "string" });
    expect(NpuError.isInstance(e, "INVALID_PARAM")).toBe(true);
  });

  it("toNpuError keeps npurt errors and wraps anything else with a cause", () => {
    const original = new NpuError("DEADLOCK", "stuck");
    expect(toNpuError(original, "INTERNAL_ERROR")).toBe(original);
    const wrapped = toNpuError(new RangeError("bad"), "CALLBACK_FAILED");
    expect(wrapped.code).toBe("CALLBACK_FAILED");
    expect(wrapped.message).toBe("bad");
    expect(wrapped.cause).toBeInstanceOf(RangeError);
    expect(toNpuError("text", "CALLBACK_FAILED", "callback threw").message).toBe("callback threw");
    expect(toNpuError(42, "CALLBACK_FAILED").message).toBe("42");
  });

  it("every code has a description and numeric or null runtime counterparts", () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(info.description.length).toBeGreaterThan(10);
      for (const v of [info.cann, info.cuda]) expect(v === null || Number.isInteger(v)).toBe(true);
      expect(isNpuErrorCode(code)).toBe(true);
    }
    expect(isNpuErrorCode("NOPE")).toBe(false);
    expect(isNpuErrorCode(7)).toBe(false);
  });
});
