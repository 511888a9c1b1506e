// Typing indicators (the IRCv3 +typing client tag), both ways, sent politely. Mirrors
// socketchat/client/typing.py: "active" at most every 3 s while the composer holds text to send,
// "paused" after 5 s without a keystroke, "done" when it is emptied or the person moves to
// another tab (a sent message ends it without "done"). Received: who is typing per tab, "active"
// forgotten after 6 s, "paused" after 30 s, at once on "done" or a message from them.
// Methods of ChatCore (mixed in by client.js); time comes from this.clock() (milliseconds).

export const ACTIVE_EVERY = 3;
export const PAUSE_AFTER = 5;
export const ACTIVE_EXPIRES = 6;
export const PAUSED_EXPIRES = 30;
export const TYPING_TAGS = ["+typing", "+draft/typing"];

export class TypingMethods {
  /** Seconds, from the core's clock (the fixtures' runner sets one). */
  now() {
    return this.clock() / 1000;
  }

  /** May we send the client tag `tag`? message-tags, and no CLIENTTAGDENY covering it. */
  tagAllowed(tag) {
    if (!this.caps.has("message-tags")) return false;
    const deny = (this.isupport.get("CLIENTTAGDENY") || "").split(",").filter(Boolean);
    const name = tag.replace(/^\+/, "");
    if (deny.includes("*")) return deny.includes("-" + name);
    return !deny.includes(name);
  }

  sendTyping(target, state) {
    this.transmitLine("TAGMSG", [target], { "+typing": state });
  }

  /** The composer of `buffer` now holds `text` (call after every change). */
  composing(text, buffer = this.current) {
    const now = this.now();
    let out = this.typingOut;
    const buf = this.buf(buffer);
    const isText = Boolean(text.trim()) && (!text.startsWith("/") || text.startsWith("//"));
    if (out && (!buf || this.fold(out.target) !== this.fold(buf.name))) {
      this.stopTyping();
      out = null;
    }
    if (!buf || buf.kind === "status" || buf.kind === "search" || buf.online === false || !this.registered) return; // offline peer: "no such nick"
    if (!isText) {
      if (out) this.stopTyping();
      return;
    }
    if (!this.tagAllowed("+typing")) return;
    if (!out || out.state !== "active" || now - out.sentAt >= ACTIVE_EVERY) {
      this.sendTyping(buf.name, "active");
      this.typingOut = { target: buf.name, state: "active", sentAt: now, typedAt: now };
    } else {
      out.typedAt = now;
    }
  }

  stopTyping() {
    const out = this.typingOut;
    this.typingOut = null;
    if (out && this.registered && this.tagAllowed("+typing")) this.sendTyping(out.target, "done");
  }

  /** A message went to `target`: that ends the typing there. */
  typingMessageSent(target) {
    if (this.typingOut && this.fold(this.typingOut.target) === this.fold(target)) this.typingOut = null;
  }

  /** Call about once a second: "paused" once the person stopped typing; expire others'. */
  tick() {
    const now = this.now();
    const out = this.typingOut;
    if (out && out.state === "active" && now - out.typedAt >= PAUSE_AFTER && this.registered && this.tagAllowed("+typing")) {
      this.sendTyping(out.target, "paused");
      out.state = "paused";
      out.sentAt = now;
    }
    for (const buf of this.buffers.values()) {
      let changed = false;
      for (const [folded, t] of buf.typing) {
        if (now - t.since >= (t.state === "active" ? ACTIVE_EXPIRES : PAUSED_EXPIRES)) {
          buf.typing.delete(folded);
          changed = true;
        }
      }
      if (changed) this.emitTyping(buf);
    }
  }

  typingReceived(buf, nick, value) {
    const folded = this.fold(nick);
    if (value === "active" || value === "paused") {
      const old = buf.typing.get(folded);
      buf.typing.set(folded, { nick, state: value, since: this.now() });
      if (!old || old.state !== value) this.emitTyping(buf);
    } else if (buf.typing.delete(folded)) {
      this.emitTyping(buf);
    }
  }

  typingSpoke(buf, nick) {
    if (buf.typing.delete(this.fold(nick))) this.emitTyping(buf);
  }

  /** Who is typing (active) in `buffer` now. */
  typingIn(buffer) {
    const buf = this.buf(buffer);
    return buf ? [...buf.typing.values()].filter((t) => t.state === "active").map((t) => t.nick) : [];
  }

  emitTyping(buf) {
    const all = [...buf.typing.values()];
    this.emit({ type: "typing", buffer: buf.name, active: all.filter((t) => t.state === "active").map((t) => t.nick), paused: all.filter((t) => t.state === "paused").map((t) => t.nick) });
  }
}
