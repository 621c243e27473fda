import type { CycleReport, GraphValidation, NodeDiagnostics, NodeId } from "../graph-report.js";

/**
 * The result of `CallbackGraph.validate()`. Its `toString()` prints user text (labels) escaped
 * and bounded, so a label holding a newline cannot add a line to the listing, and names each
 * node with its id, so two nodes with one label stay apart.
 *
 * @param text - how a node is named in the listing (escaped, bounded label and id).
 */
export function validationReport(
  nodes: readonly NodeDiagnostics[],
  roots: readonly NodeId[],
  cycle: CycleReport | undefined,
  text: (v: NodeId) => string,
): GraphValidation {
  return {
    ok: cycle === undefined,
    cycle,
    nodes,
    roots,
    toString() {
      const lines = nodes.map(
        (d) => `${text(d.id)}: pending=${d.pending} dependents=${d.dependents} status=${d.status}`,
      );
      if (cycle !== undefined) lines.push(`cycle: ${cycle.nodes.map(text).join(" → ")}`);
      return lines.join("\n");
    },
  };
}
