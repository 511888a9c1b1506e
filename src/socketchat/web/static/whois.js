// WHOIS replies gathered into one readable card instead of a run of raw numerics (as
// socketchat/client/whois.py; both run tests/fixtures/client/whois.json). Between 311 and 318 the
// replies about a nick are collected; at 318 the card is written into the tab /whois was typed
// in (else the shown one). Methods of ChatCore (mixed in by client.js).

import { tr } from "./state.js";

export const WHOIS_NUMERICS = new Set(["311", "312", "313", "317", "318", "319", "330", "338", "378", "671"]);

/** How long, in the largest units that fit (1 h 2 min): translatable (as whois.py). */
function duration(seconds) {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days) return hours ? tr("{days} d {hours} h", { days, hours }) : tr("{days} d", { days });
  if (hours) return minutes ? tr("{hours} h {minutes} min", { hours, minutes }) : tr("{hours} h", { hours });
  return minutes ? tr("{minutes} min", { minutes }) : tr("{seconds} s", { seconds: seconds % 60 });
}

/** The card as lines: who, then one line per thing the server told. */
export function cardLines(card) {
  // a template though it is all values: the views isolate each value, so a Persian nick first
  // does not turn the line right-to-left and scramble "(~user@host)" (as whois.py)
  const where = { nick: card.nick, address: `${card.user}@${card.host}` }; // one value: user@host
  const lines = [card.realname ? tr("{nick} ({address}) — {realname}", { ...where, realname: card.realname }) : tr("{nick} ({address})", where)];
  if (card.account) lines.push(tr("  account: {account}", { account: card.account }));
  if (card.channels.length) lines.push(tr("  channels: {channels}", { channels: card.channels.join(" ") }));
  if (card.server) lines.push(card.serverInfo ? tr("  server: {server} ({info})", { server: card.server, info: card.serverInfo }) : tr("  server: {server}", { server: card.server }));
  if (card.away) lines.push(tr("  away: {reason}", { reason: card.away }));
  if (card.idle !== null) lines.push(tr("  idle: {duration}", { duration: duration(card.idle) }));
  if (card.actualHost) lines.push(tr("  connecting from: {host}", { host: card.actualHost }));
  if (card.secure) lines.push(tr("  secure connection (TLS)"));
  if (card.operator) lines.push(`  ${card.operator}`); // the server's words
  return lines;
}

export class WhoisMethods {
  /** 301 during a WHOIS: part of the card (true), else shown as usual. */
  whoisAway(msg) {
    const card = this.whois.get(this.fold(msg.params[1] || ""));
    if (!card) return false;
    card.away = msg.params[msg.params.length - 1];
    return true;
  }

  onWhoisNumeric(msg) {
    const code = msg.command;
    const p = msg.params;
    const nick = p[1] || "";
    const key = this.fold(nick);
    if (code === "311") {
      this.whois.set(key, { nick, user: p[2] || "", host: p[3] || "", realname: p.length > 5 ? p[p.length - 1] : "", channels: [], server: "", serverInfo: "", operator: "", account: "", idle: null, away: "", secure: false, actualHost: "" });
      return;
    }
    const card = this.whois.get(key);
    if (!card) {
      if (code !== "318") this.info(this.current, p.slice(1).filter(Boolean).join(" "));
      return;
    }
    if (code === "312") [card.server, card.serverInfo] = [p[2] || "", p.length > 3 ? p[p.length - 1] : ""];
    else if (code === "313") card.operator = p[p.length - 1];
    else if (code === "317") card.idle = /^\d+$/.test(p[2] || "") ? Number(p[2]) : null;
    else if (code === "319") card.channels.push(...p[p.length - 1].split(" ").filter(Boolean));
    else if (code === "330") card.account = p[2] || "";
    else if (code === "338" || code === "378") card.actualHost = code === "338" && p.length > 3 ? p[2] : p[p.length - 1];
    else if (code === "671") card.secure = true;
    else if (code === "318") {
      this.whois.delete(key);
      const wanted = this.whoisBuffers.get(key);
      this.whoisBuffers.delete(key);
      const where = wanted && this.buf(wanted) ? this.buf(wanted).name : this.current;
      for (const line of cardLines(card)) this.info(where, line);
    }
  }
}
