// The browser core's model: buffers (tabs), their lines, unread counts and members, and the
// server's naming rules (CASEMAPPING, CHANTYPES, PREFIX from RPL_ISUPPORT) every lookup folds
// through. Mirrors socketchat/client/state.py. Methods of ChatCore (mixed in by client.js).

import { fold as foldAscii, isChannel } from "./irc.js";

export const STATUS = "*status*";

const COUNTED = new Set(["message", "action", "notice"]);

/**
 * The client's own words (not a person's or the server's): an English template with named
 * {fields} and their values, as socketchat/client/events.py's `tr`. The line's `text` is the
 * English; the page draws `said` through its table (coremessages.js, made from the Python
 * catalog), so a Persian page gets Persian lines. `template` is a literal (xgettext, keyword tr).
 */
export function tr(template, args = {}) {
  const kept = (v) => (v && typeof v === "object" && "template" in v ? v : String(v));
  return { template, args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, kept(v)])) };
}

/** `said` with its values put in (a value may be a `tr` of its own): in English, or translated
 * by `translate` (template → template; the English when a translation names a missing field). */
export function fill(said, translate = null) {
  const values = Object.fromEntries(Object.entries(said.args).map(([k, v]) => [k, typeof v === "object" ? fill(v, translate) : v]));
  // as Python's str.format: {name} is a value, {{ and }} are braces
  const put = (t) => t.replace(/\{\{|\}\}|\{(\w+)\}/g, (m, name) => (m === "{{" ? "{" : m === "}}" ? "}" : name in values ? values[name] : m));
  const template = translate ? translate(said.template) : said.template;
  const missing = [...template.matchAll(/\{(\w+)\}/g)].some((m) => !(m[1] in values));
  return put(missing ? said.template : template);
}

/** Order strings by code point (as Python sorts them), not by locale. */
export function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copy the methods of each class in `sources` onto `target`'s prototype (client.js's modules). */
export function mixin(target, ...sources) {
  for (const source of sources) {
    for (const name of Object.getOwnPropertyNames(source.prototype)) {
      if (name !== "constructor") Object.defineProperty(target.prototype, name, Object.getOwnPropertyDescriptor(source.prototype, name));
    }
  }
}

export class StateMethods {
  /** A nick or channel name folded by the server's CASEMAPPING (ascii until 005 says otherwise). */
  fold(name) {
    const folded = foldAscii(name);
    return this.foldTable ? folded.replace(/[[\]\\~]/g, (c) => this.foldTable[c] || c) : folded;
  }

  /** CASEMAPPING from RPL_ISUPPORT: rfc1459 also folds []\~ to {}|^, strict-rfc1459 []\ only. */
  setCasemapping(value) {
    if (value === "rfc1459") this.foldTable = { "[": "{", "]": "}", "\\": "|", "~": "^" };
    else if (value === "strict-rfc1459") this.foldTable = { "[": "{", "]": "}", "\\": "|" };
    else this.foldTable = null;
    // buffers are keyed by folded name: key them again by the new rules
    this.buffers = new Map([...this.buffers.values()].map((b) => [this.fold(b.name), b]));
    for (const buf of this.buffers.values()) buf.members = new Map([...buf.members.values()].map((m) => [this.fold(m.nick), m]));
  }

