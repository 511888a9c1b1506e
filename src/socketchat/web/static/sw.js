// The service worker of the chat page (scope "/"): it shows Web Push notifications
// (IRCv3 draft/webpush) and opens the conversation when one is clicked.
//
// A push's payload is one IRC line, as the server relayed it (docs/notifications.md):
//   @time=…;msgid=…;account=… :bob!u@h PRIVMSG #class :alice: the text
// A channel message shows as title "#class", body "bob: the text"; a private message as title
// "bob", body "the text"; "/me" as "* bob waves". Text may be in any script: the notification
// takes its direction from its first strong character (dir "auto"), and IRC formatting codes are
// removed. One notification per conversation (its tag): a newer one replaces the older.
// A classic (not module) worker, so that every browser with Push runs it: it parses the line
// itself rather than importing irc.js.
"use strict";

const TAG_PREFIX = "socketchat:";
const CHANNEL_PREFIXES = "#&";
// bold, colour (with its numbers), hex colour, reset, monospace, reverse, italic, strike, underline
const FORMATTING = /\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

function unescapeTag(value) {
  return value.replace(/\\(.)?/g, (_, c) => ({ ":": ";", s: " ", r: "\r", n: "\n", "\\": "\\" })[c] ?? c ?? "");
}

/** One IRC line → {tags, source, nick, command, params}; null if it is not one. */
function parseLine(line) {
  let rest = String(line).replace(/\r?\n$/, "");
  const tags = {};
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    if (end < 0) return null;
    for (const item of rest.slice(1, end).split(";")) {
      const eq = item.indexOf("=");
      if (eq < 0) tags[item] = "";
      else tags[item.slice(0, eq)] = unescapeTag(item.slice(eq + 1));
    }
    rest = rest.slice(end + 1).replace(/^ +/, "");
  }
  let source = "";
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    if (end < 0) return null;
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).replace(/^ +/, "");
  }
  const params = [];
  while (rest) {
    if (rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(" ");
    if (end < 0) {
      params.push(rest);
      break;
    }
    params.push(rest.slice(0, end));
    rest = rest.slice(end + 1).replace(/^ +/, "");
  }
  const command = (params.shift() || "").toUpperCase();
  if (!command) return null;
  return { tags, source, nick: source.split("!")[0], command, params };
}

/** What to show for a push's line: {title, options} (null: nothing to show). */
function notificationFor(line) {
  const msg = parseLine(line);
  if (!msg || (msg.command !== "PRIVMSG" && msg.command !== "NOTICE")) return null;
  const target = msg.params[0] || "";
  let text = msg.params[1] || "";
  const channel = CHANNEL_PREFIXES.includes(target[0] || "");
  const action = text.startsWith("\x01ACTION");
  if (action) text = text.slice(7).replace(/^ /, "").replace(/\x01$/, "");
  else if (text.startsWith("\x01")) return null;
  text = text.replace(FORMATTING, "");
  const conversation = channel ? target : msg.nick;
  let body = text;
  if (action) body = `* ${msg.nick} ${text}`;
  else if (channel) body = `${msg.nick}: ${text}`;
  const when = Date.parse(msg.tags.time || "");
  return {
    title: conversation,
    options: {
      body,
      dir: "auto",
      tag: TAG_PREFIX + conversation.toLowerCase(),
      renotify: true,
      icon: "/favicon.svg",
      timestamp: Number.isNaN(when) ? Date.now() : when,
      data: { buffer: conversation, msgid: msg.tags.msgid || null },
    },
  };
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// A push for a message the open page already notified about (it was hidden when the line came;
// the server pushes it later, since nobody read it) replaces that notification silently: one
// message, one alert. A browser wants every push to show a notification, so it is shown anyway.
self.addEventListener("push", (event) => {
  const line = event.data ? event.data.text() : "";
  const shown = notificationFor(line);
  if (!shown) return;
  event.waitUntil((async () => {
    const msgid = shown.options.data.msgid;
    const before = await self.registration.getNotifications({ tag: shown.options.tag });
    if (msgid && before.some((n) => n.data && n.data.msgid === msgid)) shown.options.renotify = false;
    await self.registration.showNotification(shown.title, shown.options);
  })());
});

// A click: focus a chat page that is open (and tell it which conversation), else open one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const buffer = (event.notification.data && event.notification.data.buffer) || "";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = windows.find((w) => new URL(w.url).origin === self.location.origin);
    if (page) {
      page.postMessage({ type: "open", buffer });
      return page.focus();
    }
    return self.clients.openWindow("/?open=" + encodeURIComponent(buffer));
  })());
});
