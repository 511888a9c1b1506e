// The browser's client core: IRC state, user commands and events, without DOM or sockets.
// It mirrors socketchat/client/core.py, split the same way (state.js, commands.js, incoming.js,
// registration.js, outgoing.js, who.js, history.js, accounts.js: each a class of methods mixed
// into ChatCore); tests/fixtures/client/*.json are run against both cores so they cannot drift.
// app.js is the view and the WebSocket adapter. Drive it with connecting/connectionMade/
// receiveLine/connectionLost and handleInput; it calls this.transmit(line) to send and
// this.onEvent(event) to tell the view.

import { AccountMethods } from "./accounts.js";
import { ChannelListMethods } from "./channellist.js";
import { CommandMethods, COMMANDS } from "./commands.js";
import { HistoryMethods } from "./history.js";
import { IncomingMethods } from "./incoming.js";
import { formatLine, parseMessage } from "./irc.js";
import { MultilineMethods } from "./multiline.js";
import { OutgoingMethods } from "./outgoing.js";
import { PresenceMethods } from "./presence.js";
import { ReactionMethods } from "./reactions.js";
import { RedactionMethods } from "./redaction.js";
import { RegistrationMethods, WANTED_CAPS } from "./registration.js";
import { SEARCH, SearchMethods } from "./search.js";
import { mixin, StateMethods, STATUS, tr } from "./state.js";
import { TypingMethods } from "./typing.js";
import { WhoMethods } from "./who.js";
import { WhoisMethods } from "./whois.js";

export { COMMANDS, SEARCH, STATUS, WANTED_CAPS };

export class ChatCore {
  constructor(nick, { channels = ["#lobby"], historyLines = 50, maxQueued = 100, scrollback = 1000, password = null, account = null, realname = "socketchat web user", askNick = false } = {}) {
    this.desiredNick = nick;
    this.askNick = askNick; // a refused nick is asked again (event nick-refused), not nick_
    this.realname = realname;
    // {account, password} to log in with on every (re)connection; in memory only
    this.login = password ? { account: account || nick, password } : null;
    this.nick = nick;
    this.historyLines = historyLines;
    this.maxQueued = maxQueued;
    this.scrollback = scrollback;
    this.state = "disconnected";
    this.exiting = false;
    this.away = false;
    this.network = "";
    this.buffers = new Map(); // folded name → buffer
    // the server's naming rules (RPL_ISUPPORT), kept across reconnects like the Python core's
    this.foldTable = null; // CASEMAPPING beyond ascii
    this.prefixModes = "ov";
    this.prefixChars = "@+";
    this.chanmodes = ["beI", "k", "l", "imnpst"];
    this.wanted = new Map(); // folded channel → name, joined again after every reconnect
    this.queue = []; // {target, text, action} typed while offline
    this.ignored = new Map(); // folded nick → nick (/ignore: hidden here only)
    this.whois = new Map(); // folded nick → the WHOIS card being gathered
    this.whoisBuffers = new Map(); // folded nick → where /whois was typed
    this.current = STATUS;
    this.monitored = new Map(); // folded → nick we MONITOR (private tabs)
    this.monitoring = false; // this connection's MONITOR list was sent
    this.channelsListed = []; // the last /list
    this.searchHits = []; // the results of the last /search (lines of their conversations)
    this.searchBuffer = null; // where /search was typed
    this.searchQuery = "";
    this.multilineRefs = 0;
    this.clock = () => Date.now(); // milliseconds; the fixtures' runner sets its own
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
    this.awaitingNick = false;
    this.batches = new Map(); // ref → {type, target, lines}; a chathistory batch collects its lines
    this.missed = new Map(); // folded nick → the time of its latest line, waiting for its read marker
    this.account = null; // the account we are logged in to (900), or null
    this.sasl = null; // {account, password} while an AUTHENTICATE exchange runs
    this.saslNotice = ""; // what the server noticed during it (e.g. "too many failed logins")
    this.pendingLogin = null; // {account, password} from /register or /identify, kept on success
    this.who = []; // pending WHO requests, in order
    this.namesRequested = new Set();
    this.typingOut = null; // {target, state, sentAt, typedAt}: what we last said about our typing
    this.multilineIn = new Map(); // ref → {opening, lines, command}: received multiline batches
    this.listing = null; // /list answers being gathered
  }

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
    this.send("USER", this.desiredNick, "0", "*", this.realname);
  }

  connectionLost(reason) {
    const was = this.state;
    this.resetConnection();
    this.presenceLost();
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
      this.info(STATUS, reason ? tr("Disconnected: {reason}", { reason }) : tr("Disconnected"), "error");
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
      this.info(STATUS, tr("Internal error on {command}: {error}", { command: msg.command, error: err }), "error");
    }
  }

  closeBuffer(name) {
    const buf = this.buf(name);
    if (!buf) return;
    if (buf.kind === "status") {
      this.info(this.current, tr("The status tab cannot be closed"), "error");
    } else if (buf.kind === "channel") {
      this.unwant(buf.name);
      if (this.registered && buf.joined) this.send("PART", buf.name);
      else this.dropBuffer(buf);
    } else {
      this.dropBuffer(buf);
    }
  }

  send(command, ...params) {
    this.transmit(formatLine(command, params));
  }

  /** One line with IRCv3 tags (client tags: +typing, +draft/reply, +draft/react). */
  transmitLine(command, params, tags) {
    this.transmit(formatLine(command, params, tags));
  }

  hostOf(msg) {
    return msg.source && msg.source.includes("@") ? msg.source.split("@").pop() : null;
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

  want(channel) {
    if (!this.wanted.has(this.fold(channel))) this.wanted.set(this.fold(channel), channel);
  }

  unwant(channel) {
    this.wanted.delete(this.fold(channel));
  }

  requireConnection(buffer) {
    if (this.registered) return true;
    this.info(buffer, tr("Not connected: try again when the connection is back"), "error");
    return false;
  }

  exit(reason) {
    this.exiting = true;
    if (this.state === "registering" || this.state === "connected") this.send("QUIT", reason);
    this.info(STATUS, tr("Leaving…"));
    this.emit({ type: "exit", reason });
  }
}

mixin(ChatCore, StateMethods, CommandMethods, OutgoingMethods, WhoMethods, RegistrationMethods, AccountMethods, HistoryMethods, IncomingMethods, WhoisMethods, TypingMethods, ReactionMethods, MultilineMethods, RedactionMethods, ChannelListMethods, PresenceMethods, SearchMethods);
