// The typed /commands of the browser core: the table (name → usage, help) and the handlers.
// Mirrors socketchat/client/commands.py. Methods of ChatCore (mixed in by client.js).

import { NICKSERV } from "./accounts.js";
import { parseIp, parseMessage, validNick } from "./irc.js";
import { normalizeLines } from "./multiline.js";
import { byCodePoint, tr } from "./state.js";

export const COMMANDS = {
  help: ["/help", tr("list the commands")],
  pm: ["/pm <nick|ip> <message>", tr("private message; an IP address finds who is connected from it")],
  msg: ["/msg <nick|#channel|ip> <message>", tr("send a message")],
  query: ["/query <nick> [message]", tr("open a private conversation")],
  who: ["/who [mask]", tr("who is here (nick, host, away)")],
  join: ["/join <#channel> [key]", tr("join a channel")],
  part: ["/part [#channel] [reason]", tr("leave a channel")],
  close: ["/close [tab]", tr("close this tab (leaves a channel)")],
  me: ["/me <action>", tr("send an action (* you waves)")],
  reply: ["/reply <nick|msgid> <message>", tr("answer a message (their latest, for a nick)")],
  redact: ["/redact [msgid] [reason]", tr("take back a message (your latest here, without a msgid)")],
  react: ["/react <nick|msgid> <emoji>", tr("react to a message; again: take it back")],
  nick: ["/nick <newnick>", tr("change your nick")],
  topic: ["/topic [new topic]", tr("show or set the channel topic")],
  away: ["/away [message]", tr("mark yourself away; without a message: back")],
  names: ["/names [#channel]", tr("list the channel's members")],
  search: ["/search <words> [in:#channel] [from:nick]", tr("search the history you may read (results in their own tab)")],
  jump: ["/jump <n>", tr("show search result n in its conversation")],
  list: ["/list [mask]", tr("the server's channels, to browse and join")],
  whois: ["/whois <nick>", tr("information about a user")],
  history: ["/history [n]", tr("load n (default 50) older messages in this tab")],
  register: ["/register <password> [email]", tr("register your nick as an account")],
  identify: ["/identify [account] <password>", tr("log in to your account")],
  mode: ["/mode [#channel|nick] [changes]", tr("show or change modes")],
  op: ["/op <nick>...", tr("make operators")],
  deop: ["/deop <nick>...", tr("take op away")],
  voice: ["/voice <nick>...", tr("give voice")],
  devoice: ["/devoice <nick>...", tr("take voice away")],
  kick: ["/kick <nick> [reason]", tr("remove someone from the channel")],
  ban: ["/ban <nick|mask>...", tr("ban (a nick: its host)")],
  unban: ["/unban <mask>...", tr("lift a ban")],
  invite: ["/invite <nick> [#channel]", tr("invite someone")],
  ignore: ["/ignore [nick]", tr("hide someone's messages (here only)")],
  unignore: ["/unignore <nick>", tr("show someone's messages again")],
  clear: ["/clear", tr("empty this tab (here only)")],
  quote: ["/quote <raw IRC line>", tr("send a raw IRC line")],
  quit: ["/quit [reason]", tr("disconnect (you can reconnect)")],
  exit: ["/exit", tr("leave the chat (you can reconnect)")],
};
const ALIASES = { j: "join", q: "query", leave: "part", raw: "quote" };

export class CommandMethods {
  // ---- channel operator commands and /ignore, /clear (as socketchat/client/chanops.py)

  /** The channel (named first, else the tab typed in, if a channel) and the other words. */
  channelAndRest(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    if (words.length && this.isChannel(words[0])) return [words[0], words.slice(1)];
    const buf = this.buf(buffer);
    return [buf && buf.kind === "channel" ? buf.name : null, words];
  }

  needChannel(name, buffer) {
    const [usage, help] = COMMANDS[name];
    this.info(buffer, tr("Usage: {usage} — {help} (in a channel)", { usage, help }), "error");
  }

  cmd_mode(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    let target;
    let rest;
    if (words.length && !this.isChannel(words[0]) && !"+-".includes(words[0][0])) [target, ...rest] = words;
    else {
      [target, rest] = this.channelAndRest(args, buffer);
      if (!target) return this.needChannel("mode", buffer);
    }
    if (this.requireConnection(buffer)) this.send("MODE", target, ...rest);
  }

  sendPrefixModes(name, sign, letter, args, buffer) {
    const [channel, nicks] = this.channelAndRest(args, buffer);
    if (!channel || !nicks.length) return this.needChannel(name, buffer);
    if (!this.requireConnection(buffer)) return;
    const max = /^[1-9][0-9]*$/.test(this.isupport.get("MODES") || "") ? Number(this.isupport.get("MODES")) : 3;
    for (let i = 0; i < nicks.length; i += max) {
      const chunk = nicks.slice(i, i + max);
      this.send("MODE", channel, sign + letter.repeat(chunk.length), ...chunk);
    }
  }

