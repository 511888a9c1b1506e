// Messages from the server, dispatched by command (on_<COMMAND>) and numeric (onNumeric).
// Mirrors socketchat/client/incoming.py. Methods of ChatCore (mixed in by client.js).

import { NICKSERV } from "./accounts.js";
import { MULTILINE } from "./multiline.js";
import { SEARCH_CAP } from "./search.js";
import { STATUS, tr } from "./state.js";
import { WHOX_TOKEN } from "./who.js";
import { WHOIS_NUMERICS } from "./whois.js";

const REPLAYED = new Set(["PRIVMSG", "NOTICE", "TAGMSG", "BATCH"]);
const JOIN_FAILURES = new Set(["403", "405", "471", "473", "474", "475", "477"]);

export class IncomingMethods {
  dispatch(msg) {
    // A history batch (draft/event-playback) may replay joins, parts, modes…: they must not
    // change who is in the channel now; only messages and reactions are replayed (as incoming.py).
    const batch = msg.tags.batch ? this.batches.get(msg.tags.batch) : null;
    if (batch && batch.type.endsWith("chathistory")) {
      batch.received += 1; // what the server counted against the limit asked for
      if (!REPLAYED.has(msg.command)) return;
    }
    const handler = this["on_" + msg.command];
    if (handler) handler.call(this, msg);
    else if (/^\d{3}$/.test(msg.command)) this.onNumeric(msg);
  }

  /** When a message happened (server-time, else now; `exact` if from the server) and, for
   * replayed history, the ref of its chathistory batch (`history`). */
  when(msg) {
    const t = msg.tags.time ? new Date(msg.tags.time) : null;
    const exact = Boolean(t && !Number.isNaN(t.getTime()));
    const time = exact ? t : new Date(this.clock());
    const ref = msg.tags.batch;
    const batch = ref ? this.batches.get(ref) : null;
    const history = Boolean(batch && batch.type.endsWith("chathistory"));
    return { time, exact, history, batch: history ? ref : null };
  }

  on_PING(msg) { this.send("PONG", ...msg.params.slice(0, 1)); }

  on_PONG() {}

  on_ERROR(msg) { this.info(STATUS, tr("Server: {reason}", { reason: msg.params[0] || "" }), "error"); }

  on_PRIVMSG(msg) {
    if (this.multilineCollect(msg)) return; // a line of a multiline message: at the batch's end
    if (this.searchCollect(msg)) return; // a search result: for the results, not said now
    const target = msg.params[0] || "";
    let text = msg.params[1] || "";
    const sender = msg.nick;
    const self = this.fold(sender) === this.fold(this.nick);
    let kind = msg.command === "PRIVMSG" ? "message" : "notice";
    const fromServer = !msg.source || (!msg.source.includes("!") && sender.includes("."));
    if (!self && sender && this.ignored.has(this.fold(sender))) return; // /ignore: not shown, not answered
    const { time, exact, history, batch } = this.when(msg);
    if (text.startsWith("\x01")) {
      const ctcp = text.replace(/^\x01|\x01$/g, "");
      const [verb, ...rest] = ctcp.split(" ");
      if (verb.toUpperCase() === "ACTION") {
        text = rest.join(" ");
        kind = "action";
      } else if (kind === "message") {
        if (!self && verb.toUpperCase() === "VERSION") this.send("NOTICE", sender, "\x01VERSION socketchat web\x01");
        if (!self && verb.toUpperCase() === "PING") this.send("NOTICE", sender, `\x01PING ${rest.join(" ")}\x01`);
        return;
      } else if (self) {
        return; // the echo of our own automatic CTCP reply (echo-message): not a message
      } else {
        text = `CTCP ${verb} reply: ${rest.join(" ")}`;
      }
    }
    const chan = target.replace(/^[@+]+/, "");
    if (self && this.fold(target) === this.fold(NICKSERV) && /^(REGISTER|IDENTIFY|LOGIN)\b/i.test(text)) return; // an echo with a password
    if (this.sasl && !this.registered && kind === "notice") this.saslNotice = text;
    let buffer;
    if (this.isChannel(chan)) buffer = this.ensureChannel(chan);
    else if (fromServer || !sender) buffer = !this.registered || kind === "notice" ? STATUS : this.current;
    else if (self) buffer = this.openBuffer(target, "query", false).name;
    else if (kind === "notice") buffer = this.buf(sender) ? this.buf(sender).name : this.current;
    else buffer = this.openBuffer(sender, "query", false).name;
    const highlight = !self && ((!this.isChannel(chan) && kind !== "notice" && !fromServer) || this.mentionsMe(text));
    const msgid = msg.tags.msgid || null;
    const buf = this.buf(buffer);
    if (msgid && buf && buf.lines.some((l) => l.msgid === msgid)) return; // a repeated echo, or history already shown
    if (buf && !history && sender) this.typingSpoke(buf, sender);
    const replied = msg.tags["+draft/reply"];
    let reply = replied ? this.quote(buf, replied) : null;
    if (reply && !reply.nick && batch && this.batches.has(batch)) {
      // the line it answers came earlier in the same history batch
      const earlier = [...this.batches.get(batch).lines].reverse().find((l) => l.msgid === replied);
      if (earlier && !earlier.redacted) reply = { msgid: replied, nick: earlier.nick, text: earlier.text };
    }
    this.line(buffer, { time, exact, nick: sender || this.network, text, kind, self, highlight, history, msgid, batch, reply });
  }