  /** PREFIX=(modes)symbols from RPL_ISUPPORT, highest rank first, e.g. (qaohv)~&@%+. */
  setPrefix(value) {
    const m = /^\(([^)]*)\)(.*)$/.exec(value);
    if (m && m[1].length === m[2].length) {
      this.prefixModes = m[1];
      this.prefixChars = m[2];
    }
  }

  /** CHANMODES=A,B,C,D: list modes, modes with an argument always, only when set, never. */
  setChanmodes(value) {
    const parts = [...value.split(","), "", "", "", ""].slice(0, 4);
    this.chanmodes = parts;
  }

  /** `prefixes` in rank order (highest first), each once. */
  rankPrefixes(prefixes) {
    return [...this.prefixChars].filter((c) => prefixes.includes(c)).join("");
  }

  setCurrent(name) {
    const buf = this.buf(name);
    if (!buf) return;
    const old = this.buf(this.current);
    this.current = buf.name;
    if (old !== buf) {
      this.leave(old, buf);
      this.placeMarker(buf);
    }
    buf.unread = 0;
    buf.highlight = false;
    this.emit({ type: "buffers" });
    this.lookedAt(buf);
  }

  /** The user leaves `old` for `buf`: what `old` showed is seen. */
  leave(old, buf) {
    if (old && old !== buf && old.lines.length) {
      const newest = old.lines[old.lines.length - 1].time;
      old.seenAt = old.seenAt && old.seenAt > newest ? old.seenAt : newest;
    }
  }

  newAfter(buf, when) {
    return buf.lines.find((l) => COUNTED.has(l.kind) && !l.self && l.time > when) || null;
  }

  /** The first line after "new since you last read" in `name`, or null (no marker). */
  markerLine(name) {
    const buf = this.buf(name);
    return buf && buf.marker ? this.newAfter(buf, buf.marker) : null;
  }

  /** The user comes to `buf`: the marker goes where reading stopped (the server's read marker,
   * or what was seen here), when anything is new after it (as client/state.py). */
  placeMarker(buf) {
    const known = [buf.readAt, buf.seenAt].filter(Boolean);
    buf.markerPending = !known.length;
    let marker = known.length ? new Date(Math.max(...known.map((t) => t.getTime()))) : null;
    if (marker && !this.newAfter(buf, marker)) marker = null;
    this.setMarker(buf, marker);
  }

  setMarker(buf, marker) {
    const same = (buf.marker || null) === marker || (buf.marker && marker && buf.marker.getTime() === marker.getTime());
    if (same) return;
    buf.marker = marker;
    this.emit({ type: "marker", buffer: buf.name, after: marker });
  }

  /** draft/read-marker (as client/readmarker.py): the user looks at `buf`, so the server and
   * the user's other devices learn it is read up to its newest line (when that moves it on). */
  lookedAt(buf) {
    if (!this.caps || !this.caps.has("draft/read-marker") || buf.kind === "status" || buf.kind === "search") return;
    const newest = [...buf.lines].reverse().find((l) => COUNTED.has(l.kind));
    if (!newest || (buf.readAt && newest.time <= buf.readAt)) return;
    buf.readAt = newest.time;
    this.send("MARKREAD", buf.name, "timestamp=" + newest.time.toISOString());
  }

  /** `buffer` is read up to `when` (a Date; here or on another device): its unread count is
   * the lines after that. */
  markRead(name, when) {
    const buf = this.buf(name);
    if (!buf || (buf.readAt && when <= buf.readAt)) return;
    buf.readAt = when;
    if (this.fold(buf.name) === this.fold(this.current)) {
      if (buf.markerPending) {
        buf.markerPending = false; // came here before knowing where reading stopped
        this.setMarker(buf, when);
      }
      return;
    }
    const newer = buf.lines.filter((l) => COUNTED.has(l.kind) && !l.self && !l.history && l.time > when);
    const highlight = newer.some((l) => l.highlight);
    if (newer.length === buf.unread && highlight === buf.highlight) return;
    buf.unread = newer.length;
    buf.highlight = highlight;
    this.emit({ type: "buffers" });
  }

  /** Nicks of the current tab starting with `prefix` (Tab completion), sorted. */
  completions(prefix, buffer = this.current) {
    const buf = this.buf(buffer);
    if (!buf) return [];
    const nicks = buf.kind === "query" ? [buf.name, this.nick] : [...buf.members.values()].map((m) => m.nick);
    const p = this.fold(prefix);
    return nicks.filter((n) => this.fold(n).startsWith(p)).sort((a, b) => byCodePoint(this.fold(a), this.fold(b)));
  }

  /** `+klnt secret 25`: a channel's modes, letters sorted, then their arguments ("" if unknown). */
  modeString(name) {
    const buf = this.buf(name);
    if (!buf || !buf.modes.size) return "";
    const letters = [...buf.modes.keys()].sort(byCodePoint);
    return ["+" + letters.join(""), ...letters.map((m) => buf.modes.get(m)).filter(Boolean)].join(" ");
  }

  members(name) {
    const buf = this.buf(name);
    if (!buf) return [];
    const ranks = this.prefixChars;
    const rank = (m) => { const i = m.prefixes ? ranks.indexOf(m.prefixes[0]) : -1; return i < 0 ? ranks.length : i; };
    return [...buf.members.values()].sort((a, b) => rank(a) - rank(b) || byCodePoint(this.fold(a.nick), this.fold(b.nick)));
  }

  isChannel(name) {
    return isChannel(name, this.isupport.get("CHANTYPES") || "#&");
  }

  nickLike(name) {
    return Boolean(name) && !/[ ,*?!@:]/.test(name) && !"#&$".includes(name[0]);
  }

  /** Does `text` name our nick (as a word, compared by the server's casemapping)? */
  mentionsMe(text) {
    if (!this.nick) return false;
    const escaped = this.fold(this.nick).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, "i").test(this.fold(text));
  }

  buf(name) {
    return this.buffers.get(this.fold(name || ""));
  }

  /** Private tabs kept from an earlier visit (app.js keeps the names): opened now, their
   * latest history asked for once connected (if the server keeps history). */
  restoreQueries(names) {
    for (const name of names) {
      if (typeof name !== "string" || !this.nickLike(name) || this.buf(name)) continue;
      this.openBuffer(name, "query", false).restored = true;
    }
  }

  ensureChannel(channel) {
    return (this.buf(channel) || this.openBuffer(channel, "channel", false)).name;
  }

  openBuffer(name, kind, focus) {
    let buf = this.buf(name);
    if (!buf) {
      buf = { name, kind, lines: [], unread: 0, highlight: false, topic: "", modes: new Map(), joined: false, members: new Map(), namesPending: null, typing: new Map(), reactions: new Map(), online: null, marker: null, markerPending: false, readAt: null, seenAt: null };
      this.buffers.set(this.fold(name), buf);
      this.emit({ type: "buffers" });
      if (kind === "query") this.presenceOpened(name);
    }
    if (focus) this.focus(buf.name);
    return buf;
  }

  focus(name) {
    const buf = this.buf(name);
    if (!buf) return;
    this.setCurrent(buf.name);
    this.emit({ type: "current", buffer: buf.name });
  }

  dropBuffer(buf) {
    if (buf.kind === "status") return;
    this.buffers.delete(this.fold(buf.name));
    if (this.fold(this.current) === this.fold(buf.name)) {
      this.current = STATUS;
      this.emit({ type: "current", buffer: STATUS });
    }
    this.emit({ type: "buffers" });
    this.presenceClosed(buf.name);
  }

  renameBuffer(buf, name) {
    const old = buf.name;
    this.buffers.delete(this.fold(buf.name));
    if (this.fold(this.current) === this.fold(buf.name)) this.current = name;
    buf.name = name;
    this.buffers.set(this.fold(name), buf);
    this.emit({ type: "buffers" });
    this.emit({ type: "current", buffer: this.current });
    this.presenceRenamed(old, name);
  }

  /** A line of the client's own: `text` a `tr(...)` (translated by the page) or a string shown
   * as it is (the server's words). */
  info(buffer, text, kind = "info") {
    const buf = this.buf(buffer) || this.buf(STATUS);
    if (typeof text === "string") this.line(buf.name, { nick: "", text, kind });
    else this.line(buf.name, { nick: "", said: text, kind });
  }

  line(buffer, { batch = null, ...fields }) {
    const buf = this.buf(buffer);
    if (!buf) return null;
    const line = { time: new Date(this.clock()), exact: false, nick: "", self: false, highlight: false, history: false, msgid: null, reply: null, redacted: false, said: null, ...fields, buffer: buf.name };
    if (line.said && line.text === undefined) line.text = fill(line.said);
    if (line.history && batch && this.batches.has(batch)) {
      this.batches.get(batch).lines.push(line); // placed when the batch ends
      return line;
    }
    if (buf.marker && !line.history && this.fold(buf.name) === this.fold(this.current) && !this.newAfter(buf, buf.marker)) {
      this.setMarker(buf, null); // nothing was new when it came; this one is read live
    }
    buf.lines.push(line);
    if (buf.lines.length > this.scrollback) buf.lines.shift();
    const counted = COUNTED.has(line.kind) && !line.self && !line.history && this.fold(buf.name) !== this.fold(this.current);
    if (counted) {
      buf.unread += 1;
      buf.highlight = buf.highlight || line.highlight;
    }
    this.emit({ type: "line", buffer: buf.name, line });
    if (counted) this.emit({ type: "buffers" });
    return line;
  }
}
