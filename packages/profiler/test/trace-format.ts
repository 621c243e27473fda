// A checker for the Trace Event Format's rules (the JSON Object Format of Google's "Trace Event
// Format" document): required fields per phase, matched B/E pairs, flow ids that pair, and
// timestamps that never go back on one track. Returns the problems it found.

interface TraceEvent {
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  name?: unknown;
  id?: unknown;
  args?: unknown;
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
  return problems;
}