  on_NOTICE(msg) { this.on_PRIVMSG(msg); }

  on_JOIN(msg) {
    const channel = msg.params[0] || "";
    const nick = msg.nick;
    // extended-join: JOIN <channel> <account|*> :<realname>
    const account = this.caps.has("extended-join") && msg.params.length >= 3 && msg.params[1] !== "*" ? msg.params[1] : null;
    const { time, exact } = this.when(msg);
    if (this.fold(nick) === this.fold(this.nick)) {
      const focus = this.focusOnJoin === this.fold(channel) || this.firstJoin !== false;
      this.firstJoin = false;
      if (this.focusOnJoin === this.fold(channel)) this.focusOnJoin = null;
      this.want(channel);
      let buf = this.buf(channel);
      if (!buf) buf = this.openBuffer(channel, "channel", focus);
      else if (focus) this.focus(buf.name);
      buf.joined = true;
      buf.members = new Map([[this.fold(nick), { nick, prefixes: "", away: false, host: this.hostOf(msg), account }]]);
      this.emit({ type: "members", buffer: buf.name });
      // What the channel was like before a reconnect may be stale (a restarted server forgets
      // topics): 332 follows the JOIN when there is a topic, nothing when there is none; the
      // modes are asked for.
      if (buf.topic) {
        buf.topic = "";
        this.emit({ type: "topic", buffer: buf.name });
      }
      if (buf.modes && buf.modes.size) {
        buf.modes.clear();
        this.emit({ type: "modes", buffer: buf.name });
      }
      this.send("MODE", buf.name);
      buf.joinLine = this.line(buf.name, { time, exact, said: tr("You joined {channel}", { channel: buf.name }), kind: "join" });
      this.requestHistory(buf);
      this.flushQueue(buf.name);
      return;
    }
    const buf = this.buf(channel);
    if (!buf) return;
    buf.members.set(this.fold(nick), { nick, prefixes: "", away: false, host: this.hostOf(msg), account });
    this.emit({ type: "members", buffer: buf.name });
    const host = msg.source && msg.source.includes("!") ? msg.source.slice(msg.source.indexOf("!") + 1) : "";
    const said = host.includes("@") ? tr("{nick} ({host}) joined", { nick, host }) : tr("{nick} joined", { nick });
    this.line(buf.name, { time, nick, said, kind: "join" });
  }

  on_PART(msg) {
    const buf = this.buf(msg.params[0] || "");
    if (!buf) return;
    const nick = msg.nick;
    if (this.fold(nick) === this.fold(this.nick)) {
      this.unwant(buf.name);
      this.info(STATUS, tr("You left {channel}", { channel: buf.name }), "part");
      this.dropBuffer(buf);
      return;
    }
    buf.members.delete(this.fold(nick));
    this.emit({ type: "members", buffer: buf.name });
    const reason = msg.params[1];
    const said = reason ? tr("{nick} left ({reason})", { nick, reason }) : tr("{nick} left", { nick });
    this.line(buf.name, { time: this.when(msg).time, nick, said, kind: "part" });
  }

