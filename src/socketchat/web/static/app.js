// The page: the nick form, the WebSocket (with reconnect and backoff) and the views of ChatCore.
// Everything user-supplied is rendered with textContent, never as HTML. The password is kept in
// memory only (the core logs in again after a reconnect), never in localStorage.

import { ChatCore, SEARCH, STATUS } from "./client.js";
import { nickClass } from "./colors.js";
import { inRun, runSummary } from "./runs.js";
import { formattedNodes } from "./format.js";
import { initialLanguage, language, nickReason, saidParts, saidText, setLanguage, t } from "./i18n.js";
import { InputHistory } from "./inputhistory.js";
import { validNick } from "./irc.js";
import { Notifications } from "./notify.js";
import { applyTheme, loadSettings, saveSettings, sortedChannels } from "./settings.js";

const NICK_KEY = "socketchat.nick";
// the private conversations open for a nick, restored when that nick logs in again
const queriesKey = (nick) => `socketchat.queries.${nick.toLowerCase()}`;
// the channels joined with a nick, joined again when that nick logs in again
const channelsKey = (nick) => `socketchat.channels.${nick.toLowerCase()}`;
const REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];
const TEXT_KINDS = new Set(["message", "action", "notice"]);
const WS_PATH = "/ws";
const $ = (id) => document.getElementById(id);

const ui = {
  login: $("login"), loginForm: $("login-form"), nickInput: $("nick"), nickError: $("nick-error"),
  passwordInput: $("password"), passwordError: $("password-error"),
  chat: $("chat"), status: $("status"), tabs: $("tabs"), log: $("log"), topic: $("topic"), modes: $("modes"),
  users: $("users"), userList: $("user-list"), userCount: $("user-count"), usersToggle: $("users-toggle"),
  composer: $("composer"), input: $("input"), left: $("left"), reconnect: $("reconnect"),
  typing: $("typing"), replying: $("replying"), replyingText: $("replying-text"), replyCancel: $("reply-cancel"),
  channels: $("channels"), channelsOpen: $("channels-open"), channelsClose: $("channels-close"),
  channelsFilter: $("channels-filter"), channelsCount: $("channels-count"), channelsTable: $("channels-table"),
  settings: $("settings"), settingsOpen: $("settings-open"), settingsClose: $("settings-close"),
  settingTyping: $("setting-typing"),
};

let core = null;
let ws = null;
let attempts = 0;
let retryTimer = null;
let countdownTimer = null;
let completion = null; // {start, end, candidates, index} while Tab cycles
let replyTo = null; // {buffer, msgid, nick, text}: the line the next message answers
let channelEntries = null; // the last /list, while its panel is open
const listSort = { key: "users", descending: true };
let settings = loadSettings();
applyTheme(settings.theme);

// notifications (notify.js): the button, Web Push through sw.js, and in-page ones when hidden
const notifications = new Notifications({ button: $("notify-toggle"), core: () => core, open: openConversation, t });

/** Show conversation `name` (from a notification): its tab, or a new private one. */
function openConversation(name) {
  if (!core) return;
  if (core.buf(name)) switchTo(name);
  else if (core.state === "connected" && !core.isChannel(name)) core.handleInput(`/query ${name}`);
  else notifications.pendingOpen = name; // when it is there
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An element whose text may be in any script: its direction comes from its own first strong
 * character (dir="auto"), isolated from what is around it, so a Persian message in an English
 * page (or the reverse) keeps its words, numbers and punctuation in reading order. */
function bidiEl(tag, className, text) {
  const node = el(tag, className, text);
  node.dir = "auto";
  return node;
}

/** The interface message `key` as nodes, each parameter (a nick, a count) in its own
 * <bdi dir="auto">: the sentence reads in the page's direction, a Persian nick in an English
 * sentence (or the reverse) in its own. */
function tNodes(key, params) {
  const marks = Object.fromEntries(Object.keys(params).map((name, i) => [name, `\u0000${i}\u0000`]));
  const parts = t(key, marks).split("\u0000");
  const values = Object.values(params);
  return parts.map((part, i) => (i % 2 ? bidiEl("bdi", "param", String(values[Number(part)])) : part));
}

/** The IRC-formatted `text` (colours, bold, links…) in a dir="auto" element. The lines of a
 * multi-line message (draft/multiline) are formatted each on its own, as clients without it
 * show them, with line breaks between (the text is white-space: pre-wrap). */
function formattedEl(tag, className, text) {
  const node = bidiEl(tag, className);
  text.split("\n").forEach((line, i) => {
    if (i) node.append("\n");
    node.append(...formattedNodes(line));
  });
  return node;
}

// ------------------------------------------------------------------ the interface language

function applyLanguage(lang) {
  setLanguage(lang);
  for (const button of document.querySelectorAll(".lang-switch")) button.lang = language() === "fa" ? "en" : "fa";
  if (core) {
    renderStatus();
    renderTabs();
    renderLog();
    renderUsers();
    renderTyping();
    renderReplying();
    if (channelEntries) renderChannels();
  }
  notifications.render();
}

for (const button of document.querySelectorAll(".lang-switch")) {
  button.addEventListener("click", () => applyLanguage(language() === "fa" ? "en" : "fa"));
}
applyLanguage(initialLanguage());

function hhmm(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

// ------------------------------------------------------------------ the nick form

function showLogin(passwordError = "", nickError = "") {
  const saved = localStorage.getItem(NICK_KEY) || "";
  ui.nickInput.value = saved;
  ui.passwordInput.value = "";
  ui.passwordError.textContent = passwordError;
  ui.nickError.textContent = nickError;
  ui.login.hidden = false;
  ui.chat.hidden = true;
  document.body.dataset.state = "login";
  if (nickError) {
    ui.nickInput.setAttribute("aria-invalid", "true");
    ui.nickInput.focus();
    ui.nickInput.select();
  } else if (passwordError) {
    ui.passwordInput.setAttribute("aria-invalid", "true");
    ui.passwordInput.focus();
  } else {
    ui.nickInput.focus();
  }
}

ui.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const nick = ui.nickInput.value.trim();
  if (!validNick(nick)) {
    ui.nickError.textContent = nick ? t("login.badNick") : t("login.noNick");
    ui.nickInput.setAttribute("aria-invalid", "true");
    ui.nickInput.focus();
    return;
  }
  ui.nickInput.removeAttribute("aria-invalid");
  ui.nickError.textContent = "";
  const password = ui.passwordInput.value;
  ui.passwordInput.value = "";
  ui.passwordInput.removeAttribute("aria-invalid");
  ui.passwordError.textContent = "";
  localStorage.setItem(NICK_KEY, nick);
  start(nick, password || null);
});