  cmd_op(args, buffer) { this.sendPrefixModes("op", "+", "o", args, buffer); }
  cmd_deop(args, buffer) { this.sendPrefixModes("deop", "-", "o", args, buffer); }
  cmd_voice(args, buffer) { this.sendPrefixModes("voice", "+", "v", args, buffer); }
  cmd_devoice(args, buffer) { this.sendPrefixModes("devoice", "-", "v", args, buffer); }

  cmd_kick(args, buffer) {
    const [channel, words] = this.channelAndRest(args, buffer);
    if (!channel || !words.length) return this.needChannel("kick", buffer);
    if (this.requireConnection(buffer)) this.send("KICK", channel, words[0], ...(words.length > 1 ? [words.slice(1).join(" ")] : []));
  }

  /** A mask as typed (with ! @ or *), else the nick's host, else nick!*@*. */
  banMask(who) {
    if (/[!@*]/.test(who)) return who;
    for (const buf of this.buffers.values()) {
      const m = buf.members.get(this.fold(who));
      if (m && m.host) return `*!*@${m.host}`;
    }
    return `${who}!*@*`;
  }

  setBans(name, sign, args, buffer) {
    const [channel, words] = this.channelAndRest(args, buffer);
    if (!channel || !words.length) return this.needChannel(name, buffer);
    if (!this.requireConnection(buffer)) return;
    const masks = words.map((w) => this.banMask(w));
    this.send("MODE", channel, sign + "b".repeat(masks.length), ...masks);
  }

  cmd_ban(args, buffer) { this.setBans("ban", "+", args, buffer); }
  cmd_unban(args, buffer) { this.setBans("unban", "-", args, buffer); }

  cmd_invite(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    const buf = this.buf(buffer);
    let nick;
    let channel;
    if (words.length >= 2 && this.isChannel(words[1])) [nick, channel] = words;
    else if (words.length === 1 && buf && buf.kind === "channel") [nick, channel] = [words[0], buf.name];
    else return this.needChannel("invite", buffer);
    if (this.requireConnection(buffer)) this.send("INVITE", nick, channel);
  }

  cmd_ignore(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    if (!words.length) {
      const names = [...this.ignored.values()].sort(byCodePoint).join(", ") || "nobody";
      return this.info(buffer, tr("Ignored: {names}", { names }));
    }
    for (const nick of words) this.ignored.set(this.fold(nick), nick);
    this.info(buffer, tr("Ignoring {names} (/unignore to stop)", { names: words.join(", ") }));
  }

  cmd_unignore(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    for (const nick of words) this.ignored.delete(this.fold(nick));
    this.info(buffer, words.length ? tr("No longer ignoring {names}", { names: words.join(", ") }) : tr("No longer ignoring anyone new"));
  }

  cmd_clear(args, buffer) {
    const buf = this.buf(buffer);
    if (!buf) return;
    buf.lines = [];
    this.emit({ type: "history", buffer: buf.name }); // the view draws the tab again
  }

