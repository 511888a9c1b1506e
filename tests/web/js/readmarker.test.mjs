// draft/read-marker in the browser core (as tests/client/test_readmarker.py for the Python
// core): unread counts follow MARKREAD, looking at a tab sends it. Run by tests/web/test_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ChatCore } from "../../../src/socketchat/web/static/client.js";

function connected(caps) {
  const core = new ChatCore("alice", { channels: [] });
  const sent = [];
  core.transmit = (line) => sent.push(line);
  core.connecting("x");
  core.connectionMade();
  core.receiveLine(`:s CAP * LS :${caps}`);
  core.receiveLine(`:s CAP * ACK :${caps}`);
  core.receiveLine(":s 001 alice :hi");
  sent.length = 0;
  return { core, sent };
}

test("unread counts follow what another device read", () => {
  const { core } = connected("server-time message-tags draft/read-marker");
  core.receiveLine("@time=2026-12-01T10:00:00.000Z :bob!b@h PRIVMSG alice :one");
  core.receiveLine("@time=2026-12-01T10:00:01.000Z :bob!b@h PRIVMSG alice :two");
  core.receiveLine("@time=2026-12-01T10:00:02.000Z :bob!b@h PRIVMSG alice :three");
  assert.equal(core.buf("bob").unread, 3);
  core.receiveLine(":s MARKREAD bob timestamp=2026-12-01T10:00:01.000Z");
  assert.equal(core.buf("bob").unread, 1);
  core.receiveLine(":s MARKREAD bob timestamp=2026-12-01T10:00:00.000Z"); // older: no change
  assert.equal(core.buf("bob").unread, 1);
  core.receiveLine(":s MARKREAD bob *");
  core.receiveLine(":s MARKREAD bob timestamp=2026-12-01T10:00:02.000Z");
  assert.equal(core.buf("bob").unread, 0);
});

test("looking at a tab marks it read once", () => {
  const { core, sent } = connected("server-time message-tags draft/read-marker");
  core.receiveLine("@time=2026-12-01T10:00:00.250Z :bob!b@h PRIVMSG alice :hi");
  sent.length = 0;
  core.setCurrent("bob");
  assert.deepEqual(sent, ["MARKREAD bob timestamp=2026-12-01T10:00:00.250Z"]);
  core.setCurrent("bob");
  assert.equal(sent.length, 1);
  const plain = connected("server-time message-tags");
  plain.core.receiveLine("@time=2026-12-01T10:00:00.250Z :bob!b@h PRIVMSG alice :hi");
  plain.sent.length = 0;
  plain.core.setCurrent("bob");
  assert.deepEqual(plain.sent, []);
});