function savedChannels(nick) {
  try {
    const names = JSON.parse(localStorage.getItem(channelsKey(nick)) || "null");
    if (Array.isArray(names) && names.length && names.every((n) => typeof n === "string" && /^[#&][^\s,]+$/.test(n))) return names;
  } catch {
    localStorage.removeItem(channelsKey(nick));
  }
  return ["#lobby"];
}

function start(nick, password) {
  const mine = new ChatCore(nick, { password, askNick: true, channels: savedChannels(nick) });
  core = mine;
  core.transmit = (line) => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(line);
  };
  core.onEvent = (event) => {
    if (core === mine) onEvent(event); // a core given up (wrong password) says nothing more
  };
  try {
    core.restoreQueries(JSON.parse(localStorage.getItem(queriesKey(nick)) || "[]"));
  } catch {
    localStorage.removeItem(queriesKey(nick)); // not ours any more: start afresh
  }
  ui.login.hidden = true;
  ui.chat.hidden = false;
  renderTabs();
  renderLog();
  renderUsers();
  connect();
  ui.input.focus();
}

// ------------------------------------------------------------------ the connection

function connect() {
  clearTimeout(retryTimer);
  clearInterval(countdownTimer);
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${WS_PATH}`;
  core.connecting(location.host);
  const socket = new WebSocket(url, ["text.ircv3.net"]);
  ws = socket;
  socket.addEventListener("open", () => {
    if (ws === socket) core.connectionMade();
  });
  socket.addEventListener("message", (event) => {
    if (ws === socket && typeof event.data === "string") core.receiveLine(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (ws !== socket) return;
    ws = null;
    core.connectionLost(event.reason || (event.wasClean ? "" : "connection lost"));
    if (core.exiting) showLeft();
    else scheduleReconnect();
  });
}

/** Remember the open private conversations (names only: their lines come from the server). */
function saveQueries() {
  const names = [...core.buffers.values()].filter((b) => b.kind === "query").map((b) => b.name);
  localStorage.setItem(queriesKey(core.desiredNick), JSON.stringify(names));
  localStorage.setItem(channelsKey(core.desiredNick), JSON.stringify([...core.wanted.values()]));
}

function scheduleReconnect() {
  attempts += 1;
  const base = Math.min(30, 2 ** Math.min(attempts - 1, 5));
  let left = Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
  core.reconnectScheduled(left);
  countdownTimer = setInterval(() => {
    left -= 1;
    if (left > 0) core.reconnectScheduled(left);
  }, 1000);
  retryTimer = setTimeout(() => {
    clearInterval(countdownTimer);
    connect();
  }, left * 1000);
}

function showLeft() {
  clearTimeout(retryTimer);
  clearInterval(countdownTimer);
  ui.left.hidden = false;
  ui.composer.hidden = true;
  ui.reconnect.focus();
}

/** The server refused the nick while connecting (taken, or not allowed): ask for another
 * with the server's reason, instead of becoming nick_ without being asked. */
function nickRefused(event) {
  loginFailed("", t("login.nickRefused", { nick: event.nick, reason: nickReason(event.reason) }));
}

/** The server refused the password: drop this connection and ask again (no reconnect). */
function loginFailed(message, nickMessage = "") {
  clearTimeout(retryTimer);
  clearInterval(countdownTimer);
  const socket = ws;
  ws = null;
  core = null;
  attempts = 0;
  if (socket) socket.close(1000, "login failed");
  showLogin(message, nickMessage);
}

ui.reconnect.addEventListener("click", () => {
  ui.left.hidden = true;
  ui.composer.hidden = false;
  attempts = 0;
  core.exiting = false;
  connect();
  ui.input.focus();
});

// ------------------------------------------------------------------ events from the core

function onEvent(event) {
  switch (event.type) {
    case "line":
      if (event.buffer === core.current) appendLine(event.line);
      notifications.line(event, core.buf(event.buffer));
      break;
    case "webpush":
    case "webpush-failed":
      notifications.serverSaid(event);
      break;
    case "history-loading":
    case "history":
      if (event.buffer === core.current) keepScrollPosition(renderLines);
      break;
    case "search-results":
      if (core.current === SEARCH) renderLog();
      break;
    case "jump":
      if (event.buffer === core.current) showJumped(event.msgid);
      break;
    case "auth-failed":
      loginFailed(event.said ? saidText(event.said) : event.message);
      break;
    case "nick-refused":
      if (!core.registered) nickRefused(event);
      break;
    case "buffers":
      renderTabs();
      saveQueries();
      if (notifications.pendingOpen && core.buf(notifications.pendingOpen)) switchTo(notifications.takePendingOpen());
      break;
    case "current":
      renderTabs();
      renderLog();
      renderUsers();
      renderTyping();
      if (replyTo && replyTo.buffer !== core.current) cancelReply();
      break;
    case "typing":
      if (event.buffer === core.current) renderTyping();
      break;
    case "reactions":
      if (event.buffer === core.current) updateReactions(event.msgid);
      break;
    case "redacted":
      if (event.buffer === core.current) redrawLine(event.msgid);
      if (replyTo && replyTo.msgid === event.msgid) cancelReply();
      break;
    case "marker":
      if (event.buffer === core.current) keepScrollPosition(renderLines);
      break;
    case "channel-list":
      showChannels(event.entries);
      break;
    case "presence":
      renderTabs();
      if (event.nick === core.current) renderTopic();
      break;
    case "members":
      if (event.buffer === core.current) renderUsers();
      break;
    case "topic":
    case "modes":
      if (event.buffer === core.current) renderTopic();
      break;
    case "status":
      if (core.state === "connected") attempts = 0; // the next drop starts the backoff afresh
      renderStatus();
      notifications.connected(ws);
      if (core.state === "connected" && notifications.pendingOpen) openConversation(notifications.takePendingOpen());
      break;
    case "desired-nick":
      localStorage.setItem(NICK_KEY, event.nick);
      break;
    case "exit":
      if (ws) {
        const socket = ws;
        setTimeout(() => socket.readyState < WebSocket.CLOSING && socket.close(1000, "exit"), 1000);
      } else {
        showLeft();
      }
      break;
    default:
  }
}

// ------------------------------------------------------------------ rendering

function renderStatus() {
  const s = core.state;
  let text;
  if (s === "connected") text = t("status.connected", { nick: core.nick });
  else if (s === "registering") text = t("status.registering");
  else if (s === "connecting") text = t("status.connecting");
  else if (s === "reconnecting") text = t("status.reconnecting", { seconds: core.retryIn });
  else text = core.exiting ? t("status.left") : t("status.disconnected");
  if (core.account) text += t("status.account", { account: core.account });
  if (core.queue.length) text += t("status.queued", { count: core.queue.length });
  if (core.away) text += t("status.away");
  ui.status.textContent = text;
  ui.status.dataset.state = s;
  document.body.dataset.state = s;
}

function renderTabs() {
  const focused = document.activeElement && document.activeElement.closest("#tabs");
  ui.tabs.replaceChildren();
  for (const buf of core.buffers.values()) {
    const selected = buf.name === core.current;
    const tab = el("button", "tab" + (selected ? " selected" : "") + (buf.highlight ? " highlight" : ""));
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-selected", String(selected));
    tab.setAttribute("aria-controls", "log");
    tab.tabIndex = selected ? 0 : -1;
    tab.dataset.buffer = buf.name;
    if (buf.kind === "query" && buf.online !== null && buf.online !== undefined) {
      const dot = el("span", "presence " + (buf.online ? "online" : "offline"));
      dot.setAttribute("role", "img");
      dot.setAttribute("aria-label", t(buf.online ? "presence.online" : "presence.offline"));
      dot.title = dot.getAttribute("aria-label");
      tab.append(dot);
    }
    const label = buf.kind === "status" ? t("tab.status") : buf.kind === "search" ? t("tab.search") : buf.name;
    tab.append(bidiEl("span", "tab-name", label));
    if (buf.unread) {
      const badge = el("span", "badge", String(buf.unread));
      badge.setAttribute("aria-label", t("tab.unread", { count: buf.unread }));
      tab.append(badge);
    }
    tab.addEventListener("click", () => switchTo(buf.name));
    ui.tabs.append(tab);
  }
  if (focused) {
    const sel = ui.tabs.querySelector(".tab.selected");
    if (sel) sel.focus();
  }
}

function switchTo(name) {
  core.setCurrent(name);
  renderTabs();
  renderLog();
  renderUsers();
}

ui.tabs.addEventListener("keydown", (event) => {
  const tabs = [...ui.tabs.querySelectorAll(".tab")];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  let next = null;
  if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
  else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
  else if (event.key === "Home") next = tabs[0];
  else if (event.key === "End") next = tabs[tabs.length - 1];
  else if (event.key === "Delete" && tabs[i].dataset.buffer !== STATUS) core.closeBuffer(tabs[i].dataset.buffer);
  if (next) {
    event.preventDefault();
    switchTo(next.dataset.buffer);
  }
});

/** A search result in the results tab: its conversation, time, who and what, as one button that
 * jumps to it in its conversation (the core loads the lines around it when they are not here). */
function resultNode(line) {
  const row = el("button", `line result kind-${line.kind}` + (line.self ? " self" : ""));
  row.type = "button";
  row.dataset.origin = line.origin;
  if (line.msgid) row.dataset.msgid = line.msgid;
  const where = bidiEl("span", "result-where", line.origin);
  const time = el("time", "time", `${line.time.toLocaleDateString()} ${hhmm(line.time)}`);
  time.dir = "ltr";
  time.dateTime = line.time.toISOString();
  const nick = bidiEl("span", "nick", line.kind === "action" ? `* ${line.nick}` : line.nick);
  if (!line.self && line.nick) nick.classList.add(nickClass(line.nick));
  row.append(where, time, nick, formattedEl("span", "text", line.hit ? line.hit.text : line.text));
  row.title = t("search.jump", { name: line.origin });
  row.addEventListener("click", () => {
    if (line.msgid) core.jump(line.origin, line.msgid);
  });
  return row;
}

let jumpedTo = null; // {buffer, msgid}: the line the last jump showed (marked while it is drawn)

/** After a jump: the line `msgid` of the current tab, scrolled to the middle and marked (the
 * mark stays when the tab is drawn again, e.g. when older lines load above it). */
function showJumped(msgid) {
  jumpedTo = { buffer: core.current, msgid };
  for (const old of ui.log.querySelectorAll(".jumped")) old.classList.remove("jumped");
  const node = [...ui.log.children].find((n) => n.dataset.msgid === msgid);
  if (!node) return;
  node.classList.add("jumped");
  node.scrollIntoView({ block: "center" });
}

/** What a line says: the core's own words translated (joins, parts, errors…), else as sent. */
function shownText(line) {
  return line.said ? saidText(line.said) : line.text;
}

/** The core's own words (a join, a WHOIS card line…): the sentence in the page's direction,
 * each value (a nick, a host, a topic with its formatting) in its own <bdi dir="auto">. */
function saidEl(said) {
  const node = el("span", "text");
  node.dir = document.documentElement.dir || "ltr";
  for (const part of saidParts(said)) {
    if (typeof part === "string") {
      node.append(part);
    } else {
      const value = bidiEl("bdi", "param");
      value.append(...formattedNodes(part.value));
      node.append(value);
    }
  }
  return node;
}

function lineNode(line) {
  if (line.origin) return resultNode(line);
  if (line.kind === "divider" || line.kind === "history-start") {
    const marker = el("div", `line marker kind-${line.kind}`, shownText(line));
    marker.setAttribute("role", "separator");
    return marker;
  }
  const row = el("div", `line kind-${line.kind}` + (line.self ? " self" : "") + (line.highlight ? " highlight" : "") + (line.history ? " history" : "") + (line.redacted ? " redacted" : ""));
  if (line.msgid) row.dataset.msgid = line.msgid; // a search result jumps here
  if (jumpedTo && line.msgid === jumpedTo.msgid && line.buffer === jumpedTo.buffer) row.classList.add("jumped");
  const time = el("time", "time", hhmm(line.time));
  time.dir = "ltr"; // 09:05 reads left to right in a right-to-left page too
  time.dateTime = line.time.toISOString();
  time.title = line.time.toLocaleString();
  row.append(time);
  if (line.redacted) {
    const nick = bidiEl("span", "nick", line.nick);
    if (!line.self && line.nick) nick.classList.add(nickClass(line.nick));
    row.append(nick, bidiEl("span", "text removed", t("line.removed")));
  } else if (line.kind === "message" || line.kind === "notice") {
    const nick = bidiEl("span", "nick", line.kind === "notice" ? `-${line.nick}-` : line.nick);
    if (!line.self && line.nick) nick.classList.add(nickClass(line.nick)); // our own keep --self
    row.append(nick);
    if (line.reply) row.append(quoteNode(line));
    row.append(formattedEl("span", "text", line.text));
  } else if (line.kind === "action") {
    const text = formattedEl("span", "text", "");
    const nick = bidiEl("bdi", "action-nick", line.nick);
    if (!line.self) nick.classList.add(nickClass(line.nick));
    text.append(`* `, nick, " ", ...formattedNodes(line.text));
    row.append(text);
  } else if (line.said) {
    row.append(saidEl(line.said));
  } else {
    row.append(formattedEl("span", "text", shownText(line)));
  }
  if (line.msgid && TEXT_KINDS.has(line.kind) && !line.redacted && line.buffer !== STATUS) {
    row.append(actionsNode(line));
    row.append(reactionsNode(line));
  }
  return row;
}

// ---- replies, reactions, removing one's own line

/** "In reply to bob: lunch at 12?" above a reply (a click shows that line, when it is here). */
function quoteNode(line) {
  const quote = el("button", "quote");
  quote.type = "button";
  quote.dir = "auto";
  const who = line.reply.nick || t("reply.unknown");
  quote.setAttribute("aria-label", t("reply.quote", { nick: who }));
  quote.append(bidiEl("span", "quote-nick", who));
  if (line.reply.text) quote.append(" ", formattedEl("span", "quote-text", line.reply.text.split("\n")[0]));
  quote.addEventListener("click", () => {
    const target = ui.log.querySelector(`.line[data-msgid="${CSS.escape(line.reply.msgid)}"]`);
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1200);
  });
  return quote;
}

function actionsNode(line) {
  const bar = el("span", "actions");
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", t("line.actions"));
  const action = (cls, label, symbol, onClick) => {
    const button = el("button", cls, symbol);
    button.type = "button";
    button.title = label;
    button.setAttribute("aria-label", label);
    button.addEventListener("click", onClick);
    return button;
  };
  bar.append(action("act-reply", t("line.reply"), "↩", () => startReply(line)));
  if (core.tagAllowed("+draft/react")) bar.append(action("act-react", t("line.react"), "☺", (event) => openPicker(line, event.currentTarget)));
  if (line.self && core.caps.has("draft/message-redaction")) bar.append(action("act-remove", t("line.remove"), "", () => core.redact(line.buffer, line.msgid)));
  return bar;
}

/** The reactions under a line: one chip per emoji with its count; a click adds or takes back ours. */
function reactionsNode(line) {
  const box = el("div", "reactions");
  for (const r of core.reactionsOf(line.buffer, line.msgid)) {
    const chip = el("button", "reaction" + (r.mine ? " mine" : ""));
    chip.type = "button";
    chip.dataset.emoji = r.emoji;
    chip.setAttribute("aria-pressed", String(r.mine));
    chip.title = t("reaction.by", { nicks: r.nicks.join(", "), emoji: r.emoji });
    chip.append(el("span", "emoji", r.emoji), el("span", "n", String(r.nicks.length)));
    chip.addEventListener("click", () => core.react(line.buffer, line.msgid, r.emoji));
    box.append(chip);
  }
  box.hidden = !box.childElementCount;
  return box;
}

function lineRow(msgid) {
  return ui.log.querySelector(`.line[data-msgid="${CSS.escape(msgid)}"]`);
}

function updateReactions(msgid) {
  const row = lineRow(msgid);
  const line = row && nodeLines.get(row);
  const old = row && row.querySelector(":scope > .reactions");
  if (line && old) old.replaceWith(reactionsNode(line));
}

/** A line changed in the core (removed): draw it again in place. */
function redrawLine(msgid) {
  const row = lineRow(msgid);
  const buf = core.buf(core.current);
  const line = buf && buf.lines.find((l) => l.msgid === msgid);
  if (row && line) row.replaceWith(logNode(line));
}

let picker = null;

function closePicker() {
  if (picker) picker.remove();
  picker = null;
}

function openPicker(line, anchor) {
  closePicker();
  picker = el("div", "picker");
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", t("reaction.pick"));
  for (const emoji of REACTIONS) {
    const button = el("button", "pick", emoji);
    button.type = "button";
    button.addEventListener("click", () => {
      core.react(line.buffer, line.msgid, emoji);
      closePicker();
      ui.input.focus();
    });
    picker.append(button);
  }
  anchor.closest(".line").append(picker);
  picker.firstElementChild.focus();
}

function startReply(line) {
  replyTo = { buffer: line.buffer, msgid: line.msgid, nick: line.nick, text: line.text };
  renderReplying();
  ui.input.focus();
}

function cancelReply() {
  replyTo = null;
  renderReplying();
}

function renderReplying() {
  ui.replying.hidden = !replyTo;
  if (!replyTo) return;
  ui.replyingText.replaceChildren(
    el("span", "replying-to"), " ",
    formattedEl("span", "replying-quote", replyTo.text.split("\n")[0]),
  );
  ui.replyingText.firstElementChild.append(...tNodes("reply.to", { nick: replyTo.nick }));
}

ui.replyCancel.addEventListener("click", () => {
  cancelReply();
  ui.input.focus();
});

// ---- who is typing

function renderTyping() {
  const nicks = core ? core.typingIn(core.current) : [];
  let nodes = [];
  if (nicks.length === 1) nodes = tNodes("typing.one", { nick: nicks[0] });
  else if (nicks.length === 2) nodes = tNodes("typing.two", { a: nicks[0], b: nicks[1] });
  else if (nicks.length > 2) nodes = tNodes("typing.many", { count: nicks.length });
  ui.typing.replaceChildren(...nodes);
}

setInterval(() => {
  if (core) core.tick(); // typing: "paused" after a pause, others' indicators expire
}, 1000);

function nearBottom() {
  return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 60;
}

// ---- runs of joins, parts and quits, folded into one line (runs.js)

const nodeLines = new WeakMap(); // a log element → its line

/** Fold the run of membership lines that ends with `last` (two or more: one summary line). */
function foldRun(last) {
  const nodes = [];
  for (let n = last; n && n.dataset.run === "1"; n = n.previousElementSibling) nodes.unshift(n);
  if (nodes.length < 2) return;
  const expanded = nodes.some((n) => n.classList.contains("expanded"));
  for (const n of nodes) {
    n.classList.remove("run-end", "expanded");
    n.classList.toggle("folded", !expanded);
    n.querySelector(":scope > .run-summary")?.remove();
  }
  last.classList.remove("folded");
  last.classList.add("run-end");
  last.classList.toggle("expanded", expanded);
  const summary = el("button", "run-summary", runSummary(nodes.map((n) => nodeLines.get(n)), t));
  summary.type = "button";
  summary.dir = "auto";
  summary.setAttribute("aria-expanded", String(expanded));
  summary.addEventListener("click", () => {
    const open = !last.classList.contains("expanded");
    last.classList.toggle("expanded", open);
    summary.setAttribute("aria-expanded", String(open));
    for (const n of nodes.slice(0, -1)) n.classList.toggle("folded", !open);
  });
  last.append(summary);
}

/** A line's element, marked when it can be part of a run. */
function logNode(line) {
  const node = lineNode(line);
  nodeLines.set(node, line);
  if (inRun(line)) node.dataset.run = "1";
  return node;
}

function appendLine(line) {
  const stick = nearBottom();
  const node = logNode(line);
  ui.log.append(node);
  if (node.dataset.run === "1") foldRun(node);
  const buf = core.buf(core.current);
  const drawn = () => ui.log.childElementCount - ui.log.querySelectorAll(":scope > .unread-marker").length;
  while (drawn() > (buf ? buf.lines.length : 0)) ui.log.firstElementChild.remove();
  if (stick) ui.log.scrollTop = ui.log.scrollHeight;
}

/** Redraw the current tab's lines (and whether older ones are loading). */
function renderLines() {
  const buf = core.buf(core.current);
  ui.log.replaceChildren(...(buf ? buf.lines.map(logNode) : []));
  for (const node of ui.log.children) {
    const next = node.nextElementSibling;
    if (node.dataset.run === "1" && (!next || next.dataset.run !== "1")) foldRun(node);
  }
  // "new since you last read": before the first line after where reading stopped
  const first = buf ? core.markerLine(buf.name) : null;
  const firstNode = first && [...ui.log.children].find((n) => nodeLines.get(n) === first);
  if (firstNode) {
    const marker = el("div", "unread-marker", t("marker.unread"));
    marker.setAttribute("role", "separator");
    marker.dir = "auto";
    firstNode.before(marker);
  }
  ui.log.classList.toggle("loading", Boolean(buf && buf.historyRequest && buf.historyRequest.kind === "before"));
  ui.log.dataset.loading = t("loading");
}

/** Run `change` so that what the reader looks at stays where it is (lines added above it move
 * the rest down by their height); at the bottom, stay at the bottom. */
function keepScrollPosition(change) {
  const stick = nearBottom();
  const fromBottom = ui.log.scrollHeight - ui.log.scrollTop;
  change();
  ui.log.scrollTop = stick ? ui.log.scrollHeight : ui.log.scrollHeight - fromBottom;
}

function renderLog() {
  renderLines();
  const buf = core.buf(core.current);
  ui.log.scrollTop = ui.log.scrollHeight;
  const special = buf && (buf.kind === "status" || buf.kind === "search");
  ui.log.setAttribute("aria-label", t("messages.in", { name: !special && buf ? buf.name : buf && buf.kind === "search" ? t("tab.search") : t("tab.status") }));
  ui.input.placeholder = !special && buf ? t("input.message", { name: buf.name }) : buf && buf.kind === "search" ? t("input.search") : t("input.status");
  ui.input.setAttribute("aria-label", ui.input.placeholder);
  renderTopic();
}

function renderTopic() {
  const buf = core.buf(core.current);
  let text = buf && buf.kind === "channel" ? buf.topic || buf.name : buf && buf.kind === "query" ? t("topic.query", { name: buf.name }) : buf && buf.kind === "search" ? t("topic.search") : t("topic.status");
  if (buf && buf.kind === "query" && buf.online !== null && buf.online !== undefined) text += " · " + t(buf.online ? "presence.online" : "presence.offline");
  ui.topic.replaceChildren(...formattedNodes(text));
  // the channel's modes (asked for after every join, so a reconnect shows the server's own)
  const modes = buf && buf.kind === "channel" ? core.modeString(buf.name) : "";
  ui.modes.textContent = modes;
  ui.modes.hidden = !modes;
}

function renderUsers() {
  const buf = core.buf(core.current);
  const isChannel = buf && buf.kind === "channel";
  ui.users.classList.toggle("empty", !isChannel);
  ui.usersToggle.hidden = !isChannel;
  const members = isChannel ? core.members(buf.name) : [];
  ui.userCount.textContent = String(members.length);
  ui.usersToggle.textContent = t("people.count", { count: members.length });
  ui.userList.replaceChildren(
    ...members.map((m) => {
      const item = el("li", m.away ? "away" : "");
      const button = el("button", "member");
      button.type = "button";
      button.dataset.nick = m.nick;
      if (m.prefixes) button.append(el("span", "prefix", m.prefixes[0]));
      const nick = bidiEl("span", "member-nick", m.nick);
      nick.classList.add(nickClass(m.nick));
      button.append(nick);
      button.title = m.host ? `${m.nick} (${m.host})${m.away ? t("people.awaySuffix") : ""}` : m.nick;
      button.setAttribute("aria-label", t("people.open", { nick: m.nick }) + (m.away ? t("people.away") : ""));
      button.addEventListener("click", () => {
        core.handleInput(`/query ${m.nick}`);
        document.body.classList.remove("show-users");
        ui.input.focus();
      });
      item.append(button);
      return item;
    }),
  );
}

// Scrolled to the top: ask for older lines (the core sends one request at a time per tab, and
// none after "start of history"). A wheel or swipe up on a log too short to scroll does it too.
function loadOlderAtTop() {
  if (core && ui.log.scrollTop < 40 && ui.log.childElementCount) core.requestOlder(core.current);
}

ui.log.addEventListener("scroll", loadOlderAtTop, { passive: true });
ui.log.addEventListener("wheel", (event) => {
  if (event.deltaY < 0 && ui.log.scrollHeight <= ui.log.clientHeight) loadOlderAtTop();
}, { passive: true });
ui.log.addEventListener("keydown", (event) => {
  if ((event.key === "PageUp" || event.key === "Home" || event.key === "ArrowUp") && ui.log.scrollTop === 0) loadOlderAtTop();
});

$("users-close").addEventListener("click", () => {
  document.body.classList.remove("show-users");
  ui.usersToggle.setAttribute("aria-expanded", "false");
  ui.usersToggle.focus();
});

ui.usersToggle.addEventListener("click", () => {
  const open = document.body.classList.toggle("show-users");
  ui.usersToggle.setAttribute("aria-expanded", String(open));
});

// ------------------------------------------------------------------ typing

const inputHistory = new InputHistory();

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.input.value;
  ui.input.value = "";
  fitInput();
  completion = null;
  if (text.trim()) {
    inputHistory.add(text);
    const reply = replyTo && replyTo.buffer === core.current && !text.startsWith("/") ? replyTo : null;
    if (reply) core.reply(reply.buffer, reply.msgid, text);
    else core.handleInput(text);
    if (reply) cancelReply();
  }
});

/** The message box grows with its lines (Shift+Enter, a paste), up to a third of the window. */
function fitInput() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight + 2, Math.round(window.innerHeight / 3))}px`;
}

ui.input.addEventListener("input", () => {
  fitInput();
  if (core && settings.typing) core.composing(ui.input.value);
});

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    // Enter sends; Shift+Enter is a new line in the same message (draft/multiline)
    event.preventDefault();
    ui.composer.requestSubmit();
    return;
  }
  if (event.key === "Escape" && replyTo) {
    cancelReply();
    return;
  }
  if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey) {
    if (completeNick()) event.preventDefault();
    return;
  }
  completion = null;
  if ((event.key === "ArrowUp" || event.key === "ArrowDown") && !event.altKey && !event.ctrlKey && !event.shiftKey && !event.metaKey && !ui.input.value.includes("\n")) {
    // Up/Down: what was typed before (the line being typed comes back after the newest)
    event.preventDefault();
    ui.input.value = event.key === "ArrowUp" ? inputHistory.older(ui.input.value) : inputHistory.newer(ui.input.value);
    ui.input.setSelectionRange(ui.input.value.length, ui.input.value.length);
    fitInput();
    return;
  }
  const names = [...core.buffers.values()].map((b) => b.name);
  const i = names.indexOf(core.current);
  if ((event.altKey && event.key === "ArrowRight") || (event.ctrlKey && event.key === "PageDown")) {
    event.preventDefault();
    switchTo(names[(i + 1) % names.length]);
  } else if ((event.altKey && event.key === "ArrowLeft") || (event.ctrlKey && event.key === "PageUp")) {
    event.preventDefault();
    switchTo(names[(i - 1 + names.length) % names.length]);
  } else if (event.altKey && /^[1-9]$/.test(event.key) && names[Number(event.key) - 1]) {
    event.preventDefault();
    switchTo(names[Number(event.key) - 1]);
  }
});

