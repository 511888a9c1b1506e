// Connection registration: CAP negotiation, SASL, nick retries, RPL_WELCOME, RPL_ISUPPORT.
// Mirrors socketchat/client/registration.py. Methods of ChatCore (mixed in by client.js).

import { STATUS, tr } from "./state.js";

// The same list as socketchat/client/registration.py (tests/fixtures/client/registration.json).
export const WANTED_CAPS = [
  "server-time", "message-tags", "echo-message", "multi-prefix", "userhost-in-names",
  "away-notify", "account-notify", "extended-join", "chghost", "setname", "batch", "draft/chathistory",
  "draft/event-playback", "draft/read-marker", "draft/multiline", "draft/message-redaction", "soju.im/search",
];

function alternativeNick(base, attempt) {
  if (attempt === 1) return base + "_";
  if (attempt === 2) return base + "__";
  return base + (attempt - 1);
}

export class RegistrationMethods {
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
    for (const buf of this.buffers.values()) {
      if (!buf.restored) continue;
      buf.restored = false;
      this.requestHistory(buf); // a private tab restored from an earlier visit
    }
    this.requestPrivate();
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
      if (key.startsWith("-")) {
        this.isupport.delete(key.slice(1));
        continue;
      }
      this.isupport.set(key, value);
      if (key === "PREFIX") this.setPrefix(value);
      else if (key === "CHANMODES") this.setChanmodes(value);
      else if (key === "CASEMAPPING") this.setCasemapping(value);
      if (key === "NETWORK" && value) {
        this.network = value;
        this.emit({ type: "status" });
      }
    }
    this.monitorStart();
  }

  nickError(msg) {
    const wanted = msg.params[1] || "";
    if (this.registered) {
      this.info(this.current, tr("Cannot change nick to {nick}: {reason}", { nick: wanted, reason: msg.params[msg.params.length - 1] }), "error");
      this.desiredNick = this.nick;
      return;
    }
    const reason = msg.params.length > 2 ? msg.params[msg.params.length - 1] : "";
    this.emit({ type: "nick-refused", nick: wanted, reason, taken: msg.command === "433" });
    if (this.askNick) {
      // the view asks the user again (chooseNick, or /nick) instead of renaming silently
      this.awaitingNick = true;
      return this.info(STATUS, tr("Nick {nick} refused: {reason}. Choose another.", { nick: wanted, reason }), "error");
    }
    this.nickAttempt += 1;
    if (this.nickAttempt > 12) return this.info(STATUS, tr("No free nick found: use /nick <name>"), "error");
    const alternative = alternativeNick(this.desiredNick, this.nickAttempt);
    this.info(STATUS, tr("Nick {nick} is not available ({reason}), trying {other}", { nick: wanted, reason, other: alternative }));
    this.nick = alternative;
    this.send("NICK", alternative);
  }

  /** The user's answer to a refused nick while connecting (as ClientCore.choose_nick). */
  chooseNick(nick) {
    this.desiredNick = nick;
    if (!this.registered) {
      this.awaitingNick = false;
      this.setNick(nick);
    }
    this.send("NICK", nick);
  }

  on_432(msg) { this.nickError(msg); }

  on_433(msg) { this.nickError(msg); }
}
