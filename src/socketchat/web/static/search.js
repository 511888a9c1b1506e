// /search (soju.im/search): the query, the results gathered from their batch, the results tab,
// and jumping from a result to its conversation (CHATHISTORY AROUND when it is not loaded).
// Mirrors socketchat/client/search.py. Methods of ChatCore (mixed in by client.js).

import { escapeTag } from "./irc.js";
import { fill, tr } from "./state.js";

export const SEARCH = "*search*"; // the results tab (kind "search")
export const SEARCH_CAP = "soju.im/search";
const CONTEXT_LINES = 40;
const USAGE = tr("Usage: /search <words> [in:#channel] [from:nick]");

/** The words, and the in:/from: attributes found among them. */
/** A Date's local calendar day, YYYY-MM-DD. */
export function localDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function parseSearch(args) {
  const words = [];
  const attributes = {};
  for (const word of args.split(/\s+/).filter(Boolean)) {
    const colon = word.indexOf(":");
    const name = colon > 0 ? word.slice(0, colon).toLowerCase() : "";
    const value = colon > 0 ? word.slice(colon + 1) : "";
    if (value && (name === "in" || name === "from")) attributes[name] = value;
    else words.push(word);
  }
  return { text: words.join(" "), attributes };
}

export class SearchMethods {
  searchSupported() {
    return this.caps.has(SEARCH_CAP) && this.caps.has("batch");
  }

  cmd_search(args, buffer) {
    const { text, attributes } = parseSearch(args);
    if (!text && !Object.keys(attributes).length) return this.info(buffer, USAGE, "error");
    if (!this.requireConnection(buffer)) return;
    if (!this.searchSupported()) return this.info(buffer, tr("This server does not offer search (soju.im/search)"), "error");
    this.searchBuffer = buffer;
    this.searchQuery = args.split(/\s+/).filter(Boolean).join(" ");
    const pairs = [["text", text], ...Object.entries(attributes)].filter(([, v]) => v);
    this.send("SEARCH", pairs.map(([k, v]) => `${k}=${escapeTag(v)}`).join(";"));
  }

  /** A PRIVMSG/NOTICE inside a search batch: kept as a result (true: handled). */
  searchCollect(msg) {
    const batch = msg.tags.batch ? this.batches.get(msg.tags.batch) : null;
    if (!batch || batch.type !== SEARCH_CAP) return false;
    const line = this.searchResult(msg);
    if (line) batch.lines.push(line);
    return true;
  }

  searchResult(msg) {
    const target = msg.params[0] || "";
    let text = msg.params[1] || "";
    const sender = msg.nick;
    let kind = msg.command === "PRIVMSG" ? "message" : "notice";
    if (text.startsWith("\x01ACTION")) {
      text = text.slice("\x01ACTION".length).replace(/^[ \x01]+|[ \x01]+$/g, "");
      kind = "action";
    } else if (text.startsWith("\x01")) {
      return null;
    }
    const self = this.fold(sender) === this.fold(this.nick);
    const chan = target.replace(/^[@+]+/, "");
    const other = this.isChannel(chan) ? chan : self ? target : sender;
    const known = this.buf(other);
    const t = msg.tags.time ? new Date(msg.tags.time) : null;
    const exact = Boolean(t && !Number.isNaN(t.getTime()));
    return {
      time: exact ? t : new Date(this.clock()), exact, nick: sender, text, kind, self, highlight: false,
      history: true, msgid: msg.tags.msgid || null, reply: null, redacted: false, buffer: known ? known.name : other,
    };
  }

