// The browser client takes whole WebSocket messages as lines: no line a server may send (8191
// bytes of tags plus a 512-byte body) or a longer one is dropped by its parser.
// Run by tests/web/test_js.py (pytest) as `node --test tests/web/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { parseMessage } from "../../../src/socketchat/web/static/irc.js";

test("a full tag section and a long body parse whole", () => {
  const tags = "@time=2026-01-01T00:00:00.000Z;+big=" + "x".repeat(8191 - 40) + " ";
  const text = "é".repeat(300);
  const msg = parseMessage(tags + ":bob!~b@h PRIVMSG #lobby :" + text);
  assert.equal(msg.command, "PRIVMSG");
  assert.equal(msg.params[1], text);
  assert.equal(msg.tags["+big"].length, 8191 - 40);
});
