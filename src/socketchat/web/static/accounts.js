// Accounts: SASL PLAIN exchanges, NickServ, REGISTER replies, RPL_LOGGEDIN and SASL numerics.
// Mirrors socketchat/client/accounts.py. Methods of ChatCore (mixed in by client.js).

import { saslPlain } from "./irc.js";
import { fill, STATUS, tr } from "./state.js";

export const NICKSERV = "NickServ";
const SASL_FAILURES = new Set(["902", "904", "905"]);

export class AccountMethods {
  /** REGISTER SUCCESS|VERIFICATION_REQUIRED <account> :<message> (draft/account-registration). */
  on_REGISTER(msg) {
    const [outcome, account, text] = msg.params;
    if (outcome === "SUCCESS") {
      this.info(this.current, text ? tr("Account {account} registered: {text}", { account, text }) : tr("Account {account} registered", { account }), "account");
    } else {
      this.info(this.current, tr("Account {account}: {text}", { account, text: text || outcome }), "account");
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
    const who = this.fold(login.account) === this.fold(this.nick) ? [] : [login.account];
    this.send("PRIVMSG", NICKSERV, ["IDENTIFY", ...who, login.password].join(" "));
  }

  /** 900-908: logged in or out, SASL done, failed or aborted. */
  onAccountNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    if (code === "900") {
      this.account = p[2] || null;
      if (this.pendingLogin && this.account && this.fold(this.pendingLogin.account) === this.fold(this.account)) {
        this.login = this.pendingLogin; // logs in again after a reconnect
      }
      this.pendingLogin = null;
      this.info(this.registered ? this.current : STATUS, tr("You are logged in as {account}", { account: this.account }), "account");
      return this.emit({ type: "status" });
    }
    if (code === "901") {
      this.account = null;
      this.info(this.current, tr("You are logged out"), "account");
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
        const said = this.saslNotice
          ? tr("Could not log in as {account}: wrong nickname or password. ({notice})", { account: tried.account, notice: this.saslNotice })
          : tr("Could not log in as {account}: wrong nickname or password.", { account: tried.account });
        this.emit({ type: "auth-failed", account: tried.account, message: fill(said), said });
      }
      this.capEnd();
    } else if (tried) {
      this.pendingLogin = null;
      this.info(this.current, failed ? tr("Login as {account} failed: wrong account or password", { account: tried.account }) : tr("Login as {account} failed: {reason}", { account: tried.account, reason: p[p.length - 1] }), "error");
    }
  }
}
