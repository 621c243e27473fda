import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { reduceStreamState, type StreamAction, type StreamState } from "../src/index.js";

const STATES: StreamState[] = [
  "CREATING",
  "READY",
  "RUNNING",
  "BLOCKED",
  "COMPLETED",
  "DESTROYED",
  "ABORTED",
];
const ACTIONS: StreamAction[] = [
  "created",
  "submit",
  "block",
  "unblock",
  "drain",
  "abort",
  "recover",
  "destroy",
  "reuse",
];

describe("reduceStreamState", () => {
  it("follows the seed article's lifecycle", () => {
    let s: StreamState = "CREATING";
    for (const [action, expected] of [
      ["created", "READY"],
      ["submit", "RUNNING"],
      ["block", "BLOCKED"],
      ["unblock", "RUNNING"],
      ["drain", "COMPLETED"],
      ["submit", "RUNNING"],
      ["abort", "ABORTED"],
      ["recover", "COMPLETED"],
      ["destroy", "DESTROYED"],
      ["reuse", "CREATING"],
    ] as const) {
      s = reduceStreamState(s, action);
      expect(s).toBe(expected);
    }
  });

  it("refuses every transition out of DESTROYED except pool reuse, with INVALID_HANDLE", () => {
    for (const action of ACTIONS) {
      if (action === "reuse") continue;
      expect(() => reduceStreamState("DESTROYED", action)).toThrow(
        expect.objectContaining({ code: "INVALID_HANDLE", message: expect.stringContaining("destroyed") }),
      );
    }
  });

  it("refuses illegal transitions with a coded error naming the state and action", () => {
    const illegal: [StreamState, StreamAction][] = [
      ["READY", "drain"],
      ["READY", "block"],
      ["COMPLETED", "unblock"],
      ["ABORTED", "submit"],
      ["CREATING", "submit"],
      ["RUNNING", "created"],
    ];
    for (const [state, action] of illegal) {
      try {
        reduceStreamState(state, action);
        expect.unreachable();
      } catch (e) {
        expect(NpuError.isInstance(e, "INVALID_HANDLE")).toBe(true);
        expect((e as Error).message).toContain(state);
        expect((e as Error).message).toContain(action);
      }
    }
  });

  it("every state can be destroyed once, and only DESTROYED cannot", () => {
    for (const s of STATES) {
      if (s === "DESTROYED") expect(() => reduceStreamState(s, "destroy")).toThrow();
      else expect(reduceStreamState(s, "destroy")).toBe("DESTROYED");
    }
  });
});