/** Complete the word before the cursor to a nick; Tab again cycles. False: nothing to complete. */
function completeNick() {
  const value = ui.input.value;
  if (!completion) {
    const end = ui.input.selectionStart;
    const start = value.lastIndexOf(" ", end - 1) + 1;
    const prefix = value.slice(start, end);
    if (!prefix) return false;
    const candidates = core.completions(prefix);
    if (!candidates.length) return false;
    completion = { start, end, candidates, index: -1 };
  }
  completion.index = (completion.index + 1) % completion.candidates.length;
  const nick = completion.candidates[completion.index];
  const suffix = completion.start === 0 ? ": " : " ";
  const before = value.slice(0, completion.start);
  const after = value.slice(completion.end).replace(/^(: | )/, "");
  ui.input.value = before + nick + suffix + after;
  completion.end = completion.start + nick.length + suffix.length;
  ui.input.setSelectionRange(completion.end, completion.end);
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !ui.chat.hidden) {
    document.body.classList.remove("show-users");
    closePicker();
    if (!ui.channels.hidden) ui.channels.hidden = true;
    if (!ui.settings.hidden) closeSettings();
    if (!ui.composer.hidden) ui.input.focus();
  }
});

document.addEventListener("click", (event) => {
  if (picker && !event.target.closest(".picker") && !event.target.closest(".act-react")) closePicker();
});

