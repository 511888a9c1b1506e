// Runs of joins, parts and quits folded into one line ("bob, carol joined · dave left"), as
// The Lounge and WeeChat do; a click shows them one by one again. No DOM here: app.js decides
// which lines form a run (`inRun`) and draws `runSummary` in place of the run.

export const RUN_KINDS = new Set(["join", "part", "quit"]);
export const MAX_NAMES = 4;

/** Is `line` part of a foldable run (someone else joining, leaving or quitting)? */
export function inRun(line) {
  return RUN_KINDS.has(line.kind) && Boolean(line.nick) && !line.self;
}

/** "bob, carol joined · dave left" for the run's lines; `t` translates (i18n.js). */
export function runSummary(lines, t) {
  const byKind = new Map();
  for (const line of lines) {
    if (!byKind.has(line.kind)) byKind.set(line.kind, []);
    const nicks = byKind.get(line.kind);
    if (!nicks.includes(line.nick)) nicks.push(line.nick);
  }
  const parts = [];
  for (const [kind, nicks] of byKind) {
    const shown = nicks.slice(0, MAX_NAMES).join(", ");
    const names = nicks.length > MAX_NAMES ? t("runs.more", { names: shown, count: nicks.length - MAX_NAMES }) : shown;
    parts.push(t(`runs.${kind}`, { names }));
  }
  return parts.join(" · ");
}
