// Replies (+draft/reply) and reactions (+draft/react, taken back with +draft/unreact). Mirrors
// socketchat/client/reactions.py: a reply line carries {msgid, nick, text} of the line it answers
// (nick and text "" when that line is not here); reactions are kept per buffer and msgid,
// aggregated by emoji, each nick once; with echo-message the echo of our own counts, else it
// counts at once. on_TAGMSG handles typing notifications and reactions.
// Methods of ChatCore (mixed in by client.js).

import { TYPING_TAGS } from "./typing.js";
import { tr } from "./state.js";

export const MAX_EMOJI = 32;
const TEXT_KINDS = new Set(["message", "action", "notice"]);

export class ReactionMethods {
  /** {msgid, nick, text} for a line answering `msgid` in `buf`, quoted when that line is there. */
  quote(buf, msgid) {
    const line = buf ? [...buf.lines].reverse().find((l) => l.msgid === msgid) : null;
    return line && !line.redacted ? { msgid, nick: line.nick, text: line.text } : { msgid, nick: "", text: "" };
  }

  /** The line `ref` names in `buffer`: its msgid, else the latest line by the nick `ref`. */
  findLine(buffer, ref) {
    const buf = this.buf(buffer);
    if (!buf || !ref) return null;
    const lines = [...buf.lines].reverse();
    return lines.find((l) => l.msgid === ref) || lines.find((l) => TEXT_KINDS.has(l.kind) && l.msgid && this.fold(l.nick) === this.fold(ref)) || null;
  }

  /** Send `text` in `buffer` as a reply to its line `msgid` (the reply button). */
  reply(buffer, msgid, text) {
    const buf = this.buf(buffer);
    if (!buf || !text.trim()) return;
    if (this.caps.has("message-tags")) return this.say(buf.name, text, { action: false, reply: msgid });
    const line = this.findLine(buf.name, msgid);
    this.say(buf.name, (line && !line.self ? `${line.nick}: ` : "") + text, { action: false });
  }

  /** React to the line `msgid` of `buffer` with `emoji`; the same again takes it back. */
  react(buffer, msgid, emoji) {
    const buf = this.buf(buffer);
    emoji = (emoji || "").trim();
    if (!buf || buf.kind === "status" || buf.kind === "search" || !emoji || [...emoji].length > MAX_EMOJI) return;
    if (!this.requireConnection(buf.name)) return;
    if (!this.tagAllowed("+draft/react")) return this.info(buf.name, tr("This server does not relay reactions (message-tags)"), "error");
    const byEmoji = buf.reactions.get(msgid);
    const mine = Boolean(byEmoji && byEmoji.get(emoji) && byEmoji.get(emoji).has(this.fold(this.nick)));
    this.transmitLine("TAGMSG", [buf.name], { [mine ? "+draft/unreact" : "+draft/react"]: emoji, "+draft/reply": msgid });
    if (!this.caps.has("echo-message")) this.applyReaction(buf, msgid, emoji, this.nick, !mine);
  }

  on_TAGMSG(msg) {
    const sender = msg.nick;
    if (!sender || this.ignored.has(this.fold(sender))) return;
    const target = (msg.params[0] || "").replace(/^[@+]+/, "");
    const self = this.fold(sender) === this.fold(this.nick);
    const buf = this.isChannel(target) || self ? this.buf(target) : this.buf(sender);
    if (!buf || buf.kind === "status" || buf.kind === "search") return;
    const batch = msg.tags.batch ? this.batches.get(msg.tags.batch) : null;
    const replayed = Boolean(batch && batch.type.endsWith("chathistory"));
    const tag = TYPING_TAGS.find((t) => t in msg.tags);
    if (tag && !self && !replayed) this.typingReceived(buf, sender, msg.tags[tag]);
    const msgid = msg.tags["+draft/reply"] || "";
    for (const [name, add] of [["+draft/react", true], ["+draft/unreact", false]]) {
      const emoji = msg.tags[name] || "";
      if (msgid && emoji && [...emoji].length <= MAX_EMOJI) this.applyReaction(buf, msgid, emoji, sender, add);
    }
  }

  applyReaction(buf, msgid, emoji, nick, add) {
    const folded = this.fold(nick);
    let byEmoji = buf.reactions.get(msgid);
    if (add) {
      if (!byEmoji) {
        byEmoji = new Map();
        buf.reactions.set(msgid, byEmoji);
        while (buf.reactions.size > this.scrollback) buf.reactions.delete(buf.reactions.keys().next().value);
      }
      if (!byEmoji.has(emoji)) byEmoji.set(emoji, new Map());
      if (byEmoji.get(emoji).has(folded)) return;
      byEmoji.get(emoji).set(folded, nick);
    } else {
      if (!byEmoji || !byEmoji.has(emoji) || !byEmoji.get(emoji).has(folded)) return;
      byEmoji.get(emoji).delete(folded);
      if (!byEmoji.get(emoji).size) byEmoji.delete(emoji);
    }
    this.emit({ type: "reactions", buffer: buf.name, msgid, reactions: this.reactionsOf(buf.name, msgid) });
  }

  /** [{emoji, nicks, mine}] under the line `msgid` of `buffer`, in the order they first came. */
  reactionsOf(buffer, msgid) {
    const buf = this.buf(buffer);
    const byEmoji = buf && buf.reactions.get(msgid);
    if (!byEmoji) return [];
    const me = this.fold(this.nick);
    return [...byEmoji].map(([emoji, nicks]) => ({ emoji, nicks: [...nicks.values()], mine: nicks.has(me) }));
  }
}