// ------------------------------------------------------------------ /list as a panel

function showChannels(entries) {
  channelEntries = entries;
  if (ui.channels.hidden) ui.channelsFilter.value = ""; // a new look (typed /list)
  ui.channels.hidden = false;
  renderChannels();
  ui.channelsFilter.focus();
}

function renderChannels() {
  const entries = channelEntries || [];
  const shown = sortedChannels(entries, { filter: ui.channelsFilter.value, ...listSort });
  ui.channelsCount.textContent = channelEntries ? t("channels.count", { shown: shown.length, count: entries.length }) : t("channels.loading");
  for (const button of ui.channelsTable.querySelectorAll("th button")) {
    const th = button.parentElement;
    th.setAttribute("aria-sort", button.dataset.sort === listSort.key ? (listSort.descending ? "descending" : "ascending") : "none");
  }
  ui.channelsTable.tBodies[0].replaceChildren(
    ...shown.map((entry) => {
      const row = el("tr");
      row.dataset.channel = entry.name;
      const name = el("td");
      name.append(bidiEl("bdi", "channel-name", entry.name));
      const users = el("td", "users-count", String(entry.users));
      const topic = el("td");
      topic.append(formattedEl("span", "channel-topic", entry.topic));
      const join = el("td");
      const button = el("button", "join", t("channels.join"));
      button.type = "button";
      button.addEventListener("click", () => {
        core.handleInput(`/join ${entry.name}`);
        ui.channels.hidden = true;
        ui.input.focus();
      });
      join.append(button);
      row.append(name, users, topic, join);
      return row;
    }),
  );
}

