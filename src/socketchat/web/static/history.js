// Placing history (IRCv3 draft/chathistory) in a buffer's lines, without DOM or sockets.
// `HistoryMethods` (mixed into ChatCore) ask for history and collect each chathistory batch; the
// functions decide where the batch goes and what to ask for next. Mirrors client/history.py. A line is {time, exact, msgid, history, kind, ...}:
// `exact` means its time came from the server (server-time), so it can be compared and sent back.

import { tr } from "./state.js";

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

/** Private conversations looked at when logging in: the last week's (as client/history.py). */
export const TARGETS_WINDOW_MS = 7 * 86400 * 1000;

export class HistoryMethods {
  /**
   * Logged in, just welcomed: which private conversations had lines lately (CHATHISTORY
   * TARGETS). The server replays what came while no device was connected only to clients
   * without draft/chathistory, so this one asks, and opens (unfocused, with their latest lines)
   * those newer than the account's read marker for them (MARKREAD <nick>, asked for each;
   * without draft/read-marker, every one). Mirrors `history.request_private`.
   */
  requestPrivate() {
    if (!this.hasHistory() || !this.account || this.historyLines <= 0) return;
    const now = this.clock();
    const since = new Date(now - TARGETS_WINDOW_MS).toISOString();
    const until = new Date(now + 60000).toISOString(); // bounds are exclusive; clocks differ a bit
    this.send("CHATHISTORY", "TARGETS", `timestamp=${since}`, `timestamp=${until}`, "50");
  }

  /** CHATHISTORY TARGETS <target> <time of its latest line>: one answer to requestPrivate. */
  on_CHATHISTORY(msg) {
    if ((msg.params[0] || "").toUpperCase() !== "TARGETS") return;
    const target = msg.params[1] || "";
    const latest = new Date(msg.params[2] || "");
    if (!target || this.isChannel(target) || Number.isNaN(latest.getTime())) return;
    if (this.fold(target) === this.fold(this.nick)) return;
    const buf = this.buf(target);
    if (buf) this.requestHistory(buf);
    else if (this.caps.has("draft/read-marker")) {
      this.missed.set(this.fold(target), latest);
      this.send("MARKREAD", target);
    } else this.requestHistory(this.openBuffer(target, "query", false));
  }

  /** The read marker of a conversation on_CHATHISTORY asked about: opened if it has unread lines. */
  missedMarker(msg) {
    const key = this.fold(msg.params[0] || "");
    const latest = this.missed.get(key);
    if (!latest) return;
    this.missed.delete(key);
    const value = msg.params[1] || "";
    const read = value.startsWith("timestamp=") ? new Date(value.slice("timestamp=".length)) : null;
    if (!read || Number.isNaN(read.getTime()) || read < latest) this.requestHistory(this.openBuffer(msg.params[0], "query", false));
  }

  /** Does the server keep history we can tell apart from live lines? */
  hasHistory() {
    return this.caps.has("draft/chathistory") && this.caps.has("batch");
  }

  /** After a join: the latest lines (since the last one we have, after a reconnect). */
  requestHistory(buf) {
    if (!this.hasHistory() || this.historyLines <= 0 || buf.historyRequest) return;
    const last = [...buf.lines].reverse().find((l) => l.msgid);
    buf.historyRequest = { kind: "latest" };
    // after a reconnect: at least 100, to fill the gap (as the Python core)
    const limit = last ? Math.max(this.historyLines, 100) : this.historyLines;
    this.send("CHATHISTORY", "LATEST", buf.name, last ? `msgid=${last.msgid}` : "*", String(limit));
  }

  /**
   * Older lines for `name` (scrolled to the top, or /history): one request at a time per buffer,
   * none once the start of history is shown. `user`: say why nothing happens. True if asked.
   */
  requestOlder(name, limit = this.historyLines || 50, { user = false } = {}) {
    const buf = this.buf(name);
    const why = (text) => {
      if (user) this.info(buf ? buf.name : this.current, text, "error");
      return false;
    };
    if (!buf || buf.kind === "status" || buf.kind === "search") return why(tr("Usage: /history [n] — in a channel or private tab"));
    if (!this.hasHistory()) return why(tr("This server keeps no history (no draft/chathistory)"));
    if (!this.registered) return why(tr("Not connected: try again when the connection is back"));
    if (buf.historyRequest) return why(tr("Already loading history for this tab…"));
    if (this.atHistoryStart(buf)) return why(tr("This is the start of history"));
    this.sendBefore(buf, { kind: "before", limit, byTimestamp: false });
    return true;
  }

