// The browser's client core: IRC state, user commands and events, without DOM or sockets.
// It mirrors socketchat/client/core.py (same commands, same behaviour); app.js is the view and
// the WebSocket adapter. Drive it with connecting/connectionMade/receiveLine/connectionLost and
// handleInput; it calls this.transmit(line) to send and this.onEvent(event) to tell the view.

import { fold, formatLine, isChannel, parseIp, parseMessage, sameIp, splitUtf8, validNick } from "./irc.js";

export const STATUS = "*status*";

export const WANTED_CAPS = [
  "server-time", "message-tags", "echo-message", "multi-prefix", "userhost-in-names",
  "away-notify", "batch", "labeled-response", "draft/chathistory",
];

const COUNTED = new Set(["message", "action", "notice"]);
const JOIN_FAILURES = new Set(["403", "405", "471", "473", "474", "475", "477"]);

export const COMMANDS = {
  help: ["/help", "list the commands"],
  pm: ["/pm <nick|ip> <message>", "private message; an IP address finds who is connected from it"],
  msg: ["/msg <nick|#channel|ip> <message>", "send a message"],
  query: ["/query <nick> [message]", "open a private conversation"],
  who: ["/who [mask]", "who is here (nick, host, away)"],
  join: ["/join <#channel> [key]", "join a channel"],
  part: ["/part [#channel] [reason]", "leave a channel"],
  close: ["/close [tab]", "close this tab (leaves a channel)"],
  me: ["/me <action>", "send an action (* you waves)"],
  nick: ["/nick <newnick>", "change your nick"],
  topic: ["/topic [new topic]", "show or set the channel topic"],
  away: ["/away [message]", "mark yourself away; without a message: back"],
  names: ["/names [#channel]", "list the channel's members"],
  whois: ["/whois <nick>", "information about a user"],
  quote: ["/quote <raw IRC line>", "send a raw IRC line"],
  quit: ["/quit [reason]", "disconnect (you can reconnect)"],
  exit: ["/exit", "leave the chat (you can reconnect)"],
};
const ALIASES = { j: "join", q: "query", leave: "part", raw: "quote" };

function alternativeNick(base, attempt) {
  if (attempt === 1) return base + "_";
  if (attempt === 2) return base + "__";
  return base + (attempt - 1);
}

export class ChatCore {
  constructor(nick, { channels = ["#lobby"], historyLines = 50, maxQueued = 100, scrollback = 1000 } = {}) {
    this.desiredNick = nick;
    this.nick = nick;
    this.historyLines = historyLines;
    this.maxQueued = maxQueued;
    this.scrollback = scrollback;
    this.state = "disconnected";
    this.exiting = false;
    this.away = false;
    this.network = "";
    this.buffers = new Map(); // folded name → buffer
    this.wanted = new Map(); // folded channel → name, joined again after every reconnect
    this.queue = []; // {target, text, action} typed while offline
    this.current = STATUS;
    this.transmit = () => {};
    this.onEvent = () => {};
    this.resetConnection();
    for (const c of channels) this.want(c);
    this.openBuffer(STATUS, "status", false);
  }

  resetConnection() {
    this.registered = false;
    this.caps = new Set();
    this.offered = new Map();
    this.isupport = new Map();
    this.capEnded = false;
    this.nickAttempt = 0;
    this.batches = new Map(); // ref → type
    this.who = []; // pending WHO requests, in order
    this.namesRequested = new Set();
  }

  // ---------------------------------------------------------------- lifecycle

  connecting(server) {
    this.server = server;
    this.setState("connecting");
  }

  connectionMade() {
    this.resetConnection();
    this.exiting = false;
    this.nick = this.desiredNick;
    this.setState("registering");
    this.send("CAP", "LS", "302");
    this.send("NICK", this.nick);
    this.send("USER", this.desiredNick, "0", "*", "socketchat web user");
  }

  connectionLost(reason) {
    const was = this.state;
    this.resetConnection();
    for (const buf of this.buffers.values()) {
      if (buf.kind === "channel") {
        buf.joined = false;
        buf.members.clear();
        this.emit({ type: "members", buffer: buf.name });
      }
    }
    // (a failed attempt while reconnecting is shown in the status bar, not logged each time)
    if (was === "registering" || was === "connected") {
      this.info(STATUS, `Disconnected${reason ? ": " + reason : ""}`, "error");
    }
    this.setState("disconnected");
  }

