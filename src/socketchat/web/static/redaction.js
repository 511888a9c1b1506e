// Taking a message back (IRCv3 draft/message-redaction). Mirrors socketchat/client/redaction.py:
// /redact [msgid] [reason] (no msgid: one's own latest line here) or the view's action sends
// REDACT; a REDACT from the server replaces the line with a removed one (text "", redacted) and
// emits {type: "redacted", buffer, msgid, line, by, reason}. Methods of ChatCore (client.js).

import { tr } from "./state.js";

export const REDACTION = "draft/message-redaction";
const TEXT_KINDS = new Set(["message", "action", "notice"]);

export class RedactionMethods {
  /** Ask the server to take back the line `msgid` of `buffer`. */
  redact(buffer, msgid, reason = "") {
    const buf = this.buf(buffer);
    if (!buf || buf.kind === "status" || buf.kind === "search" || !this.requireConnection(buffer)) return;
    if (!this.caps.has(REDACTION)) return this.info(buf.name, tr("This server cannot take messages back (message-redaction)"), "error");
    this.send("REDACT", buf.name, msgid, ...(reason ? [reason] : []));
  }

  cmd_redact(args, buffer) {
    const space = args.indexOf(" ");
    const first = space < 0 ? args : args.slice(0, space);
    const buf = this.buf(buffer);
    if (!buf) return;
    if (first && buf.lines.some((l) => l.msgid === first)) return this.redact(buf.name, first, space < 0 ? "" : args.slice(space + 1).trim());
    const mine = [...buf.lines].reverse().find((l) => l.self && l.msgid && !l.redacted && TEXT_KINDS.has(l.kind));
    if (!mine) return this.info(buf.name, tr("Nothing of yours here to take back (/redact <msgid>)"), "error");
    this.redact(buf.name, mine.msgid, args.trim());
  }

  on_REDACT(msg) {
    const [target = "", msgid = "", reason = ""] = msg.params;
    const sender = msg.nick;
    const self = this.fold(sender) === this.fold(this.nick);
    const buf = this.isChannel(target) || self ? this.buf(target) : this.buf(sender);
    if (!buf || !msgid) return;
    const i = buf.lines.findIndex((l) => l.msgid === msgid && !l.redacted);
    if (i < 0) return;
    const line = { ...buf.lines[i], text: "", redacted: true, reply: null };
    buf.lines[i] = line;
    buf.reactions.delete(msgid);
    this.emit({ type: "redacted", buffer: buf.name, msgid, line, by: sender, reason });
  }
}
