// The byte writer behind the Chrome trace: numbers must print as JSON would print them (exactly,
// for integer nanoseconds), and text must survive being cut into chunks.
import { describe, expect, it } from "vitest";
import { TraceRecorder, toChromeTrace, writeChromeTrace } from "../src/index.js";
import { JsonBytes, lit } from "../src/internal/json-bytes.js";
import { mockDevice } from "./fixtures.js";

function written(fill: (w: JsonBytes) => void, capacity = 8): string {
  const chunks: Uint8Array[] = [];
  const w = new JsonBytes((b) => chunks.push(b.slice()), capacity);
  fill(w);
  w.flush();
  return Buffer.concat(chunks).toString("utf8");
}

describe("JsonBytes", () => {
  it("writes nanoseconds as exact microseconds without trailing zeros", () => {
    const cases = [
      0,
      5,
      50,
      500,
      1000,
      1234567,
      1234500,
      1234000,
      1000005,
      -2500,
      2 ** 40 + 7,
      Number.MAX_SAFE_INTEGER,
    ];
    const out = written((w) => {
      for (const ns of cases) {
        w.micros(ns);
        w.bytes(lit(" "));
      }
    });
    expect(out.trim().split(" ")).toEqual([
      "0",
      "0.005",
      "0.05",
      "0.5",
      "1",
      "1234.567",
      "1234.5",
      "1234",
      "1000.005",
      "-2.5",
      "1099511627.783",
      "9007199254740.991",
    ]);
  });

  it("writes other numbers as JSON.stringify does (fractions, huge values; null for NaN)", () => {
    const cases = [0, 7, -42, 2 ** 31, 2 ** 31 - 1, 1.5, 1e21, Number.NaN];
    const out = written((w) => {
      for (const n of cases) {
        w.num(n);
        w.bytes(lit(","));
      }
      w.micros(1500.25);
    });
    expect(out).toBe(`${cases.map((n) => JSON.stringify(n)).join(",")},${1500.25 / 1000}`);
  });

  it("writes a counter sample in one piece, and piece by piece for fractional times or a full buffer", () => {
    const head = lit('{"ts":');
    const args = lit(',"args":{"n":');
    const out = written((w) => {
      w.sample(head, 1500, args, 3);
      w.sample(head, 2500.5, args, -7); // a wall clock's fractional nanoseconds
      w.sample(head, 4000, args, 2 ** 40);
    }, 16);
    expect(out).toBe(
      '{"ts":1.5,"args":{"n":3}}{"ts":2.5005,"args":{"n":-7}}{"ts":4,"args":{"n":1099511627776}}',
    );
  });

  it("grows for a piece larger than its buffer and keeps order across flushes", () => {
    const big = "x".repeat(100);
    expect(
      written((w) => {
        w.text("ab");
        w.text(big);
        w.num(123456789);
      }),
    ).toBe(`ab${big}123456789`);
  });
});

describe("Chrome trace chunks", () => {
  it("keeps names in other scripts whole over a trace of several chunks", async () => {
    const device = mockDevice();
    const recorder = new TraceRecorder().attach(device);
    const q = device.createQueue();
    // Names of 3-byte characters over a trace of several 64 KiB chunks.
    for (let i = 0; i < 400; i++) device.enqueue(q, { kind: "kernel", name: `注意力-${i % 7}` });
    await device.drain(q);
    const chunks: string[] = [];
    writeChromeTrace(recorder.recording(), (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(1);
    const json = chunks.join("");
    expect(json).toBe(toChromeTrace(recorder.recording()));
    expect(json).not.toContain("\uFFFD");
    const names = new Set(
      (JSON.parse(json).traceEvents as { ph: string; pid: number; name: string }[])
        .filter((e) => e.ph === "X" && e.pid === 1)
        .map((e) => e.name),
    );
    expect(names).toEqual(new Set(Array.from({ length: 7 }, (_, i) => `注意力-${i}`)));
  });
});