  on_KICK(msg) {
    const [channel, victim, reason] = msg.params;
    const buf = this.buf(channel || "");
    if (!buf) return;
    const by = msg.nick;
    const time = this.when(msg).time;
    if (this.fold(victim || "") === this.fold(this.nick)) {
      this.unwant(buf.name);
      buf.joined = false;
      buf.members.clear();
      this.emit({ type: "members", buffer: buf.name });
      this.line(buf.name, { time, nick: msg.nick, said: reason ? tr("You were kicked from {channel} by {nick} ({reason})", { channel: buf.name, nick: by, reason }) : tr("You were kicked from {channel} by {nick}", { channel: buf.name, nick: by }), kind: "kick", highlight: true });
      this.dropQueue(buf.name);
      return;
    }
    buf.members.delete(this.fold(victim || ""));
    this.emit({ type: "members", buffer: buf.name });
    this.line(buf.name, { time, nick: msg.nick, said: reason ? tr("{victim} was kicked by {nick} ({reason})", { victim, nick: by, reason }) : tr("{victim} was kicked by {nick}", { victim, nick: by }), kind: "kick" });
  }

  on_QUIT(msg) {
    const nick = msg.nick;
    const reason = msg.params[0];
    const said = reason ? tr("{nick} quit ({reason})", { nick, reason }) : tr("{nick} quit", { nick });
    const time = this.when(msg).time;
    for (const buf of [...this.buffers.values()]) {
      if ((buf.kind === "channel" && buf.members.delete(this.fold(nick))) || (buf.kind === "query" && this.fold(buf.name) === this.fold(nick))) {
        if (buf.kind === "channel") this.emit({ type: "members", buffer: buf.name });
        this.line(buf.name, { time, nick, said, kind: "quit" });
      }
    }
  }

  on_NICK(msg) {
    const old = msg.nick;
    const nick = msg.params[0] || "";
    const self = this.fold(old) === this.fold(this.nick);
    const said = self ? tr("You are now known as {new}", { new: nick }) : tr("{old} is now known as {new}", { old, new: nick });
    const time = this.when(msg).time;
    for (const buf of [...this.buffers.values()]) {
      if (buf.kind === "channel" && buf.members.has(this.fold(old))) {
        const member = buf.members.get(this.fold(old));
        buf.members.delete(this.fold(old));
        buf.members.set(this.fold(nick), { ...member, nick });
        this.emit({ type: "members", buffer: buf.name });
        this.line(buf.name, { time, nick: old, said, kind: "nick" });
      } else if (buf.kind === "query" && this.fold(buf.name) === this.fold(old)) {
        if (!this.buf(nick) || this.fold(nick) === this.fold(old)) this.renameBuffer(buf, nick);
        this.line(buf.name, { time, nick: old, said, kind: "nick" });
      }
    }
    if (self) {
      this.desiredNick = nick;
      this.setNick(nick);
      this.info(STATUS, said, "nick");
      this.emit({ type: "desired-nick", nick });
    }
  }

  on_TOPIC(msg) {
    const buf = this.buf(msg.params[0] || "");
    if (!buf) return;
    buf.topic = msg.params[1] || "";
    this.emit({ type: "topic", buffer: buf.name });
    const said = buf.topic ? tr("{nick} changed the topic to: {topic}", { nick: msg.nick, topic: buf.topic }) : tr("{nick} cleared the topic", { nick: msg.nick });
    this.line(buf.name, { time: this.when(msg).time, nick: msg.nick, said, kind: "topic" });
  }

  on_MODE(msg) {
    const target = msg.params[0] || "";
    if (!this.isChannel(target)) {
      if (this.fold(target) === this.fold(this.nick)) this.info(STATUS, tr("Your modes: {modes}", { modes: msg.params.slice(1).join(" ") }), "mode");
      return;
    }
    const buf = this.buf(target);
    if (!buf) return;
    const args = msg.params.slice(2);
    const [listModes, alwaysModes, setModes] = this.chanmodes;
    let adding = true;
    let modesChanged = false;
    for (const ch of msg.params[1] || "") {
      if (ch === "+" || ch === "-") { adding = ch === "+"; continue; }
      const rank = this.prefixModes.indexOf(ch);
      if (rank >= 0) {
        const m = buf.members.get(this.fold(args.shift() || ""));
        if (m) {
          const symbol = this.prefixChars[rank];
          m.prefixes = this.rankPrefixes(adding ? m.prefixes + symbol : m.prefixes.replace(symbol, ""));
        }
      } else if (listModes.includes(ch)) {
        args.shift();
      } else if (alwaysModes.includes(ch) || setModes.includes(ch)) {
        const arg = adding || alwaysModes.includes(ch) ? args.shift() || "" : "";
        if (adding) buf.modes.set(ch, arg);
        else buf.modes.delete(ch);
        modesChanged = true;
      } else {
        if (adding) buf.modes.set(ch, "");
        else buf.modes.delete(ch);
        modesChanged = true;
      }
    }
    if (modesChanged) this.emit({ type: "modes", buffer: buf.name });
    this.emit({ type: "members", buffer: buf.name });
    this.line(buf.name, { time: this.when(msg).time, nick: msg.nick, said: tr("{nick} sets mode {modes}", { nick: msg.nick, modes: msg.params.slice(1).join(" ") }), kind: "mode" });
  }

