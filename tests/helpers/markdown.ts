// Reads fenced code blocks and links out of markdown, with the line each starts on.

/** A fenced code block. */
export interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, …). */
  readonly lang: string;
  /** The info string's other words (`no-run`, `continues`). */
  readonly flags: readonly string[];
  readonly code: string;
}

/** The fenced code blocks of `text`, in order. */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const close = line.trim();
      // A closing fence: only the opening's character, at least as many of them.
      if (close.length >= fence!.length && close === fence![0]!.repeat(close.length)) break;
      body.push(line.startsWith(indent!) ? line.slice(indent!.length) : line);
    }
    const [lang = "", ...flags] = info!.trim().split(/\s+/).filter(Boolean);
    blocks.push({ line: i + 1, lang, flags, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** A markdown link or image target, outside code. */
export interface Link {
  readonly line: number;
  readonly target: string;
}

/** The link targets of `text` (inline `[x](target)`, images, and `[x]: target` definitions), code excluded. */
export function links(text: string): Link[] {
  const found: Link[] = [];
  let inFence = false;
  text.split("\n").forEach((raw, index) => {
    if (/^\s*(`{3,}|~{3,})/.test(raw)) inFence = !inFence;
    if (inFence) return;
    const line = raw.replace(/`[^`]*`/g, "");
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      found.push({ line: index + 1, target: m[1]! });
    const def = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (def) found.push({ line: index + 1, target: def[1]! });
    for (const m of line.matchAll(/<(?:img|a)\s[^>]*(?:src|href)="([^"]+)"/g))
      found.push({ line: index + 1, target: m[1]! });
  });
  return found;
}