ui.channelsFilter.addEventListener("input", renderChannels);
for (const button of ui.channelsTable.querySelectorAll("th button")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    listSort.descending = listSort.key === key ? !listSort.descending : key === "users";
    listSort.key = key;
    renderChannels();
  });
}
ui.channelsOpen.addEventListener("click", () => {
  if (!core) return;
  channelEntries = null;
  ui.channels.hidden = false;
  renderChannels();
  core.handleInput("/list");
});
ui.channelsClose.addEventListener("click", () => {
  ui.channels.hidden = true;
  ui.input.focus();
});

// ------------------------------------------------------------------ settings

function renderSettings() {
  for (const radio of ui.settings.querySelectorAll('input[name="theme"]')) radio.checked = radio.value === settings.theme;
  ui.settingTyping.checked = settings.typing;
}

function changeSettings(change) {
  settings = { ...settings, ...change };
  saveSettings(settings);
  applyTheme(settings.theme);
  if (!settings.typing && core) core.composing(""); // stop saying we type
}

function closeSettings() {
  ui.settings.hidden = true;
  ui.settingsOpen.setAttribute("aria-expanded", "false");
}

for (const radio of ui.settings.querySelectorAll('input[name="theme"]')) {
  radio.addEventListener("change", () => changeSettings({ theme: radio.value }));
}
ui.settingTyping.addEventListener("change", () => changeSettings({ typing: ui.settingTyping.checked }));
ui.settingsOpen.addEventListener("click", () => {
  const open = ui.settings.hidden;
  ui.settings.hidden = !open;
  ui.settingsOpen.setAttribute("aria-expanded", String(open));
  if (open) {
    renderSettings();
    ui.settings.querySelector("input:checked, input").focus();
  }
});
ui.settingsClose.addEventListener("click", () => {
  closeSettings();
  ui.settingsOpen.focus();
});

showLogin();
