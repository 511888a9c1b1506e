// Placing history (IRCv3 draft/chathistory) in a buffer's lines, without DOM or sockets.
// client.js asks for history and collects each chathistory batch; these functions decide where
// the batch goes and what to ask for next. A line is {time, exact, msgid, history, kind, ...}:
// `exact` means its time came from the server (server-time), so it can be compared and sent back.

/** Kinds of lines that only mark places in the log (not messages, never a history reference). */
export const MARKERS = new Set(["divider", "history-start"]);

/**
 * What to ask for to get lines older than everything shown: the oldest line with a server time,
 * as `msgid=` when it has one, else `timestamp=`. The new lines go just above that line.
 * With no such line (nothing from the server yet): the first line, or now, by timestamp.
 */
export function olderReference(lines, byTimestamp = false) {
  const line = lines.find((l) => l.exact && !MARKERS.has(l.kind)) || lines.find((l) => !MARKERS.has(l.kind)) || null;
  if (line && line.msgid && !byTimestamp) return { line, selector: `msgid=${line.msgid}` };
  const time = line ? line.time : new Date();
  return { line, selector: `timestamp=${time.toISOString()}` };
}

/**
 * Insert the lines of one chathistory batch (oldest first) into `lines` before index `at`,
 * skipping every msgid already shown (or repeated in the batch). Returns the inserted lines.
 */
export function insertHistory(lines, batch, at) {
  const known = new Set();
  for (const l of lines) if (l.msgid) known.add(l.msgid);
  const fresh = [];
  for (const l of batch) {
    if (l.msgid && known.has(l.msgid)) continue;
    if (l.msgid) known.add(l.msgid);
    fresh.push(l);
  }
  lines.splice(Math.max(0, Math.min(at, lines.length)), 0, ...fresh);
  return fresh;
}

/** Where the history of a (re)join goes: just above the "You joined" line, else at the end. */
export function joinAnchor(lines, joinLine) {
  const at = joinLine ? lines.indexOf(joinLine) : -1;
  return at < 0 ? lines.length : at;
}
