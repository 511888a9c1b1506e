// Sending what the user typed: splitting to the line length, and the queue kept while offline.
// Mirrors socketchat/client/outgoing.py. Methods of ChatCore (mixed in by client.js).

import { splitUtf8 } from "./irc.js";
import { normalizeLines } from "./multiline.js";
import { tr } from "./state.js";

export class OutgoingMethods {
  say(target, text, { action, focus = false, origin = null, reply = null }) {
    let buf = this.buf(target);
    if (buf && buf.kind === "status") {
      return this.info(target, tr("This is the status tab: /join #channel or /pm <nick> <message>; /help lists all"), "error");
    }
    if (buf && buf.kind === "search") return this.info(target, tr("This tab shows search results: /search <words> searches again"), "error");
    if (!buf) {
      if (this.isChannel(target)) return this.info(origin || this.current, tr("You are not in {channel}: /join it first", { channel: target }), "error");
      buf = this.openBuffer(target, "query", focus);
    } else if (focus) {
      this.focus(buf.name);
    }
    if (!this.registered || (buf.kind === "channel" && !buf.joined)) {
      if (this.queue.length >= this.maxQueued) {
        return this.info(buf.name, tr("Not connected and the queue is full; NOT sent: {text}", { text }), "error");
      }
      this.queue.push({ target: buf.name, text, action, reply });
      this.info(buf.name, tr("(queued until reconnected) {text}", { text }), "queued");
      this.emit({ type: "status" });
      return;
    }
    this.sendText(buf.name, text, action, reply);
  }

  /** PRIVMSGs for `text`, split to the line length; each piece of a reply carries +draft/reply. */
  sendText(target, text, action, reply = null) {
    this.typingMessageSent(target);
    const tags = reply && this.caps.has("message-tags") ? { "+draft/reply": reply } : null;
    const budget = 510 - new TextEncoder().encode(`:${this.nick}!${"x".repeat(10)}@${"x".repeat(63)} PRIVMSG ${target} :`).length - (action ? 9 : 0);
    if (text.includes("\n") && !action) return this.sendLines(target, normalizeLines(text), reply, tags, budget);
    for (const chunk of splitUtf8(text, Math.max(budget, 60))) {
      this.transmitLine("PRIVMSG", [target, action ? `\x01ACTION ${chunk}\x01` : chunk], tags);
      if (!this.caps.has("echo-message")) {
        this.line(target, { nick: this.nick, text: chunk, kind: action ? "action" : "message", self: true, reply: tags ? this.quote(this.buf(target), reply) : null });
      }
    }
  }

  flushQueue(channel = null) {
    if (!this.queue.length) return;
    const keep = [];
    for (const item of this.queue) {
      const chan = this.isChannel(item.target);
      const ready = channel !== null ? this.fold(item.target) === this.fold(channel) : !chan || !this.wanted.has(this.fold(item.target));
      if (ready && this.buf(item.target)) this.sendText(item.target, item.text, item.action, item.reply);
      else if (!ready) keep.push(item);
    }
    if (keep.length !== this.queue.length) {
      this.queue = keep;
      this.emit({ type: "status" });
    }
  }

  dropQueue(channel) {
    const dropped = this.queue.filter((q) => this.fold(q.target) === this.fold(channel));
    if (!dropped.length) return;
    this.queue = this.queue.filter((q) => !dropped.includes(q));
    for (const q of dropped) this.info(q.target, tr("NOT sent (could not rejoin): {text}", { text: q.text }), "error");
    this.emit({ type: "status" });
  }
}
