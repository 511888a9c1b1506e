// The browser's client core: IRC state, user commands and events, without DOM or sockets.
// It mirrors socketchat/client/core.py (same commands, same behaviour); app.js is the view and
// the WebSocket adapter. Drive it with connecting/connectionMade/receiveLine/connectionLost and
// handleInput; it calls this.transmit(line) to send and this.onEvent(event) to tell the view.

import { insertHistory, joinAnchor, olderReference } from "./history.js";
import { fold, formatLine, isChannel, parseIp, parseMessage, saslPlain, sameIp, splitUtf8, validNick } from "./irc.js";

export const STATUS = "*status*";

export const WANTED_CAPS = [
  "server-time", "message-tags", "echo-message", "multi-prefix", "userhost-in-names",
  "away-notify", "batch", "labeled-response", "draft/chathistory", "draft/account-registration",
];

const COUNTED = new Set(["message", "action", "notice"]);
const JOIN_FAILURES = new Set(["403", "405", "471", "473", "474", "475", "477"]);
const SASL_FAILURES = new Set(["902", "904", "905"]);
const NICKSERV = "NickServ";

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
  history: ["/history [n]", "load n (default 50) older messages in this tab"],
  register: ["/register <password> [email]", "register your nick as an account"],
  identify: ["/identify [account] <password>", "log in to your account"],
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
  constructor(nick, { channels = ["#lobby"], historyLines = 50, maxQueued = 100, scrollback = 1000, password = null } = {}) {
    this.desiredNick = nick;
    // {account, password} to log in with on every (re)connection; in memory only
    this.login = password ? { account: nick, password } : null;
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
    this.batches = new Map(); // ref → {type, target, lines}; a chathistory batch collects its lines
    this.account = null; // the account we are logged in to (900), or null
    this.sasl = null; // {account, password} while an AUTHENTICATE exchange runs
    this.saslNotice = ""; // what the server noticed during it (e.g. "too many failed logins")
    this.pendingLogin = null; // {account, password} from /register or /identify, kept on success
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
      if (buf.historyRequest) {
        buf.historyRequest = null;
        this.emit({ type: "history", buffer: buf.name }); // no longer loading
      }
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

  cmd_history(args, buffer) {
    const n = args.split(" ")[0];
    if (n && !/^[1-9][0-9]{0,3}$/.test(n)) return this.usage("history", buffer);
    this.requestOlder(buffer, n ? Number(n) : this.historyLines || 50, { user: true });
  }

  cmd_register(args, buffer) {
    const [password, email = "", ...extra] = args.split(/\s+/).filter(Boolean);
    if (!password || extra.length) return this.usage("register", buffer);
    if (!this.requireConnection(buffer)) return;
    if (this.account) return this.info(buffer, `You are already logged in as ${this.account}`, "error");
    this.pendingLogin = { account: this.nick, password };
    if (this.caps.has("draft/account-registration") || this.offered.has("draft/account-registration")) this.send("REGISTER", this.nick, email || "*", password);
    else this.send("PRIVMSG", NICKSERV, ["REGISTER", password, ...(email ? [email] : [])].join(" "));
    this.info(buffer, `Registering the account ${this.nick}…`, "account");
  }

  cmd_identify(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    if (!words.length || words.length > 2) return this.usage("identify", buffer);
    if (!this.requireConnection(buffer)) return;
    if (this.account) return this.info(buffer, `You are already logged in as ${this.account}`, "error");
    const login = { account: words.length === 2 ? words[0] : this.nick, password: words[words.length - 1] };
    this.pendingLogin = login;
    this.info(buffer, `Logging in as ${login.account}…`, "account");
    if (this.caps.has("sasl")) this.authenticate(login);
    else this.identifyWithNickServ(login);
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

  /** When a message happened (server-time, else now; `exact` if from the server) and, for
   * replayed history, the ref of its chathistory batch (`history`). */
  when(msg) {
    const t = msg.tags.time ? new Date(msg.tags.time) : null;
    const exact = Boolean(t && !Number.isNaN(t.getTime()));
    const time = exact ? t : new Date();
    const ref = msg.tags.batch;
    const batch = ref ? this.batches.get(ref) : null;
    const history = Boolean(batch && batch.type.endsWith("chathistory"));
    return { time, exact, history, batch: history ? ref : null };
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
      if (this.login && this.offersPlain()) request.push("sasl");
      if (request.length) this.send("CAP", "REQ", request.join(" "));
      else this.capEnd();
    } else if (sub === "ACK") {
      for (const c of last.split(" ").filter(Boolean)) {
        if (c.startsWith("-")) this.caps.delete(c.slice(1));
        else this.caps.add(c);
      }
      if (!this.registered && this.login && this.caps.has("sasl") && !this.account) this.authenticate(this.login);
      else if (!this.sasl) this.capEnd();
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
    // a server without SASL: log in through NickServ instead (before joining, for the cloaks and
    // channel access that may depend on it)
    if (this.login && !this.account && !this.caps.has("sasl")) this.identifyWithNickServ(this.login);
    for (const channel of this.wanted.values()) this.send("JOIN", channel);
    this.flushQueue();
  }

  offersPlain() {
    if (!this.offered.has("sasl")) return false;
    const mechs = this.offered.get("sasl");
    return !mechs || mechs.split(",").includes("PLAIN");
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
      } else {
        text = `CTCP ${verb} reply: ${rest.join(" ")}`;
      }
    }
    const chan = target.replace(/^[@+]+/, "");
    if (self && fold(target) === fold(NICKSERV) && /^(REGISTER|IDENTIFY|LOGIN)\b/i.test(text)) return; // an echo with a password
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
    if (msgid && !history && buf && buf.lines.some((l) => l.msgid === msgid)) return;
    this.line(buffer, { time, exact, nick: sender || this.network, text, kind, self, highlight, history, msgid, batch });
  }

  on_NOTICE(msg) { this.on_PRIVMSG(msg); }

  on_JOIN(msg) {
    const channel = msg.params[0] || "";
    const nick = msg.nick;
    const { time, exact } = this.when(msg);
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
      buf.joinLine = this.line(buf.name, { time, exact, text: `You joined ${buf.name}`, kind: "join" });
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

  // ---------------------------------------------------------------- history

  /** Does the server keep history we can tell apart from live lines? */
  hasHistory() {
    return this.caps.has("draft/chathistory") && this.caps.has("batch");
  }

  /** After a join: the latest lines (since the last one we have, after a reconnect). */
  requestHistory(buf) {
    if (!this.hasHistory() || this.historyLines <= 0 || buf.historyRequest) return;
    const last = [...buf.lines].reverse().find((l) => l.msgid);
    buf.historyRequest = { kind: "latest" };
    this.send("CHATHISTORY", "LATEST", buf.name, last ? `msgid=${last.msgid}` : "*", String(this.historyLines));
  }

  /**
   * Older lines for `name` (scrolled to the top, or /history): one request at a time per buffer,
   * none once the start of history is shown. `user`: say why nothing happens. True if asked.
   */
  requestOlder(name, limit = this.historyLines || 50, { user = false } = {}) {
    const buf = this.buf(name);
    const why = (text) => {
      if (user) this.info(buf ? buf.name : this.current, text, "error");
      return false;
    };
    if (!buf || buf.kind === "status") return why("Usage: /history [n] — in a channel or private tab");
    if (!this.hasHistory()) return why("This server does not offer history");
    if (!this.registered) return why("Not connected: try again when the connection is back");
    if (buf.historyRequest) return why("Already loading history for this tab…");
    if (this.atHistoryStart(buf)) return why("This is the start of history");
    this.sendBefore(buf, { kind: "before", limit, byTimestamp: false });
    return true;
  }

  sendBefore(buf, request) {
    const { line, selector } = olderReference(buf.lines, request.byTimestamp);
    buf.historyRequest = { ...request, line, selector };
    this.send("CHATHISTORY", "BEFORE", buf.name, selector, String(request.limit));
    this.emit({ type: "history-loading", buffer: buf.name });
  }

  atHistoryStart(buf) {
    return Boolean(buf.historyStart && buf.lines.includes(buf.historyStart));
  }

  /** A chathistory batch ended: put its lines in place, per buffer, and settle the requests. */
  endHistoryBatch(batch) {
    const byBuffer = new Map();
    const target = this.buf(batch.target);
    if (target) byBuffer.set(fold(target.name), []);
    for (const line of batch.lines) {
      const key = fold(line.buffer);
      if (!byBuffer.has(key)) byBuffer.set(key, []);
      byBuffer.get(key).push(line);
    }
    for (const [key, lines] of byBuffer) {
      const buf = this.buffers.get(key);
      if (buf) this.placeHistory(buf, lines);
    }
  }

  placeHistory(buf, lines) {
    const request = buf.historyRequest;
    buf.historyRequest = null;
    if (request && request.kind === "before") {
      const at = request.line ? Math.max(0, buf.lines.indexOf(request.line)) : 0;
      if (!lines.length) {
        buf.historyStart = { time: request.line ? request.line.time : new Date(), nick: "", text: "start of history", kind: "history-start", buffer: buf.name, history: true };
        buf.lines.splice(at, 0, buf.historyStart);
      } else {
        insertHistory(buf.lines, lines, at);
      }
    } else {
      // the latest lines on (re)join, or history the server replayed by itself
      const at = joinAnchor(buf.lines, buf.joinLine);
      const fresh = insertHistory(buf.lines, lines, at);
      if (!fresh.length) return this.emit({ type: "history", buffer: buf.name });
      buf.lines.splice(at + fresh.length, 0, { time: fresh[fresh.length - 1].time, nick: "", text: "history", kind: "divider", buffer: buf.name, history: true });
      const excess = buf.lines.length - this.scrollback;
      if (excess > 0) buf.lines.splice(0, excess);
    }
    this.emit({ type: "history", buffer: buf.name });
  }

  /** The server does not know CHATHISTORY after all: stop waiting, ask no more. */
  historyUnavailable() {
    this.caps.delete("draft/chathistory");
    for (const buf of this.buffers.values()) {
      if (buf.historyRequest) {
        buf.historyRequest = null;
        this.emit({ type: "history", buffer: buf.name });
      }
    }
  }

  /** FAIL CHATHISTORY <sub> <target> …: an unknown msgid is asked again by time; else give up. */
  historyFailed(msg) {
    const buf = this.buf(msg.params[3] || "");
    if (!buf || !buf.historyRequest) return;
    const request = buf.historyRequest;
    if (msg.params[1] === "MESSAGE_ERROR" && request.kind === "before" && !request.byTimestamp) {
      return this.sendBefore(buf, { ...request, byTimestamp: true });
    }
    buf.historyRequest = null;
    this.info(buf.name, `Could not load history: ${msg.params[msg.params.length - 1]}`, "error");
    this.emit({ type: "history", buffer: buf.name });
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
    if (ref.startsWith("+")) {
      this.batches.set(ref.slice(1), { type: msg.params[1] || "", target: msg.params[2] || "", lines: [] });
    } else if (ref.startsWith("-")) {
      const batch = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      if (batch && batch.type.endsWith("chathistory")) this.endHistoryBatch(batch);
    }
  }

  /** FAIL <command> <code> [context…] <description> (IRCv3 standard replies). */
  on_FAIL(msg) {
    const [command = "", code = ""] = msg.params;
    const description = msg.params[msg.params.length - 1] || code;
    if (command === "CHATHISTORY") return this.historyFailed(msg);
    if (command === "REGISTER") {
      this.pendingLogin = null;
      return this.info(this.current, `Registration failed: ${description}`, "error");
    }
    this.info(this.current, `${command} failed: ${description}`, "error");
  }

  on_WARN(msg) {
    this.info(this.current, `${msg.params[0]}: ${msg.params[msg.params.length - 1]}`);
  }

  on_NOTE() {}

  // ---------------------------------------------------------------- accounts

  /** REGISTER SUCCESS|VERIFICATION_REQUIRED <account> :<message> (draft/account-registration). */
  on_REGISTER(msg) {
    const [outcome, account, text] = msg.params;
    if (outcome === "SUCCESS") {
      this.info(this.current, `Account ${account} registered${text ? ": " + text : ""}`, "account");
    } else {
      this.info(this.current, `Account ${account}: ${text || outcome}`, "account");
    }
  }

  authenticate(login) {
    this.sasl = login;
    this.saslNotice = "";
    this.send("AUTHENTICATE", "PLAIN");
  }

  on_AUTHENTICATE(msg) {
    if (msg.params[0] !== "+" || !this.sasl) return;
    for (const chunk of saslPlain(this.sasl.account, this.sasl.password)) this.send("AUTHENTICATE", chunk);
  }

  identifyWithNickServ(login) {
    const who = fold(login.account) === fold(this.nick) ? [] : [login.account];
    this.send("PRIVMSG", NICKSERV, ["IDENTIFY", ...who, login.password].join(" "));
  }

  /** 900-908: logged in or out, SASL done, failed or aborted. */
  onAccountNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    if (code === "900") {
      this.account = p[2] || null;
      if (this.pendingLogin && this.account && fold(this.pendingLogin.account) === fold(this.account)) {
        this.login = this.pendingLogin; // logs in again after a reconnect
      }
      this.pendingLogin = null;
      this.info(this.registered ? this.current : STATUS, `You are logged in as ${this.account}`, "account");
      return this.emit({ type: "status" });
    }
    if (code === "901") {
      this.account = null;
      this.info(this.current, "You are logged out", "account");
      return this.emit({ type: "status" });
    }
    if (code === "908") return; // the mechanisms; a 904 follows
    const tried = this.sasl;
    this.sasl = null;
    if (code === "903" || code === "907") {
      if (!this.registered) this.capEnd();
      return;
    }
    // 902, 904, 905 failed; 906 aborted
    const failed = SASL_FAILURES.has(code);
    if (!this.registered) {
      if (failed && tried && tried === this.login) {
        this.login = null;
        const server = this.saslNotice ? ` (${this.saslNotice})` : "";
        this.emit({ type: "auth-failed", account: tried.account, message: `Could not log in as ${tried.account}: wrong nickname or password.${server}` });
      }
      this.capEnd();
    } else if (tried) {
      this.pendingLogin = null;
      this.info(this.current, `Login as ${tried.account} failed: ${failed ? "wrong account or password" : p[p.length - 1]}`, "error");
    }
  }

  on_INVITE(msg) {
    this.info(this.current, `${msg.nick} invites you to ${msg.params[1]} (/join ${msg.params[1]})`);
  }

  on_ACK() {}

  onNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    if (code >= "900" && code <= "908") return this.onAccountNumeric(msg);
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

  line(buffer, { batch = null, ...fields }) {
    const buf = this.buf(buffer);
    if (!buf) return null;
    const line = { time: new Date(), exact: false, nick: "", self: false, highlight: false, history: false, msgid: null, ...fields, buffer: buf.name };
    if (line.history && batch && this.batches.has(batch)) {
      this.batches.get(batch).lines.push(line); // placed when the batch ends
      return line;
    }
    buf.lines.push(line);
    if (buf.lines.length > this.scrollback) buf.lines.shift();
    const counted = COUNTED.has(line.kind) && !line.self && !line.history && fold(buf.name) !== fold(this.current);
    if (counted) {
      buf.unread += 1;
      buf.highlight = buf.highlight || line.highlight;
    }
    this.emit({ type: "line", buffer: buf.name, line });
    if (counted) this.emit({ type: "buffers" });
    return line;
  }
}