  // ---- the others
  handleInput(text, buffer = this.current) {
    const target = this.buf(buffer) ? buffer : this.current;
    // several lines whose first is not a command are one message (multiline.js)
    const lines = normalizeLines(text);
    if (lines.length > 1 && (!lines[0].startsWith("/") || lines[0].startsWith("//"))) return this.say(target, lines.join("\n"), { action: false });
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

  runCommand(name, args, buffer) {
    const command = ALIASES[name] || name;
    const handler = this["cmd_" + command];
    if (!COMMANDS[command] || !handler) {
      this.info(buffer, tr("Unknown command /{name}. Type /help for the list of commands.", { name }), "error");
      return;
    }
    handler.call(this, args, buffer);
  }

  usage(name, buffer) {
    const [usage, help] = COMMANDS[name];
    this.info(buffer, tr("Usage: {usage} — {help}", { usage, help }), "error");
  }

  cmd_help(args, buffer) {
    this.info(buffer, tr("Commands:"));
    const width = Math.max(...Object.values(COMMANDS).map(([usage]) => usage.length));
    // the help is translated by the view (a tr of its own); the line is values only
    for (const [usage, help] of Object.values(COMMANDS)) this.info(buffer, { template: "  {usage}  {help}", args: { usage: usage.padEnd(width), help } });
    this.info(buffer, tr("  Text without a leading / is sent to the current tab."));
  }

  cmd_msg(args, buffer) {
    const [target, ...rest] = args.split(" ");
    const text = rest.join(" ").trim();
    if (!target || !text) return this.usage("pm", buffer);
    const ip = parseIp(target);
    if (ip) {
      if (!this.requireConnection(buffer)) return;
      return this.whoRequest(ip, buffer, { pmIp: ip, pmText: text });
    }
    if (this.isChannel(target) || this.nickLike(target)) {
      this.say(target, text, { action: false, focus: true, origin: buffer });
    } else {
      this.info(buffer, tr("{target} is neither a nick, a channel nor an IP address", { target: `"${target}"` }), "error");
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
      this.focusOnJoin = this.fold(channel);
      if (this.registered) this.send("JOIN", channel, ...parts.slice(1, 2));
      else this.info(buffer, tr("Will join {channel} when connected", { channel }));
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
    if (!buf || buf.kind !== "channel") return this.info(buffer, tr("Usage: /part [#channel] [reason] — in a channel tab"), "error");
    this.unwant(buf.name);
    if (this.registered && buf.joined) this.send("PART", buf.name, ...(reason ? [reason] : []));
    else this.dropBuffer(buf);
  }

  cmd_nick(args, buffer) {
    const nick = args.split(" ")[0];
    if (!nick || !validNick(nick)) return this.usage("nick", buffer);
    this.desiredNick = nick;
    if (this.registered || this.awaitingNick) this.chooseNick(nick); // also the answer to a refused nick
    else this.info(buffer, tr("Your nick will be {nick} when connected", { nick }));
    this.emit({ type: "desired-nick", nick });
  }

  cmd_reply(args, buffer) {
    const space = args.indexOf(" ");
    const ref = space < 0 ? args : args.slice(0, space);
    const text = space < 0 ? "" : args.slice(space + 1).trim();
    if (!ref || !text) return this.usage("reply", buffer);
    if (!this.caps.has("message-tags") && this.nickLike(ref)) return this.say(buffer, `${ref}: ${text}`, { action: false });
    const line = this.findLine(buffer, ref);
    if (!line || !line.msgid) return this.info(buffer, tr("No message {ref} here to reply to", { ref: `"${ref}"` }), "error");
    this.reply(buffer, line.msgid, text);
  }

  cmd_react(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    if (words.length !== 2) return this.usage("react", buffer);
    const line = this.findLine(buffer, words[0]);
    if (!line || !line.msgid) return this.info(buffer, tr("No message {ref} here to react to", { ref: `"${words[0]}"` }), "error");
    this.react(buffer, line.msgid, words[1]);
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
      return this.info(buffer, tr("Usage: /topic [#channel] [new topic] — in a channel"), "error");
    }
    if (!this.requireConnection(buffer)) return;
    if (args) this.send("TOPIC", channel, args);
    else if (buf && buf.topic) this.info(buffer, tr("Topic of {channel}: {topic}", { channel, topic: buf.topic }));
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
    this.namesRequested.add(this.fold(channel));
    this.send("NAMES", channel);
  }

  cmd_whois(args, buffer) {
    const nick = args.split(" ")[0];
    if (!nick) return this.usage("whois", buffer);
    if (!this.requireConnection(buffer)) return;
    this.whoisBuffers.set(this.fold(nick), buffer);
    this.send("WHOIS", nick);
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
    if (this.account) return this.info(buffer, tr("You are already logged in as {account}", { account: this.account }), "error");
    this.pendingLogin = { account: this.nick, password };
    if (this.offered.has("draft/account-registration")) this.send("REGISTER", this.nick, email || "*", password);
    else this.send("PRIVMSG", NICKSERV, ["REGISTER", password, ...(email ? [email] : [])].join(" "));
    this.info(buffer, tr("Registering the account {account}…", { account: this.nick }), "account");
  }

  cmd_identify(args, buffer) {
    const words = args.split(/\s+/).filter(Boolean);
    if (!words.length || words.length > 2) return this.usage("identify", buffer);
    if (!this.requireConnection(buffer)) return;
    if (this.account) return this.info(buffer, tr("You are already logged in as {account}", { account: this.account }), "error");
    const login = { account: words.length === 2 ? words[0] : this.nick, password: words[words.length - 1] };
    this.pendingLogin = login;
    this.info(buffer, tr("Logging in as {account}…", { account: login.account }), "account");
    if (this.caps.has("sasl")) this.authenticate(login);
    else this.identifyWithNickServ(login);
  }

  cmd_quote(args, buffer) {
    if (!args) return this.usage("quote", buffer);
    if (!this.requireConnection(buffer)) return;
    const msg = parseMessage(args);
    if (!msg) return this.info(buffer, tr("Not an IRC line"), "error");
    this.transmit(args.replace(/[\r\n]/g, " "));
  }

  cmd_quit(args) {
    this.exit(args || "Leaving");
  }

  cmd_exit(args) {
    this.exit(args || "Leaving");
  }
}
