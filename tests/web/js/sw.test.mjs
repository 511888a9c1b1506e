// The service worker (sw.js) outside a browser: what a push's IRC line becomes as a
// notification (title, body, tag, data), and what it ignores. Run by tests/web/test_js.py; the
// real worker is exercised in Chromium by tests/web/test_notifications.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const source = readFileSync(new URL("../../../src/socketchat/web/static/sw.js", import.meta.url), "utf8");
const listeners = {};
const context = {
  self: { addEventListener: (type, fn) => { listeners[type] = fn; }, location: { origin: "https://chat.example" } },
  URL,
  Date,
};
vm.createContext(context);
vm.runInContext(source, context);
const notificationFor = (line) => vm.runInContext(`notificationFor(${JSON.stringify(line)})`, context);

test("a channel mention: the channel, then who said what", () => {
  const shown = notificationFor("@time=2026-12-01T10:00:00.000Z;msgid=ab1 :bob!b@h PRIVMSG #class :alice: جلسه ساعت 10:30");
  assert.equal(shown.title, "#class");
  assert.equal(shown.options.body, "bob: alice: جلسه ساعت 10:30");
  assert.equal(shown.options.dir, "auto");
  assert.equal(shown.options.tag, "socketchat:#class");
  assert.equal(shown.options.timestamp, Date.parse("2026-12-01T10:00:00.000Z"));
  assert.deepEqual({ ...shown.options.data }, { buffer: "#class", msgid: "ab1" });
});

test("a private message, an action, formatting, escaped tags", () => {
  const pm = notificationFor("@msgid=x\\sy :Bob!b@h PRIVMSG alice :\x02hi\x02 \x0304,01red\x03 there");
  assert.equal(pm.title, "Bob");
  assert.equal(pm.options.body, "hi red there");
  assert.equal(pm.options.tag, "socketchat:bob");
  assert.equal(pm.options.data.msgid, "x y");
  const me = notificationFor(":bob!b@h PRIVMSG #class :\x01ACTION waves\x01");
  assert.equal(me.options.body, "* bob waves");
  assert.equal(notificationFor(":bob!b@h PRIVMSG alice :word").options.body, "word");
});

test("what is not a message shows nothing", () => {
  assert.equal(notificationFor(":bob!b@h PRIVMSG alice :\x01VERSION\x01"), null);
  assert.equal(notificationFor(":server MARKREAD #class timestamp=2026-12-01T10:00:00.000Z"), null);
  assert.equal(notificationFor("PING webpush"), null);
  assert.equal(notificationFor(""), null);
  assert.equal(notificationFor("@tags-without-a-command"), null);
});

test("the worker listens for push and notificationclick", () => {
  assert.deepEqual(Object.keys(listeners).sort(), ["activate", "install", "notificationclick", "push"]);
});