  on_AWAY(msg) {
    this.updateMember(msg.nick, { away: Boolean(msg.params[0]) });
  }

  /** A member's details changed (away-notify, account-notify, chghost): in every channel. */
  updateMember(nick, change) {
    for (const buf of this.buffers.values()) {
      const m = buf.members.get(this.fold(nick));
      if (m && Object.entries(change).some(([k, v]) => m[k] !== v)) {
        Object.assign(m, change);
        this.emit({ type: "members", buffer: buf.name });
      }
    }
  }

  /** ACCOUNT <account|*> (account-notify). */
  on_ACCOUNT(msg) {
    const account = msg.params[0] || "*";
    this.updateMember(msg.nick, { account: account === "*" ? null : account });
  }

  /** CHGHOST <user> <host> (chghost). */
  on_CHGHOST(msg) {
    this.updateMember(msg.nick, { host: msg.params[1] || null });
  }

  /** SETNAME <realname> (setname): members do not show it. */
  on_SETNAME() {}

  on_BATCH(msg) {
    const ref = msg.params[0] || "";
    if (ref.startsWith("+") && msg.params[1] === MULTILINE) {
      this.multilineIn.set(ref.slice(1), { opening: msg, lines: [], command: "PRIVMSG" });
    } else if (ref.startsWith("-") && this.multilineIn.has(ref.slice(1))) {
      this.multilineClosed(ref.slice(1));
    } else if (ref.startsWith("+")) {
      this.batches.set(ref.slice(1), { type: msg.params[1] || "", target: msg.params[2] || "", lines: [], received: 0 });
    } else if (ref.startsWith("-")) {
      const batch = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      if (batch && batch.type.endsWith("chathistory")) this.endHistoryBatch(batch);
      else if (batch && batch.type === SEARCH_CAP) this.endSearchBatch(batch);
    }
  }

  /** FAIL <command> <code> [context…] <description> (IRCv3 standard replies). */
  on_FAIL(msg) {
    const [command = "", code = ""] = msg.params;
    const description = msg.params[msg.params.length - 1] || code;
    if (command === "CHATHISTORY") return this.historyFailed(msg);
    if (command === "WEBPUSH") this.emit({ type: "webpush-failed", code, description });
    if (command === "SEARCH") return this.searchFailed(msg);
    if (command === "REGISTER") {
      this.pendingLogin = null;
      return this.info(this.current, tr("Registration failed: {reason}", { reason: description }), "error");
    }
    this.info(this.current, tr("{command} failed: {reason}", { command, reason: description }), "error");
  }

  /** WEBPUSH REGISTER|UNREGISTER <endpoint> …: the server kept (or forgot) this device's push
   * subscription (draft/webpush; the view, notify.js, asked for it). */
  on_WEBPUSH(msg) {
    this.emit({ type: "webpush", subcommand: (msg.params[0] || "").toUpperCase(), endpoint: msg.params[1] || "" });
  }

  on_WARN(msg) {
    this.info(this.current, `${msg.params[0]}: ${msg.params[msg.params.length - 1]}`);
  }

  on_NOTE() {}

  on_MARKREAD(msg) {
    this.missedMarker(msg); // first: it may open the buffer the marker is for
    const value = msg.params[1] || "";
    if (!value.startsWith("timestamp=")) return; // "*": nothing read yet
    const when = new Date(value.slice("timestamp=".length));
    if (!Number.isNaN(when.getTime())) this.markRead(msg.params[0] || "", when);
  }

  on_INVITE(msg) {
    this.info(this.current, tr("{nick} invites you to {channel} (/join {channel})", { nick: msg.nick, channel: msg.params[1] }));
  }

  on_ACK() {}

  onNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    if (code >= "900" && code <= "908") return this.onAccountNumeric(msg);
    if (WHOIS_NUMERICS.has(code)) return this.onWhoisNumeric(msg);
    if (code === "301" && this.whoisAway(msg)) return;
    switch (code) {
      case "301": {
        const buf = this.buf(p[1] || "");
        return this.info(buf ? buf.name : this.current, tr("{nick} is away: {reason}", { nick: p[1], reason: p[2] || "" }));
      }
      case "305": case "306":
        this.away = code === "306";
        this.info(this.current, this.away ? tr("You are away") : tr("You are back"));
        return this.emit({ type: "status" });
      case "315": return this.whoEnd();
      case "352": {
        // 352 <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
        return this.whoReply({ nick: p[5], user: p[2], host: p[3], away: (p[6] || "").includes("G") });
      }
      case "354": {
        // 354 <me> <token> <user> <host> <nick> <flags> <account> (WHOX, our %tuhnfa fields)
        if (p[1] !== WHOX_TOKEN || p.length < 7) return;
        return this.whoReply({ nick: p[4], user: p[2], host: p[3], away: p[5].includes("G"), account: p[6] === "0" ? null : p[6] });
      }
      case "331": case "332": {
        const buf = this.buf(p[1] || "");
        if (!buf) return;
        buf.topic = code === "332" ? p[2] || "" : "";
        this.emit({ type: "topic", buffer: buf.name });
        if (buf.topic) this.info(buf.name, tr("Topic: {topic}", { topic: buf.topic }), "topic");
        return;
      }
      case "353": return this.onNames(msg);
      case "366": return this.onEndOfNames(msg);
      case "324": {
        // 324 <me> <channel> <modes> [args…]: the answer to MODE <channel> after a join
        const buf = this.buf(p[1] || "");
        if (!buf) return;
        const [, alwaysModes, setModes] = this.chanmodes;
        const args = p.slice(3);
        buf.modes.clear();
        for (const ch of (p[2] || "").replace(/^\+/, "")) buf.modes.set(ch, alwaysModes.includes(ch) || setModes.includes(ch) ? args.shift() || "" : "");
        return this.emit({ type: "modes", buffer: buf.name });
      }
      case "329": case "333": case "732": case "733": return;
      case "321": case "322": case "323": return this.onListNumeric(msg);
      case "730": case "731": case "734": return this.onMonitorNumeric(msg);
      default:
    }
    const text = p.slice(1).filter(Boolean).join(" ");
    if (!text) return;
    if (code[0] === "4" || code[0] === "5") {
      this.info(this.current, text, "error");
      if (JOIN_FAILURES.has(code)) {
        this.dropQueue(p[1] || "");
        if (this.focusOnJoin === this.fold(p[1] || "")) this.focusOnJoin = null;
      }
      if (code === "421" && this.who.length && p[1] === "WHO") this.who.shift();
      if (code === "421" && p[1] === "CHATHISTORY") this.historyUnavailable();
    } else {
      this.info(STATUS, text);
    }
  }

  onNames(msg) {
    const buf = this.buf(msg.params[2] || "");
    if (!buf) return;
    if (!buf.namesPending) buf.namesPending = new Map();
    for (const item of (msg.params[msg.params.length - 1] || "").split(" ").filter(Boolean)) {
      // [prefixes]nick[!user@host] (multi-prefix, userhost-in-names)
      let i = 0;
      while (i < item.length && this.prefixChars.includes(item[i])) i++;
      const [nick, userhost = ""] = item.slice(i).split(/!(.*)/s);
      if (!nick) continue;
      const host = userhost.includes("@") ? userhost.split("@")[1] : null;
      const old = buf.members.get(this.fold(nick));
      buf.namesPending.set(this.fold(nick), { nick, prefixes: this.rankPrefixes(item.slice(0, i)), away: old ? old.away : false, host: host || (old ? old.host : null), account: old ? old.account : null });
    }
  }

  onEndOfNames(msg) {
    const buf = this.buf(msg.params[1] || "");
    if (!buf) return;
    if (buf.namesPending) {
      buf.members = buf.namesPending;
      buf.namesPending = null;
      this.emit({ type: "members", buffer: buf.name });
    }
    if (this.namesRequested.delete(this.fold(buf.name))) {
      const members = this.members(buf.name);
      this.info(buf.name, tr("{count} in {channel}: {names}", { count: members.length, channel: buf.name, names: members.map((m) => m.prefixes.slice(0, 1) + m.nick).join(" ") }));
    }
  }
}