  /** The search batch ended: the results, to the core, the view and the results tab. */
  endSearchBatch(batch) {
    const hits = batch.lines;
    this.searchHits = hits;
    const query = this.searchQuery || "";
    const buf = this.openBuffer(SEARCH, "search", false);
    const count = hits.length;
    const said = query
      ? count === 1 ? tr("1 result for “{query}”", { query }) : tr("{count} results for “{query}”", { count, query })
      : count === 1 ? tr("1 result") : tr("{count} results", { count });
    const heading = fill(said);
    buf.lines = [
      { time: new Date(this.clock()), exact: false, nick: "", text: heading, said, kind: "info", self: false, highlight: false, history: false, msgid: null, reply: null, redacted: false, buffer: SEARCH },
      // the view draws these as results (`origin`: the conversation, `hit`: the line there)
      // the stamp column has the time only: a line of another day says which (as the Python core)
      ...hits.map((hit, i) => {
        const day = localDay(hit.time);
        const where = day === localDay(new Date(this.clock())) ? hit.buffer : `${hit.buffer}, ${day}`;
        return { ...hit, buffer: SEARCH, text: `${i + 1}. [${where}] ${hit.text}`, origin: hit.buffer, hit };
      }),
    ];
    this.emit({ type: "history", buffer: SEARCH });
    this.emit({ type: "search-results", query, results: hits });
    const where = this.searchBuffer || this.current;
    if (this.fold(where) !== this.fold(SEARCH) && this.buf(where)) this.info(where, said);
    this.focus(SEARCH);
  }

  /** /jump <n>: result n of the last search, in its conversation (as a click on it). */
  cmd_jump(args, buffer) {
    const hits = this.searchHits;
    const word = args.split(/\s+/).filter(Boolean)[0] || "";
    const number = /^[0-9]{1,5}$/.test(word) ? Number(word) : 0;
    if (number < 1 || number > hits.length) {
      const said = hits.length ? tr("Usage: /jump <result number> (1 to {count})", { count: hits.length }) : tr("Usage: /jump <result number> (none: /search first)");
      return this.info(buffer, said, "error");
    }
    const hit = hits[number - 1];
    if (!hit.msgid) return this.info(buffer, tr("That result has no message id to find it by"), "error");
    this.jump(hit.buffer, hit.msgid);
  }

  searchFailed(msg) {
    this.info(this.searchBuffer || this.current, tr("Search failed: {reason}", { reason: msg.params[msg.params.length - 1] }), "error");
  }

  /** Go to the line `msgid` of `buffer` (a result was clicked); load its context if needed. */
  jump(buffer, msgid) {
    let buf = this.buf(buffer);
    if (!buf) {
      if (this.isChannel(buffer)) return this.info(this.current, tr("You are not in {channel} (/join {channel})", { channel: buffer }), "error");
      buf = this.openBuffer(buffer, "query", false);
    }
    this.focus(buf.name);
    if (buf.lines.some((l) => l.msgid === msgid)) return this.emit({ type: "jump", buffer: buf.name, msgid });
    if (!this.registered || !this.caps.has("draft/chathistory")) {
      return this.info(buf.name, tr("That line is no longer in this tab's scrollback"), "error");
    }
    buf.historyRequest = { kind: "around", limit: CONTEXT_LINES, msgid };
    this.send("CHATHISTORY", "AROUND", buf.name, `msgid=${msgid}`, String(CONTEXT_LINES));
  }

  /** The lines around a result: merged in by time (a stable sort), then the jump. A context line
   * with the same time as a shown one (a burst shares its milliseconds) goes before it: the tab
   * shows the latest lines, so where the two meet the context is the older side. */
  placeAround(buf, lines, request) {
    const known = new Set(buf.lines.filter((l) => l.msgid).map((l) => l.msgid));
    const fresh = lines.filter((l) => !(l.msgid && known.has(l.msgid)));
    const merged = [...fresh.map((l, i) => [l, i]), ...buf.lines.map((l, i) => [l, fresh.length + i])];
    merged.sort((a, b) => a[0].time - b[0].time || a[1] - b[1]);
    buf.lines = merged.map(([l]) => l);
    this.emit({ type: "history", buffer: buf.name });
    if (buf.lines.some((l) => l.msgid === request.msgid)) this.emit({ type: "jump", buffer: buf.name, msgid: request.msgid });
    else this.info(buf.name, tr("That line is no longer in the history"), "error");
  }
}
