// WHO requests and their replies, and resolving /pm <ip> to the one nick connected from it.
// Mirrors socketchat/client/who.py. Methods of ChatCore (mixed in by client.js).
//
// Requests wait in `this.who` (a FIFO: servers answer WHOs in order); each collects its 352/354
// replies until 315. /pm <ip> asks `WHO <ip>` (RFC 2812 matches a mask against hosts), and
// `WHO *` when that matched nobody (some servers match masks against nicks only).

import { sameIp } from "./irc.js";
import { STATUS, tr } from "./state.js";

export const WHOX_TOKEN = "152";

export class WhoMethods {
  whoRequest(mask, buffer, { pmIp = null, pmText = "" }) {
    this.who.push({ mask, buffer, pmIp, pmText, replies: [] });
    if (this.isupport.has("WHOX")) this.send("WHO", mask, `%tuhnfa,${WHOX_TOKEN}`);
    else this.send("WHO", mask);
  }

  /** One user of a WHO reply (352, or 354 with our WHOX token): remember what it tells. */
  whoReply(user) {
    this.updateMember(user.nick, user.account === undefined ? { away: user.away } : { away: user.away, account: user.account });
    if (this.who[0]) this.who[0].replies.push(user);
  }

  whoEnd() {
    const req = this.who.shift();
    if (!req) return;
    const buffer = this.buf(req.buffer) ? req.buffer : STATUS;
    if (req.pmIp) {
      const nicks = [];
      for (const u of req.replies) {
        if (sameIp(u.host, req.pmIp) && this.fold(u.nick) !== this.fold(this.nick) && !nicks.includes(u.nick)) nicks.push(u.nick);
      }
      if (!nicks.length && req.mask !== "*") this.whoRequest("*", buffer, { pmIp: req.pmIp, pmText: req.pmText });
      else if (!nicks.length) this.info(buffer, tr("Nobody (else) is connected from {ip}; not sent", { ip: req.pmIp }), "error");
      else if (nicks.length > 1) {
        this.info(buffer, tr("Several people are connected from {ip}: {nicks}. Not sent: use /pm <nick> <message>", { ip: req.pmIp, nicks: nicks.join(", ") }), "error");
      } else this.say(nicks[0], req.pmText, { action: false, focus: true, origin: buffer });
      return;
    }
    if (!req.replies.length) return this.info(buffer, tr("WHO {mask}: nobody", { mask: req.mask }));
    this.info(buffer, tr("WHO {mask}: {count} user(s)", { mask: req.mask, count: req.replies.length }));
    for (const u of req.replies) {
      const args = { nick: u.nick, host: `${u.user || "?"}@${u.host || "?"}`, ...(u.account ? { account: u.account } : {}) };
      if (u.away && u.account) this.info(buffer, tr("  {nick} — {host} (away) [account: {account}]", args));
      else if (u.away) this.info(buffer, tr("  {nick} — {host} (away)", args));
      else if (u.account) this.info(buffer, tr("  {nick} — {host} [account: {account}]", args));
      else this.info(buffer, tr("  {nick} — {host}", args)); // values, isolated when drawn
    }
  }
}
