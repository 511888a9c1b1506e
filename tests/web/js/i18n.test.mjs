// The page's message table: both languages have every message, and the language is chosen from
// the saved choice, then the browser's languages. Run by tests/web/test_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MESSAGES, initialLanguage, setLanguage, t } from "../../../src/socketchat/web/static/i18n.js";

const memory = (saved) => {
  const items = new Map(saved ? [["socketchat.lang", saved]] : []);
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v) };
};

test("every message exists in English and Persian", () => {
  assert.deepEqual(Object.keys(MESSAGES.fa).sort(), Object.keys(MESSAGES.en).sort());
  for (const [key, text] of Object.entries(MESSAGES.en)) {
    const fa = MESSAGES.fa[key];
    assert.deepEqual(fa.match(/\{\w+\}/g), text.match(/\{\w+\}/g), `placeholders of ${key}`);
  }
});

test("the language comes from the saved choice, then navigator.languages", () => {
  assert.equal(initialLanguage(memory("fa"), ["en-US"]), "fa");
  assert.equal(initialLanguage(memory(null), ["fa-IR", "en"]), "fa");
  assert.equal(initialLanguage(memory(null), ["de-DE", "fa"]), "fa");
  assert.equal(initialLanguage(memory(null), ["de-DE"]), "en");
  assert.equal(initialLanguage(memory("xx"), []), "en");
});

test("messages are filled in, in the chosen language", () => {
  const storage = memory(null);
  setLanguage("fa", null, storage);
  assert.equal(t("status.connected", { nick: "سارا" }), "وصل شدید با نام سارا");
  assert.equal(storage.getItem("socketchat.lang"), "fa");
  setLanguage("en", null, storage);
  assert.equal(t("people.count", { count: 3 }), "People (3)");
  assert.equal(t("no.such.key"), "no.such.key");
});

test("socketchat's reasons for refusing a nick are said in the page's language; others' as they are", async () => {
  const { nickReason, setLanguage, saidText } = await import("../../../src/socketchat/web/static/i18n.js");
  setLanguage("fa", null, null);
  assert.equal(nickReason("Erroneous nickname: longer than 30 characters"), "بیش از \u206830\u2069 نویسه است");
  assert.equal(nickReason("Erroneous nickname: '!' is not allowed in a nickname"), "\u2068'!'\u2069 در نام مستعار مجاز نیست");
  assert.equal(nickReason("Nickname is already in use"), "Nickname is already in use");
  assert.equal(saidText({ template: "{nick} joined", args: { nick: "bob" } }), "\u2068bob\u2069 پیوست"); // isolated
  setLanguage("en", null, null);
  assert.equal(nickReason("Erroneous nickname: letters, digits and [ ] only"), "only letters, digits and _-[]{}|^` may follow");
});
