// The browser's nick check lets Unicode nicks through to the server (which decides, with its
// reason in 432) and still stops IRC punctuation. Run by tests/web/test_js.py (pytest).
import assert from "node:assert/strict";
import { test } from "node:test";

import { validNick } from "../../../src/socketchat/web/static/irc.js";

test("Persian and other scripts' nicks pass", () => {
  for (const nick of ["alice", "[bot]", "مهسا", "مهسا۱۳۷۰", "می\u200cنا", "Işıl", "Дмитрий"]) {
    assert.ok(validNick(nick), nick);
  }
});

test("punctuation, a leading digit and over-long nicks are refused", () => {
  for (const nick of ["", "a b", "a,b", "a!b", "a@b", "#chan", "1abc", "۱مهسا", "-x", "☕", "a".repeat(31)]) {
    assert.ok(!validNick(nick), nick);
  }
});