  reconnectScheduled(seconds) {
    this.retryIn = seconds;
    this.setState("reconnecting");
  }

  receiveLine(line) {
    const msg = parseMessage(line);
    if (!msg) return;
    try {
      this.dispatch(msg);
    } catch (err) {
      this.info(STATUS, `Internal error on ${msg.command}: ${err}`, "error");
    }
  }

  // ---------------------------------------------------------------- user actions

  setCurrent(name) {
    const buf = this.buf(name);
    if (!buf) return;
    this.current = buf.name;
    buf.unread = 0;
    buf.highlight = false;
    this.emit({ type: "buffers" });
  }

  handleInput(text, buffer = this.current) {
    const target = this.buf(buffer) ? buffer : this.current;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trimEnd();
      if (!line.trim()) continue;
      if (line.startsWith("/") && !line.startsWith("//")) {
        const space = line.indexOf(" ");
        const name = (space < 0 ? line.slice(1) : line.slice(1, space)).toLowerCase();
        const args = space < 0 ? "" : line.slice(space + 1).trim();
        this.runCommand(name, args, target);
      } else {
        this.say(target, line.startsWith("//") ? line.slice(1) : line, { action: false });
      }
    }
  }

  /** Nicks of the current tab starting with `prefix` (Tab completion), sorted. */
  completions(prefix, buffer = this.current) {
    const buf = this.buf(buffer);
    if (!buf) return [];
    const nicks = buf.kind === "query" ? [buf.name, this.nick] : [...buf.members.values()].map((m) => m.nick);
    const p = fold(prefix);
    return nicks.filter((n) => fold(n).startsWith(p)).sort((a, b) => fold(a).localeCompare(fold(b)));
  }

  members(name) {
    const buf = this.buf(name);
    if (!buf) return [];
    const rank = (m) => { const i = "@+".indexOf(m.prefixes[0]); return i < 0 ? 2 : i; };
    return [...buf.members.values()].sort((a, b) => rank(a) - rank(b) || fold(a.nick).localeCompare(fold(b.nick)));
  }

  closeBuffer(name) {
    const buf = this.buf(name);
    if (!buf) return;
    if (buf.kind === "status") {
      this.info(this.current, "The status tab cannot be closed", "error");
    } else if (buf.kind === "channel") {
      this.unwant(buf.name);
      if (this.registered && buf.joined) this.send("PART", buf.name);
      else this.dropBuffer(buf);
    } else {
      this.dropBuffer(buf);
    }
  }

  // ---------------------------------------------------------------- commands

  runCommand(name, args, buffer) {
    const command = ALIASES[name] || name;
    const handler = this["cmd_" + command];
    if (!COMMANDS[command] || !handler) {
      this.info(buffer, `Unknown command /${name}. Type /help for the list of commands.`, "error");
      return;
    }
    handler.call(this, args, buffer);
  }

  usage(name, buffer) {
    const [usage, help] = COMMANDS[name];
    this.info(buffer, `Usage: ${usage} — ${help}`, "error");
  }

  cmd_help(args, buffer) {
    this.info(buffer, "Commands:");
    for (const [usage, help] of Object.values(COMMANDS)) this.info(buffer, `  ${usage}  ${help}`);
    this.info(buffer, "  Text without a leading / is sent to the current tab.");
  }

  cmd_msg(args, buffer) {
    const [target, ...rest] = args.split(" ");
    const text = rest.join(" ").trim();
    if (!target || !text) return this.usage("pm", buffer);
    const ip = parseIp(target);
    if (ip) {
      if (!this.requireConnection(buffer)) return;
      // A mask WHO on the full prefix: socketchat (like many servers) reads a mask without
      // wildcards as a nick. The replies are then filtered to exactly this address.
      const mask = ip.includes(":") ? `*!*@*${ip}` : `*!*@${ip}`;
      return this.whoRequest(mask, buffer, { pmIp: ip, pmText: text });
    }
    if (this.isChannel(target) || this.nickLike(target)) {
      this.say(target, text, { action: false, focus: true, origin: buffer });
    } else {
      this.info(buffer, `"${target}" is neither a nick, a channel nor an IP address`, "error");
    }
  }

  cmd_pm(args, buffer) {
    this.cmd_msg(args, buffer);
  }

  cmd_query(args, buffer) {
    const [target, ...rest] = args.split(" ");
    if (!target || this.isChannel(target) || !this.nickLike(target)) return this.usage("query", buffer);
    this.openBuffer(target, "query", true);
    const text = rest.join(" ").trim();
    if (text) this.say(target, text, { action: false });
  }

  cmd_close(args, buffer) {
    this.closeBuffer(args.split(" ")[0] || buffer);
  }

  cmd_join(args, buffer) {
    const parts = args.split(/\s+/).filter(Boolean);
    if (!parts.length) return this.usage("join", buffer);
    for (let channel of parts[0].split(",")) {
      if (!this.isChannel(channel)) channel = "#" + channel;
      this.want(channel);
      const existing = this.buf(channel);
      if (existing && existing.joined) {
        this.focus(existing.name);
        continue;
      }
      this.focusOnJoin = fold(channel);
      if (this.registered) this.send("JOIN", channel, ...parts.slice(1, 2));
      else this.info(buffer, `Will join ${channel} when connected`);
    }
  }

  cmd_part(args, buffer) {
    let [channel, ...rest] = args.split(" ");
    let reason = rest.join(" ").trim();
    if (!channel || !this.isChannel(channel)) {
      reason = args;
      channel = buffer;
    }
    const buf = this.buf(channel);
    if (!buf || buf.kind !== "channel") return this.info(buffer, "Usage: /part [#channel] [reason] — in a channel tab", "error");
    this.unwant(buf.name);
    if (this.registered && buf.joined) this.send("PART", buf.name, ...(reason ? [reason] : []));
    else this.dropBuffer(buf);
  }

  cmd_nick(args, buffer) {
    const nick = args.split(" ")[0];
    if (!nick || !validNick(nick)) return this.usage("nick", buffer);
    this.desiredNick = nick;
    if (this.registered) this.send("NICK", nick);
    else this.info(buffer, `Your nick will be ${nick} when connected`);
    this.emit({ type: "desired-nick", nick });
  }

  cmd_me(args, buffer) {
    if (!args) return this.usage("me", buffer);
    this.say(buffer, args, { action: true });
  }

  cmd_topic(args, buffer) {
    let channel = buffer;
    const [first, ...rest] = args.split(" ");
    if (first && this.isChannel(first)) {
      channel = first;
      args = rest.join(" ").trim();
    }
    const buf = this.buf(channel);
    if ((!buf || buf.kind !== "channel") && !(this.isChannel(channel) && this.registered)) {
      return this.info(buffer, "Usage: /topic [#channel] [new topic] — in a channel", "error");
    }
    if (!this.requireConnection(buffer)) return;
    if (args) this.send("TOPIC", channel, args);
    else if (buf && buf.topic) this.info(buffer, `Topic of ${channel}: ${buf.topic}`);
    else this.send("TOPIC", channel);
  }

  cmd_away(args, buffer) {
    if (!this.requireConnection(buffer)) return;
    if (args) this.send("AWAY", args);
    else this.send("AWAY");
  }

  cmd_who(args, buffer) {
    if (!this.requireConnection(buffer)) return;
    let mask = args.split(" ")[0];
    if (!mask) {
      const buf = this.buf(buffer);
      mask = buf && buf.kind === "channel" ? buf.name : "*";
    }
    this.whoRequest(mask, buffer, {});
  }

  cmd_names(args, buffer) {
    const channel = args.split(" ")[0] || buffer;
    if (!this.isChannel(channel)) return this.usage("names", buffer);
    if (!this.requireConnection(buffer)) return;
    this.namesRequested.add(fold(channel));
    this.send("NAMES", channel);
  }

  cmd_whois(args, buffer) {
    const nick = args.split(" ")[0];
    if (!nick) return this.usage("whois", buffer);
    if (this.requireConnection(buffer)) this.send("WHOIS", nick);
  }

  cmd_quote(args, buffer) {
    if (!args) return this.usage("quote", buffer);
    if (!this.requireConnection(buffer)) return;
    const msg = parseMessage(args);
    if (!msg) return this.info(buffer, "Not an IRC line", "error");
    this.transmit(args.replace(/[\r\n]/g, " "));
  }

  cmd_quit(args) {
    this.exit(args || "Leaving");
  }

  cmd_exit(args) {
    this.exit(args || "Leaving");
  }

  exit(reason) {
    this.exiting = true;
    if (this.state === "registering" || this.state === "connected") this.send("QUIT", reason);
    this.info(STATUS, "Leaving…");
    this.emit({ type: "exit", reason });
  }

  requireConnection(buffer) {
    if (this.registered) return true;
    this.info(buffer, "Not connected: try again when the connection is back", "error");
    return false;
  }

  // ---------------------------------------------------------------- sending text

  say(target, text, { action, focus = false, origin = null }) {
    let buf = this.buf(target);
    if (buf && buf.kind === "status") {
      return this.info(target, "This is the status tab: /join #channel or /pm <nick> <message>; /help lists all", "error");
    }
    if (!buf) {
      if (this.isChannel(target)) return this.info(origin || this.current, `You are not in ${target}: /join it first`, "error");
      buf = this.openBuffer(target, "query", focus);
    } else if (focus) {
      this.focus(buf.name);
    }
    if (!this.registered || (buf.kind === "channel" && !buf.joined)) {
      if (this.queue.length >= this.maxQueued) {
        return this.info(buf.name, `Not connected and the queue is full; NOT sent: ${text}`, "error");
      }
      this.queue.push({ target: buf.name, text, action });
      this.info(buf.name, `(queued until reconnected) ${text}`, "queued");
      this.emit({ type: "status" });
      return;
    }
    this.sendText(buf.name, text, action);
  }

  sendText(target, text, action) {
    const budget = 510 - new TextEncoder().encode(`:${this.nick}!${"x".repeat(10)}@${"x".repeat(63)} PRIVMSG ${target} :`).length - (action ? 9 : 0);
    for (const chunk of splitUtf8(text, Math.max(budget, 60))) {
      this.send("PRIVMSG", target, action ? `\x01ACTION ${chunk}\x01` : chunk);
      if (!this.caps.has("echo-message")) {
        this.line(target, { nick: this.nick, text: chunk, kind: action ? "action" : "message", self: true });
      }
    }
  }

  flushQueue(channel = null) {
    if (!this.queue.length) return;
    const keep = [];
    for (const item of this.queue) {
      const chan = this.isChannel(item.target);
      const ready = channel !== null ? fold(item.target) === fold(channel) : !chan || !this.wanted.has(fold(item.target));
      if (ready && this.buf(item.target)) this.sendText(item.target, item.text, item.action);
      else if (!ready) keep.push(item);
    }
    if (keep.length !== this.queue.length) {
      this.queue = keep;
      this.emit({ type: "status" });
    }
  }

  dropQueue(channel) {
    const dropped = this.queue.filter((q) => fold(q.target) === fold(channel));
    if (!dropped.length) return;
    this.queue = this.queue.filter((q) => !dropped.includes(q));
    for (const q of dropped) this.info(q.target, `NOT sent (could not join): ${q.text}`, "error");
    this.emit({ type: "status" });
  }

  // ---------------------------------------------------------------- WHO and /pm <ip>

  whoRequest(mask, buffer, { pmIp = null, pmText = "" }) {
    this.who.push({ mask, buffer, pmIp, pmText, replies: [] });
    this.send("WHO", mask);
  }

  whoEnd() {
    const req = this.who.shift();
    if (!req) return;
    const buffer = this.buf(req.buffer) ? req.buffer : STATUS;
    if (req.pmIp) {
      const nicks = [];
      for (const u of req.replies) {
        if (sameIp(u.host, req.pmIp) && fold(u.nick) !== fold(this.nick) && !nicks.includes(u.nick)) nicks.push(u.nick);
      }
      if (!nicks.length) this.info(buffer, `Nobody (else) is connected from ${req.pmIp}; not sent`, "error");
      else if (nicks.length > 1) {
        this.info(buffer, `Several people are connected from ${req.pmIp}: ${nicks.join(", ")}. Not sent: use /pm <nick> <message>`, "error");
      } else this.say(nicks[0], req.pmText, { action: false, focus: true, origin: buffer });
      return;
    }
    if (!req.replies.length) return this.info(buffer, `WHO ${req.mask}: nobody`);
    this.info(buffer, `WHO ${req.mask}: ${req.replies.length} user(s)`);
    for (const u of req.replies) this.info(buffer, `  ${u.nick} — ${u.user}@${u.host}${u.away ? " (away)" : ""}`);
  }

  // ---------------------------------------------------------------- incoming

  dispatch(msg) {
    const handler = this["on_" + msg.command];
    if (handler) handler.call(this, msg);
    else if (/^\d{3}$/.test(msg.command)) this.onNumeric(msg);
  }

  /** When a message happened (server-time, else now) and whether it is replayed history. */
  when(msg) {
    const t = msg.tags.time ? new Date(msg.tags.time) : null;
    const time = t && !Number.isNaN(t.getTime()) ? t : new Date();
    const batch = msg.tags.batch;
    const history = Boolean(batch && (this.batches.get(batch) || "").endsWith("chathistory"));
    return { time, history };
  }

  on_PING(msg) { this.send("PONG", ...msg.params.slice(0, 1)); }
  on_PONG() {}
  on_ERROR(msg) { this.info(STATUS, `Server: ${msg.params[0] || ""}`, "error"); }

  on_CAP(msg) {
    const sub = (msg.params[1] || "").toUpperCase();
    const last = msg.params[msg.params.length - 1] || "";
    if (sub === "LS") {
      const more = msg.params[2] === "*";
      for (const item of last.split(" ").filter(Boolean)) {
        const eq = item.indexOf("=");
        this.offered.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? "" : item.slice(eq + 1));
      }
      if (more || this.capEnded) return;
      const request = WANTED_CAPS.filter((c) => this.offered.has(c));
      if (request.length) this.send("CAP", "REQ", request.join(" "));
      else this.capEnd();
    } else if (sub === "ACK") {
      for (const c of last.split(" ").filter(Boolean)) {
        if (c.startsWith("-")) this.caps.delete(c.slice(1));
        else this.caps.add(c);
      }
      this.capEnd();
    } else if (sub === "NAK") {
      this.capEnd();
    } else if (sub === "NEW") {
      const fresh = WANTED_CAPS.filter((c) => last.split(" ").includes(c) && !this.caps.has(c));
      if (fresh.length && this.registered) this.send("CAP", "REQ", fresh.join(" "));
    } else if (sub === "DEL") {
      for (const c of last.split(" ")) this.caps.delete(c);
    }
  }

  capEnd() {
    if (!this.capEnded) {
      this.capEnded = true;
      this.send("CAP", "END");
    }
  }

  on_001(msg) {
    this.registered = true;
    this.capEnded = true;
    this.setNick(msg.params[0] || this.nick);
    this.info(STATUS, msg.params[msg.params.length - 1]);
    this.setState("connected");
    for (const channel of this.wanted.values()) this.send("JOIN", channel);
    this.flushQueue();
  }

  on_005(msg) {
    for (const token of msg.params.slice(1, -1)) {
      const [key, value = ""] = token.split(/=(.*)/s);
      if (key.startsWith("-")) this.isupport.delete(key.slice(1));
      else this.isupport.set(key, value);
      if (key === "NETWORK" && value) {
        this.network = value;
        this.emit({ type: "status" });
      }
    }
  }

  nickError(msg) {
    const wanted = msg.params[1] || "";
    if (this.registered) {
      this.info(this.current, `Cannot change nick to ${wanted}: ${msg.params[msg.params.length - 1]}`, "error");
      this.desiredNick = this.nick;
      return;
    }
    this.nickAttempt += 1;
    if (this.nickAttempt > 12) return this.info(STATUS, "No free nick found: use /nick <name>", "error");
    const alternative = alternativeNick(this.desiredNick, this.nickAttempt);
    this.info(STATUS, `Nick ${wanted} is not available, trying ${alternative}`);
    this.nick = alternative;
    this.send("NICK", alternative);
  }

  on_432(msg) { this.nickError(msg); }
  on_433(msg) { this.nickError(msg); }

  on_PRIVMSG(msg) {
    const target = msg.params[0] || "";
    let text = msg.params[1] || "";
    const sender = msg.nick;
    const self = fold(sender) === fold(this.nick);
    let kind = msg.command === "PRIVMSG" ? "message" : "notice";
    const fromServer = !msg.source || (!msg.source.includes("!") && sender.includes("."));
    const { time, history } = this.when(msg);
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
      } else {
        text = `CTCP ${verb} reply: ${rest.join(" ")}`;
      }
    }
    const chan = target.replace(/^[@+]+/, "");
    let buffer;
    if (this.isChannel(chan)) buffer = this.ensureChannel(chan);
    else if (fromServer || !sender) buffer = !this.registered || kind === "notice" ? STATUS : this.current;
    else if (self) buffer = this.openBuffer(target, "query", false).name;
    else if (kind === "notice") buffer = this.buf(sender) ? this.buf(sender).name : this.current;
    else buffer = this.openBuffer(sender, "query", false).name;
    const highlight = !self && ((!this.isChannel(chan) && kind !== "notice" && !fromServer) || this.mentionsMe(text));
    const msgid = msg.tags.msgid || null;
    const buf = this.buf(buffer);
    if (msgid && buf && buf.lines.some((l) => l.msgid === msgid)) return;
    this.line(buffer, { time, nick: sender || this.network, text, kind, self, highlight, history, msgid });
  }

  on_NOTICE(msg) { this.on_PRIVMSG(msg); }

  on_JOIN(msg) {
    const channel = msg.params[0] || "";
    const nick = msg.nick;
    const { time } = this.when(msg);
    if (fold(nick) === fold(this.nick)) {
      const focus = this.focusOnJoin === fold(channel) || this.firstJoin !== false;
      this.firstJoin = false;
      if (this.focusOnJoin === fold(channel)) this.focusOnJoin = null;
      this.want(channel);
      let buf = this.buf(channel);
      if (!buf) buf = this.openBuffer(channel, "channel", focus);
      else if (focus) this.focus(buf.name);
      buf.joined = true;
      buf.members = new Map([[fold(nick), { nick, prefixes: "", away: false, host: this.hostOf(msg) }]]);
      this.emit({ type: "members", buffer: buf.name });
      this.info(buf.name, `You joined ${buf.name}`, "join");
      this.requestHistory(buf);
      this.flushQueue(buf.name);
      return;
    }
    const buf = this.buf(channel);
    if (!buf) return;
    buf.members.set(fold(nick), { nick, prefixes: "", away: false, host: this.hostOf(msg) });
    this.emit({ type: "members", buffer: buf.name });
    this.line(buf.name, { time, nick, text: `${nick} joined`, kind: "join" });
  }

  requestHistory(buf) {
    if (!this.caps.has("draft/chathistory") || this.historyLines <= 0) return;
    const last = [...buf.lines].reverse().find((l) => l.msgid);
    this.send("CHATHISTORY", "LATEST", buf.name, last ? `msgid=${last.msgid}` : "*", String(this.historyLines));
  }

  on_PART(msg) {
    const buf = this.buf(msg.params[0] || "");
    if (!buf) return;
    const nick = msg.nick;
    if (fold(nick) === fold(this.nick)) {
      this.unwant(buf.name);
      this.info(STATUS, `You left ${buf.name}`, "part");
      this.dropBuffer(buf);
      return;
    }
    buf.members.delete(fold(nick));
    this.emit({ type: "members", buffer: buf.name });
    const why = msg.params[1] ? ` (${msg.params[1]})` : "";
    this.line(buf.name, { time: this.when(msg).time, nick, text: `${nick} left${why}`, kind: "part" });
  }

  on_KICK(msg) {
    const [channel, victim, reason] = msg.params;
    const buf = this.buf(channel || "");
    if (!buf) return;
    const why = reason ? ` (${reason})` : "";
    const time = this.when(msg).time;
    if (fold(victim || "") === fold(this.nick)) {
      this.unwant(buf.name);
      buf.joined = false;
      buf.members.clear();
      this.emit({ type: "members", buffer: buf.name });
      this.line(buf.name, { time, nick: msg.nick, text: `You were kicked from ${buf.name} by ${msg.nick}${why}`, kind: "kick", highlight: true });
      this.dropQueue(buf.name);
      return;
    }
    buf.members.delete(fold(victim || ""));
    this.emit({ type: "members", buffer: buf.name });
    this.line(buf.name, { time, nick: msg.nick, text: `${victim} was kicked by ${msg.nick}${why}`, kind: "kick" });
  }

  on_QUIT(msg) {
    const nick = msg.nick;
    const why = msg.params[0] ? ` (${msg.params[0]})` : "";
    const time = this.when(msg).time;
    for (const buf of [...this.buffers.values()]) {
      if ((buf.kind === "channel" && buf.members.delete(fold(nick))) || (buf.kind === "query" && fold(buf.name) === fold(nick))) {
        if (buf.kind === "channel") this.emit({ type: "members", buffer: buf.name });
        this.line(buf.name, { time, nick, text: `${nick} quit${why}`, kind: "quit" });
      }
    }
  }

  on_NICK(msg) {
    const old = msg.nick;
    const nick = msg.params[0] || "";
    const self = fold(old) === fold(this.nick);
    const text = self ? `You are now known as ${nick}` : `${old} is now known as ${nick}`;
    const time = this.when(msg).time;
    for (const buf of [...this.buffers.values()]) {
      if (buf.kind === "channel" && buf.members.has(fold(old))) {
        const member = buf.members.get(fold(old));
        buf.members.delete(fold(old));
        buf.members.set(fold(nick), { ...member, nick });
        this.emit({ type: "members", buffer: buf.name });
        this.line(buf.name, { time, nick: old, text, kind: "nick" });
      } else if (buf.kind === "query" && fold(buf.name) === fold(old)) {
        if (!this.buf(nick) || fold(nick) === fold(old)) this.renameBuffer(buf, nick);
        this.line(buf.name, { time, nick: old, text, kind: "nick" });
      }
    }
    if (self) {
      this.desiredNick = nick;
      this.setNick(nick);
      this.info(STATUS, text, "nick");
      this.emit({ type: "desired-nick", nick });
    }
  }

  on_TOPIC(msg) {
    const buf = this.buf(msg.params[0] || "");
    if (!buf) return;
    buf.topic = msg.params[1] || "";
    this.emit({ type: "topic", buffer: buf.name });
    const text = buf.topic ? `${msg.nick} changed the topic to: ${buf.topic}` : `${msg.nick} cleared the topic`;
    this.line(buf.name, { time: this.when(msg).time, nick: msg.nick, text, kind: "topic" });
  }

  on_MODE(msg) {
    const target = msg.params[0] || "";
    if (!this.isChannel(target)) {
      if (fold(target) === fold(this.nick)) this.info(STATUS, `Your modes: ${msg.params.slice(1).join(" ")}`, "mode");
      return;
    }
    const buf = this.buf(target);
    if (!buf) return;
    const args = msg.params.slice(2);
    let adding = true;
    for (const ch of msg.params[1] || "") {
      if (ch === "+" || ch === "-") { adding = ch === "+"; continue; }
      const symbol = { o: "@", v: "+" }[ch];
      if (symbol) {
        const m = buf.members.get(fold(args.shift() || ""));
        if (m) {
          const set = new Set(m.prefixes);
          if (adding) set.add(symbol); else set.delete(symbol);
          m.prefixes = "@+".split("").filter((c) => set.has(c)).join("");
        }
      } else if ("bkl".includes(ch) && (adding || ch !== "l")) {
        args.shift();
      }
    }
    this.emit({ type: "members", buffer: buf.name });
    this.line(buf.name, { time: this.when(msg).time, nick: msg.nick, text: `${msg.nick} sets mode ${msg.params.slice(1).join(" ")}`, kind: "mode" });
  }

  on_AWAY(msg) {
    const away = Boolean(msg.params[0]);
    for (const buf of this.buffers.values()) {
      const m = buf.members.get(fold(msg.nick));
      if (m && m.away !== away) {
        m.away = away;
        this.emit({ type: "members", buffer: buf.name });
      }
    }
  }

  on_BATCH(msg) {
    const ref = msg.params[0] || "";
    if (ref.startsWith("+")) this.batches.set(ref.slice(1), msg.params[1] || "");
    else if (ref.startsWith("-")) this.batches.delete(ref.slice(1));
  }

  on_INVITE(msg) {
    this.info(this.current, `${msg.nick} invites you to ${msg.params[1]} (/join ${msg.params[1]})`);
  }

  on_ACK() {}

  onNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    switch (code) {
      case "301": {
        const buf = this.buf(p[1] || "");
        return this.info(buf ? buf.name : this.current, `${p[1]} is away: ${p[2] || ""}`);
      }
      case "305": case "306":
        this.away = code === "306";
        this.info(this.current, this.away ? "You are away" : "You are back");
        return this.emit({ type: "status" });
      case "315": return this.whoEnd();
      case "352": {
        // 352 <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
        const req = this.who[0];
        if (req) req.replies.push({ nick: p[5], user: p[2], host: p[3], away: (p[6] || "").includes("G") });
        return;
      }
      case "331": case "332": {
        const buf = this.buf(p[1] || "");
        if (!buf) return;
        buf.topic = code === "332" ? p[2] || "" : "";
        this.emit({ type: "topic", buffer: buf.name });
        if (buf.topic) this.info(buf.name, `Topic: ${buf.topic}`, "topic");
        return;
      }
      case "353": return this.onNames(msg);
      case "366": return this.onEndOfNames(msg);
      case "324": case "329": case "333": case "354": return;
      default:
    }
    const text = p.slice(1).filter(Boolean).join(" ");
    if (!text) return;
    if (code[0] === "4" || code[0] === "5") {
      this.info(this.current, text, "error");
      if (JOIN_FAILURES.has(code)) {
        this.dropQueue(p[1] || "");
        if (this.focusOnJoin === fold(p[1] || "")) this.focusOnJoin = null;
      }
      if (code === "421" && this.who.length && p[1] === "WHO") this.who.shift();
    } else {
      this.info(STATUS, text);
    }
  }

  onNames(msg) {
    const buf = this.buf(msg.params[2] || "");
    if (!buf) return;
    if (!buf.namesPending) buf.namesPending = new Map();
    for (const item of (msg.params[msg.params.length - 1] || "").split(" ").filter(Boolean)) {
      const m = /^([@+]*)([^!]+)(?:!(.*))?$/.exec(item);
      if (!m) continue;
      const host = m[3] ? m[3].split("@")[1] : null;
      const old = buf.members.get(fold(m[2]));
      buf.namesPending.set(fold(m[2]), { nick: m[2], prefixes: m[1], away: old ? old.away : false, host });
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
    if (this.namesRequested.delete(fold(buf.name))) {
      const members = this.members(buf.name);
      this.info(buf.name, `${members.length} in ${buf.name}: ${members.map((m) => m.prefixes.slice(0, 1) + m.nick).join(" ")}`);
    }
  }

  // ---------------------------------------------------------------- helpers

  send(command, ...params) {
    this.transmit(formatLine(command, params));
  }

  isChannel(name) {
    return isChannel(name, this.isupport.get("CHANTYPES") || "#&");
  }

  nickLike(name) {
    return Boolean(name) && !/[ ,*?!@:]/.test(name) && !"#&$".includes(name[0]);
  }

  hostOf(msg) {
    return msg.source && msg.source.includes("@") ? msg.source.split("@").pop() : null;
  }

  mentionsMe(text) {
    if (!this.nick) return false;
    const escaped = this.nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, "i").test(text);
  }

  buf(name) {
    return this.buffers.get(fold(name || ""));
  }

  want(channel) {
    if (!this.wanted.has(fold(channel))) this.wanted.set(fold(channel), channel);
  }

  unwant(channel) {
    this.wanted.delete(fold(channel));
  }

  ensureChannel(channel) {
    return (this.buf(channel) || this.openBuffer(channel, "channel", false)).name;
  }

  openBuffer(name, kind, focus) {
    let buf = this.buf(name);
    if (!buf) {
      buf = { name, kind, lines: [], unread: 0, highlight: false, topic: "", joined: false, members: new Map(), namesPending: null };
      this.buffers.set(fold(name), buf);
      this.emit({ type: "buffers" });
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
    this.buffers.delete(fold(buf.name));
    if (fold(this.current) === fold(buf.name)) {
      this.current = STATUS;
      this.emit({ type: "current", buffer: STATUS });
    }
    this.emit({ type: "buffers" });
  }

  renameBuffer(buf, name) {
    this.buffers.delete(fold(buf.name));
    if (fold(this.current) === fold(buf.name)) this.current = name;
    buf.name = name;
    this.buffers.set(fold(name), buf);
    this.emit({ type: "buffers" });
    this.emit({ type: "current", buffer: this.current });
  }

  setNick(nick) {
    this.nick = nick;
    this.emit({ type: "status" });
  }

  setState(state) {
    this.state = state;
    if (state !== "reconnecting") this.retryIn = null;
    this.emit({ type: "status" });
  }

  emit(event) {
    this.onEvent(event);
  }

  info(buffer, text, kind = "info") {
    const buf = this.buf(buffer) || this.buf(STATUS);
    this.line(buf.name, { nick: "", text, kind });
  }

  line(buffer, fields) {
    const buf = this.buf(buffer);
    if (!buf) return;
    const line = { time: new Date(), nick: "", self: false, highlight: false, history: false, msgid: null, ...fields, buffer: buf.name };
    buf.lines.push(line);
    if (buf.lines.length > this.scrollback) buf.lines.shift();
    const counted = COUNTED.has(line.kind) && !line.self && !line.history && fold(buf.name) !== fold(this.current);
    if (counted) {
      buf.unread += 1;
      buf.highlight = buf.highlight || line.highlight;
    }
    this.emit({ type: "line", buffer: buf.name, line });
    if (counted) this.emit({ type: "buffers" });
  }
}
