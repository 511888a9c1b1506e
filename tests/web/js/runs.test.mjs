// Folding runs of joins, parts and quits into one line.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MESSAGES, t } from "../../../src/socketchat/web/static/i18n.js";
import { inRun, runSummary } from "../../../src/socketchat/web/static/runs.js";

const line = (kind, nick, self = false) => ({ kind, nick, self });

test("who joins, leaves or quits, in order, each name once", () => {
  const run = [line("join", "bob"), line("join", "carol"), line("part", "dave"), line("join", "bob"), line("quit", "erin")];
  assert.equal(runSummary(run, t), "bob, carol joined · dave left · erin quit");
});

test("many names are counted", () => {
  const run = ["a", "b", "c", "d", "e", "f"].map((n) => line("join", n));
  assert.equal(runSummary(run, t), "a, b, c, d and 2 others joined");
});

test("our own join and messages are not part of a run", () => {
  assert.equal(inRun(line("join", "")), false); // "You joined #lobby"
  assert.equal(inRun(line("join", "alice", true)), false);
  assert.equal(inRun(line("message", "bob")), false);
  assert.equal(inRun(line("quit", "bob")), true);
});

test("the run sentences exist in every language", () => {
  for (const lang of Object.keys(MESSAGES)) {
    for (const key of ["runs.join", "runs.part", "runs.quit", "runs.more"]) assert.ok(MESSAGES[lang][key], `${lang} ${key}`);
  }
});
