// The page's settings (localStorage) and the /list panel's sorting and filtering.
// Run by tests/web/test_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULTS, loadSettings, saveSettings, sortedChannels } from "../../../src/socketchat/web/static/settings.js";

const memory = () => {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v) };
};

test("settings are saved and loaded; broken or unknown values give the defaults", () => {
  const storage = memory();
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  saveSettings({ theme: "dark", typing: false }, storage);
  assert.deepEqual(loadSettings(storage), { theme: "dark", typing: false });
  storage.setItem("socketchat.settings", "{not json");
  assert.deepEqual(loadSettings(storage), DEFAULTS);
  storage.setItem("socketchat.settings", JSON.stringify({ theme: "neon", typing: "yes" }));
  assert.deepEqual(loadSettings(storage), DEFAULTS);
});

test("the channel list is filtered by name or topic and sorted by any column", () => {
  const entries = [
    { name: "#lobby", users: 12, topic: "Welcome" },
    { name: "#dev", users: 3, topic: "code review" },
    { name: "#فارسی", users: 7, topic: "گپ و گفت" },
  ];
  assert.deepEqual(sortedChannels(entries).map((e) => e.name), ["#lobby", "#فارسی", "#dev"]);
  assert.deepEqual(sortedChannels(entries, { key: "name", descending: false }).map((e) => e.name), ["#dev", "#lobby", "#فارسی"]);
  assert.deepEqual(sortedChannels(entries, { filter: "REVIEW" }).map((e) => e.name), ["#dev"]);
  assert.deepEqual(sortedChannels(entries, { filter: "گپ" }).map((e) => e.name), ["#فارسی"]);
  assert.equal(entries[0].name, "#lobby", "the core's list is not changed");
});
