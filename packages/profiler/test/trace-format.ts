// A checker for the Trace Event Format's rules (the JSON Object Format of Google's "Trace Event
// Format" document): required fields per phase, matched B/E pairs, flow ids that pair (Flow v1's
// "s"/"f" events, and Flow v2's `bind_id` on slices: one `flow_out`, at least one `flow_in`, not
// before it), and timestamps that never go back on one track. Returns the problems it found.

interface TraceEvent {
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  name?: unknown;
  id?: unknown;
  args?: unknown;
  bind_id?: unknown;
  flow_in?: unknown;
  flow_out?: unknown;
}

export function traceProblems(json: string): string[] {
  const problems: string[] = [];
  let doc: { traceEvents?: unknown };
  try {
    doc = JSON.parse(json);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!Array.isArray(doc.traceEvents)) return ["no traceEvents array"];
  const lastTs = new Map<string, number>();
  const open = new Map<string, number>();
  const flows = new Map<string, { s: number; f: number }>();
  const boundFlows = new Map<string, { out: number; in: number; outTs: number; inTs: number }>();
  for (const [n, raw] of (doc.traceEvents as TraceEvent[]).entries()) {
    const e = raw;
    const where = `event ${n} (${String(e.ph)} ${String(e.name)})`;
    if (typeof e.ph !== "string") {
      problems.push(`${where}: no ph`);
      continue;
    }
    if (typeof e.name !== "string") problems.push(`${where}: no name`);
    if (typeof e.pid !== "number") problems.push(`${where}: no pid`);
    if (e.ph === "M") continue;
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts)) {
      problems.push(`${where}: no ts`);
      continue;
    }
    const track = e.ph === "C" ? `C ${e.pid} ${e.name}` : `${e.pid}:${e.tid}`;
    if (e.ph !== "C" && typeof e.tid !== "number") problems.push(`${where}: no tid`);
    if (e.ph === "X" || e.ph === "B" || e.ph === "E" || e.ph === "C") {
      const prev = lastTs.get(track);
      if (prev !== undefined && e.ts < prev)
        problems.push(`${where}: ts ${e.ts} before ${prev} on track ${track}`);
      lastTs.set(track, e.ts);
    }
    if (e.ph === "X" && (typeof e.dur !== "number" || e.dur < 0))
      problems.push(`${where}: X without a dur ≥ 0`);
    if (e.ph === "B") open.set(track, (open.get(track) ?? 0) + 1);
    if (e.ph === "E") {
      const depth = open.get(track) ?? 0;
      if (depth === 0) problems.push(`${where}: E without B`);
      else open.set(track, depth - 1);
    }
    if (e.ph === "C" && (typeof e.args !== "object" || e.args === null))
      problems.push(`${where}: counter without args`);
    if (e.flow_in !== undefined || e.flow_out !== undefined || e.bind_id !== undefined) {
      if (e.ph !== "X" && e.ph !== "B") problems.push(`${where}: a Flow v2 field on a non-slice event`);
      if (typeof e.bind_id !== "number" && typeof e.bind_id !== "string")
        problems.push(`${where}: flow without bind_id`);
      else if (e.flow_in !== true && e.flow_out !== true)
        problems.push(`${where}: bind_id without flow_in or flow_out`);
      else {
        const f = boundFlows.get(String(e.bind_id)) ?? { out: 0, in: 0, outTs: Infinity, inTs: -Infinity };
        if (e.flow_out === true) {
          f.out++;
          f.outTs = Math.min(f.outTs, e.ts);
        }
        if (e.flow_in === true) {
          f.in++;
          f.inTs = Math.max(f.inTs, e.ts);
        }
        boundFlows.set(String(e.bind_id), f);
      }
    }
    if (e.ph === "s" || e.ph === "f" || e.ph === "t") {
      if (typeof e.id !== "number" && typeof e.id !== "string") {
        problems.push(`${where}: flow without id`);
        continue;
      }
      const key = `${String((raw as { cat?: unknown }).cat)}:${e.id}`;
      const f = flows.get(key) ?? { s: 0, f: 0 };
      if (e.ph === "s") f.s++;
      if (e.ph === "f") f.f++;
      flows.set(key, f);
    }
  }
  for (const [track, depth] of open) if (depth > 0) problems.push(`track ${track}: ${depth} B without E`);
  for (const [id, f] of flows)
    if (f.s !== 1 || f.f !== 1) problems.push(`flow ${id}: ${f.s} starts, ${f.f} ends`);
  for (const [id, f] of boundFlows) {
    if (f.out !== 1 || f.in === 0) problems.push(`bind_id ${id}: ${f.out} flow_out, ${f.in} flow_in`);
    else if (f.inTs < f.outTs)
      problems.push(`bind_id ${id}: flow_in at ${f.inTs} before its flow_out at ${f.outTs}`);
  }
  return problems;
}
