// The operators' page: an IRC client over the WebSocket that logs in with OPER and shows
// who is connected (WHOX with addresses, which only operators see), channels (LIST), bans
// (STATS k/d) and /healthz; its buttons send KILL, KLINE, DLINE, UNKLINE and UNDLINE.
// It needs no server endpoint of its own: the server checks every command as for any client.
import { formatLine, parseMessage } from "/irc.js";

const $ = (id) => document.getElementById(id);
let ws = null;
let users = [];
let channels = [];
let bans = [];

function send(command, ...params) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(formatLine(command, params));
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
  return td;
}

function button(td, label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", action);
  td.append(b);
}

function note(text) {
  const li = document.createElement("li");
  li.textContent = text;
  $("log").prepend(li);
}

const reason = () => $("reason").value.trim() || "No reason given";
const duration = () => $("duration").value.trim();

function act(command, ...params) {
  send(command, ...params.filter((p) => p !== ""));
  setTimeout(refresh, 300);
}

function renderUsers() {
  const body = $("users").tBodies[0];
  body.replaceChildren();
  for (const u of users.sort((a, b) => a.nick.localeCompare(b.nick))) {
    const row = body.insertRow();
    row.dataset.nick = u.nick;
    for (const text of [u.nick, u.user, u.ip, u.host, u.account === "0" ? "" : u.account, u.flags, u.realname]) {
      cell(row, text);
    }
    const td = cell(row, "");
    button(td, "Kill", () => act("KILL", u.nick, reason()));
    button(td, "K-line", () => act("KLINE", duration(), `*@${u.ip}`, reason()));
  }
}

function renderChannels() {
  const body = $("channels").tBodies[0];
  body.replaceChildren();
  for (const c of channels) {
    const row = body.insertRow();
    [c.name, c.users, c.topic].forEach((t) => cell(row, t));
  }
}

function renderBans() {
  const body = $("bans").tBodies[0];
  body.replaceChildren();
  for (const b of bans) {
    const row = body.insertRow();
    row.dataset.mask = b.mask;
    [b.kind, b.mask, b.left === "0" ? "permanent" : b.left, b.setBy, b.reason].forEach((t) => cell(row, t));
    const td = cell(row, "");
    button(td, "Lift", () => act(b.kind === "K" ? "UNKLINE" : "UNDLINE", b.mask));
  }
}

async function glance() {
  try {
    const health = await (await fetch("/healthz", { cache: "no-store" })).json();
    const dl = $("glance");
    dl.replaceChildren();
    const rows = {
      Users: health.users,
      Channels: health.channels,
      Connections: health.connections,
      "WebSocket connections": health.websocket_connections,
      Uptime: `${Math.round(health.uptime)} s`,
      Version: health.version,
    };
    for (const [k, v] of Object.entries(rows)) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = String(v);
      dd.dataset.key = k;
      dl.append(dt, dd);
    }
  } catch (err) {
    note(`healthz: ${err}`);
  }
}

function refresh() {
  users = [];
  channels = [];
  bans = [];
  send("WHO", "*", "%tcuihnfar,7");
  send("LIST");
  send("STATS", "k");
  send("STATS", "d");
  glance();
}

function received(line) {
  const m = parseMessage(line);
  if (!m) return;
  const p = m.params;
  switch (m.command) {
    case "PING": send("PONG", p[0] || ""); break;
    case "001": send("OPER", $("oper-name").value, $("oper-password").value); break;
    case "381":
      $("oper-password").value = "";
      $("login").hidden = true;
      $("panel").hidden = false;
      refresh();
      break;
    case "464": case "491":
      $("login-error").textContent = "Wrong operator name or password.";
      $("login-button").disabled = false;
      ws.close();
      break;
    case "354":  // me, token, channel, user, ip, host, nick, flags, account, realname
      if (p[1] === "7") users.push({ user: p[3], ip: p[4], host: p[5], nick: p[6], flags: p[7], account: p[8], realname: p[9] || "" });
      break;
    case "315": renderUsers(); break;
    case "322": channels.push({ name: p[1], users: p[2], topic: p[3] || "" }); break;
    case "323": renderChannels(); break;
    case "216": case "225":  // me, kind, mask, seconds left, set by, reason
      bans.push({ kind: p[1], mask: p[2], left: p[3], setBy: p[4], reason: p[5] || "" });
      break;
    case "219": if (p[1] === "d") renderBans(); break;
    case "NOTICE": note(p[p.length - 1]); break;
    case "FAIL": note(p.slice(1).join(" ")); break;
    case "ERROR": note(p[0] || "closed"); break;
    default:
      if (/^4\d\d$/.test(m.command)) note(p.slice(1).join(" "));
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  $("login-button").disabled = true;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  ws = new WebSocket(url, ["text.ircv3.net"]);
  const nick = `oper-${Math.random().toString(36).slice(2, 8)}`;
  ws.addEventListener("open", () => {
    send("NICK", nick);
    send("USER", "admin", "0", "*", "socketchat operators page");
  });
  ws.addEventListener("message", (event) => {
    for (const line of String(event.data).split(/\r?\n/)) if (line) received(line);
  });
  ws.addEventListener("close", () => {
    if (!$("panel").hidden) note("Disconnected. Reload the page to log in again.");
    $("login-button").disabled = false;
  });
});

$("refresh").addEventListener("click", refresh);
$("dline-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const mask = $("dline-mask").value.trim();
  if (mask) act("DLINE", duration(), mask, reason());
});
