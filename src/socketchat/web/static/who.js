// WHO requests and their replies, and resolving /pm <ip> to the one nick connected from it.
// Mirrors socketchat/client/who.py. Methods of ChatCore (mixed in by client.js).

import { sameIp } from "./irc.js";
import { STATUS } from "./state.js";

export class WhoMethods {
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
        if (sameIp(u.host, req.pmIp) && this.fold(u.nick) !== this.fold(this.nick) && !nicks.includes(u.nick)) nicks.push(u.nick);
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
}
