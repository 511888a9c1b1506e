// Messages of several lines (IRCv3 draft/multiline), both ways. Mirrors
// socketchat/client/multiline.py: typed or pasted text whose first line is not a /command is one
// message, sent as one BATCH (within the cap's max-bytes and max-lines; a longer one as several;
// a line past one IRC line goes on in a draft/multiline-concat line); without the cap, one
// PRIVMSG per non-blank line. A received batch becomes one line whose text holds the breaks.
// Methods of ChatCore (mixed in by client.js).

export const MULTILINE = "draft/multiline";
export const CONCAT = "draft/multiline-concat";
const DEFAULT_MAX_BYTES = 4096;
const DEFAULT_MAX_LINES = 24;
const MAX_GATHERED = 1000;
const encoder = new TextEncoder();
const bytes = (s) => encoder.encode(s).length;

/** The lines of `text`: CRLF/CR as LF, trailing spaces and blank first/last lines gone. */
export function normalizeLines(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trimEnd());
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines;
}

function pieces(line, limit) {
  if (!line) return [["", false]];
  const out = [];
  let rest = line;
  while (bytes(rest) > limit) {
    // the longest prefix within `limit` bytes, whole characters only
    let cut = 0;
    let size = 0;
    for (const ch of rest) {
      const n = bytes(ch);
      if (size + n > limit) break;
      size += n;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(" ", cut - 1);
    if (space > Math.floor(cut / 2)) cut = space + 1; // the space stays with the first piece
    out.push([rest.slice(0, cut), out.length > 0]);
    rest = rest.slice(cut);
  }
  out.push([rest, out.length > 0]);
  return out;
}

/** `lines` as batches of [piece, concat] within the limits. */
export function batchesFor(lines, maxBytes, maxLines, pieceBytes) {
  const batches = [];
  let current = [];
  let size = 0;
  for (const line of lines) {
    const ps = pieces(line, Math.max(pieceBytes, 60));
    let cost = ps.reduce((n, [p]) => n + bytes(p), 0) + (current.length ? 1 : 0);
    if (current.length && (current.length + ps.length > maxLines || size + cost > maxBytes)) {
      batches.push(current);
      current = [];
      size = 0;
      cost -= 1;
    }
    current.push(...ps);
    size += cost;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** The text of a batch: lines joined by line breaks, concat pieces joined directly. */
export function combined(ps) {
  return ps.map(([p, concat], i) => (i === 0 || concat ? p : "\n" + p)).join("");
}

export class MultilineMethods {
  multilineSupported() {
    return this.caps.has(MULTILINE) && this.caps.has("batch");
  }

  multilineLimits() {
    const values = new Map((this.offered.get(MULTILINE) || "").split(",").map((item) => item.split(/=(.*)/s).slice(0, 2)));
    const number = (v, d) => (/^[1-9][0-9]*$/.test(v || "") ? Number(v) : d);
    return [number(values.get("max-bytes"), DEFAULT_MAX_BYTES), number(values.get("max-lines"), DEFAULT_MAX_LINES)];
  }

  /** Several lines to `target` as one message (batches), else one PRIVMSG each. */
  sendLines(target, lines, reply, tags, budget) {
    if (!this.multilineSupported()) {
      lines.filter((l) => l.trim()).forEach((line, i) => this.sendText(target, line, false, i === 0 ? reply : null));
      return;
    }
    const [maxBytes, maxLines] = this.multilineLimits();
    for (const ps of batchesFor(lines, maxBytes, maxLines, budget)) {
      this.multilineRefs = (this.multilineRefs || 0) + 1;
      const ref = `ml${this.multilineRefs}`;
      this.transmitLine("BATCH", [`+${ref}`, MULTILINE, target], tags);
      for (const [text, concat] of ps) this.transmitLine("PRIVMSG", [target, text], concat ? { batch: ref, [CONCAT]: "" } : { batch: ref });
      this.transmitLine("BATCH", [`-${ref}`], null);
      if (!this.caps.has("echo-message")) {
        this.line(target, { nick: this.nick, text: combined(ps), kind: "message", self: true, reply: tags ? this.quote(this.buf(target), reply) : null });
      }
    }
  }

  /** A PRIVMSG/NOTICE of an open multiline batch: kept for its end (true). */
  multilineCollect(msg) {
    const gathering = msg.tags.batch ? this.multilineIn.get(msg.tags.batch) : null;
    if (!gathering) return false;
    if (gathering.lines.length < MAX_GATHERED) {
      gathering.lines.push([msg.params[1] || "", CONCAT in msg.tags]);
      gathering.command = msg.command;
    }
    return true;
  }

  /** The batch `ref` ended: handled as one PRIVMSG with the opening line's source and tags. */
  multilineClosed(ref) {
    const gathering = this.multilineIn.get(ref);
    this.multilineIn.delete(ref);
    if (!gathering || !gathering.lines.length) return;
    const o = gathering.opening;
    this.on_PRIVMSG({ ...o, command: gathering.command, params: [o.params[2] || "", combined(gathering.lines)] });
  }
}
