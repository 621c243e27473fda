import { describe, expect, it } from "vitest";
import { setup, timed } from "./harness.js";

describe("paced time mode", () => {
  it("plays the same timeline back at wall speed × paceScale", async () => {
    const run = async (timeMode: "virtual" | "paced") => {
      // 4 ms of virtual time; at paceScale 5 that is 20 ms of wall time.
      const s = setup({ preset: "tiny", timeMode, paceScale: 5, seed: 1, jitter: 0.1 });
      const q = s.queue();
      for (let i = 0; i < 4; i++) s.device.enqueue(q, timed(900_000));
      const t0 = performance.now();
      await s.device.drain(q);
      return { wallMs: performance.now() - t0, log: s.log, virtualNs: s.device.clock.now() };
    };
    const virtual = await run("virtual");
    const paced = await run("paced");
    expect(paced.log).toEqual(virtual.log);
    expect(paced.virtualNs).toBe(virtual.virtualNs);
    // Only a lower bound: wall time can run long on a busy machine, never short.
    expect(paced.wallMs).toBeGreaterThanOrEqual(((virtual.log.at(-1)!.endNs - 3_000) * 5) / 1e6 - 2);
  });

  it("close stops a paced playback that is waiting on the wall clock", async () => {
    const s = setup({ preset: "tiny", timeMode: "paced", paceScale: 1000 });
    const q = s.queue();
    s.device.enqueue(q, timed(1_000_000)); // 1 s of wall time at this scale
    await new Promise((r) => setTimeout(r, 10));
    const late: string[] = []; // a report after close would show here, as an out-of-contract completion
    s.device.instrumentation.subscribe((e) => void (e.type === "error" && late.push(e.message)));
    s.device.close();
    await new Promise((r) => setTimeout(r, 10));
    // The backend reports nothing after close; core's Device reports the op it dropped.
    expect(s.log.map((c) => [c.status, c.failure?.code])).toEqual([["aborted", "DEVICE_CLOSED"]]);
    expect(late).toEqual([]);
  });
});