  sendBefore(buf, request) {
    const { line, selector } = olderReference(buf.lines, request.byTimestamp);
    buf.historyRequest = { ...request, line, selector };
    this.send("CHATHISTORY", "BEFORE", buf.name, selector, String(request.limit));
    this.emit({ type: "history-loading", buffer: buf.name });
  }

  atHistoryStart(buf) {
    return Boolean(buf.historyStart && buf.lines.includes(buf.historyStart));
  }

  /** A chathistory batch ended: put its lines in place, per buffer, and settle the requests. */
  endHistoryBatch(batch) {
    const byBuffer = new Map();
    const target = this.buf(batch.target);
    if (target) byBuffer.set(this.fold(target.name), []);
    for (const line of batch.lines) {
      const key = this.fold(line.buffer);
      if (!byBuffer.has(key)) byBuffer.set(key, []);
      byBuffer.get(key).push(line);
    }
    for (const [key, lines] of byBuffer) {
      const buf = this.buffers.get(key);
      // events (draft/event-playback) count against the limit too, shown or not
      const received = buf === target ? Math.max(lines.length, batch.received || 0) : lines.length;
      if (buf) this.placeHistory(buf, lines, received);
    }
  }

  /** `received`: how many lines the batch had for this buffer (before dropping known ones). */
  placeHistory(buf, lines, received = lines.length) {
    const request = buf.historyRequest;
    buf.historyRequest = null;
    if (request && request.kind === "around") return this.placeAround(buf, lines, request);
    if (request && request.kind === "before") {
      const at = request.line ? Math.max(0, buf.lines.indexOf(request.line)) : 0;
      const fresh = insertHistory(buf.lines, lines, at);
      // fewer lines than asked for: the server has no older ones (as the Python core decides)
      if (received < request.limit) {
        const time = fresh.length ? fresh[0].time : request.line ? request.line.time : new Date();
        buf.historyStart = { time, nick: "", text: "start of history", said: tr("start of history"), kind: "history-start", buffer: buf.name, history: true };
        buf.lines.splice(at, 0, buf.historyStart);
      }
    } else {
      // the latest lines on (re)join, or history the server replayed by itself
      const at = joinAnchor(buf.lines, buf.joinLine);
      const fresh = insertHistory(buf.lines, lines, at);
      if (!fresh.length) return this.emit({ type: "history", buffer: buf.name });
      buf.lines.splice(at + fresh.length, 0, { time: fresh[fresh.length - 1].time, nick: "", text: "history", said: tr("history"), kind: "divider", buffer: buf.name, history: true });
      const excess = buf.lines.length - this.scrollback;
      if (excess > 0) buf.lines.splice(0, excess);
    }
    this.emit({ type: "history", buffer: buf.name });
  }

  /** The server does not know CHATHISTORY after all: stop waiting, ask no more. */
  historyUnavailable() {
    this.caps.delete("draft/chathistory");
    for (const buf of this.buffers.values()) {
      if (buf.historyRequest) {
        buf.historyRequest = null;
        this.emit({ type: "history", buffer: buf.name });
      }
    }
  }

  /** FAIL CHATHISTORY <sub> <target> …: an unknown msgid is asked again by time; else give up. */
  historyFailed(msg) {
    const buf = this.buf(msg.params[3] || "");
    if (!buf || !buf.historyRequest) return;
    const request = buf.historyRequest;
    if (msg.params[1] === "MESSAGE_ERROR" && request.kind === "before" && !request.byTimestamp) {
      return this.sendBefore(buf, { ...request, byTimestamp: true });
    }
    buf.historyRequest = null;
    this.info(buf.name, tr("No history: {reason}", { reason: msg.params[msg.params.length - 1] }), "error");
    this.emit({ type: "history", buffer: buf.name });
  }
}
