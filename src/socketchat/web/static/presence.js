// Presence of private conversations' peers through MONITOR. Mirrors socketchat/client/presence.py:
// after 005 offers MONITOR, every open private tab is monitored, then each as it opens, closes or
// follows a nick change; 730/731 emit {type: "presence", nick, online}; a disconnect makes every
// presence unknown (null). Methods of ChatCore (mixed in by client.js).

import { tr } from "./state.js";

const LINE_BUDGET = 400;

export class PresenceMethods {
  monitorLimit() {
    const v = this.isupport.get("MONITOR") || "";
    return /^[0-9]{1,6}$/.test(v) ? Number(v) : null;
  }

  monitorAdd(nicks) {
    const limit = this.monitorLimit();
    const fresh = [];
    for (const nick of nicks) {
      const folded = this.fold(nick);
      if (this.monitored.has(folded) || (limit && this.monitored.size >= limit)) continue;
      this.monitored.set(folded, nick);
      fresh.push(nick);
    }
    let line = [];
    for (const nick of fresh) {
      if (line.length && new TextEncoder().encode([...line, nick].join(",")).length > LINE_BUDGET) {
        this.send("MONITOR", "+", line.join(","));
        line = [];
      }
      line.push(nick);
    }
    if (line.length) this.send("MONITOR", "+", line.join(","));
  }

  monitorRemove(nick) {
    if (this.monitored.delete(this.fold(nick)) && this.registered) this.send("MONITOR", "-", nick);
  }

  /** After 005: monitor every open private tab (once per connection). */
  monitorStart() {
    if (this.monitoring || !this.isupport.has("MONITOR") || !this.registered) return;
    this.monitoring = true;
    this.monitorAdd([...this.buffers.values()].filter((b) => b.kind === "query").map((b) => b.name));
  }

  presenceOpened(name) { if (this.monitoring) this.monitorAdd([name]); }
  presenceClosed(name) { if (this.monitoring) this.monitorRemove(name); }
  presenceRenamed(old, name) {
    if (this.monitoring && this.monitored.has(this.fold(old))) {
      this.monitorRemove(old);
      this.monitorAdd([name]);
    }
  }

  onMonitorNumeric(msg) {
    if (msg.command === "734") return this.info(this.current, tr("The server watches no more nicks for you (MONITOR is full)"));
    const online = msg.command === "730";
    for (const target of (msg.params[msg.params.length - 1] || "").split(",")) {
      const nick = target.split("!")[0];
      const buf = this.buf(nick);
      if (nick && buf && buf.kind === "query" && buf.online !== online) {
        buf.online = online;
        this.emit({ type: "presence", nick: buf.name, online });
      }
    }
  }

  presenceLost() {
    this.monitored = new Map();
    this.monitoring = false;
    for (const buf of this.buffers.values()) {
      if (buf.kind === "query" && buf.online !== null && buf.online !== undefined) {
        buf.online = null;
        this.emit({ type: "presence", nick: buf.name, online: null });
      }
    }
  }

  /** A private tab's peer online (true), offline (false) or not known (null). */
  presenceOf(name) {
    const buf = this.buf(name);
    return buf && buf.online !== undefined ? buf.online : null;
  }
}
