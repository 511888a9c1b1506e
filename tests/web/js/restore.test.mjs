// Private tabs restored from an earlier visit (app.js keeps their names in localStorage).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ChatCore } from "../../../src/socketchat/web/static/client.js";

test("restored private tabs are opened, and their latest history asked for once connected", () => {
  const core = new ChatCore("alice", { channels: [] });
  const sent = [];
  core.transmit = (line) => sent.push(line);
  core.restoreQueries(["bob", "#not-a-query", "", 42, "bob", "carol"]);
  assert.deepEqual([...core.buffers.values()].map((b) => [b.name, b.kind]), [["*status*", "status"], ["bob", "query"], ["carol", "query"]]);
  assert.equal(core.current, "*status*");
  core.connecting("x");
  core.connectionMade();
  core.receiveLine(":s CAP * LS :batch draft/chathistory");
  core.receiveLine(":s CAP * ACK :batch draft/chathistory");
  sent.length = 0;
  core.receiveLine(":s 001 alice :hi");
  assert.deepEqual(sent, ["CHATHISTORY LATEST bob * 50", "CHATHISTORY LATEST carol * 50"]);
  core.receiveLine(":s BATCH +h chathistory bob");
  core.receiveLine("@batch=h;time=2026-12-01T10:00:00.000Z;msgid=p1 :bob!b@h PRIVMSG alice :from yesterday");
  core.receiveLine(":s BATCH -h");
  assert.deepEqual(core.buf("bob").lines.filter((l) => l.kind === "message").map((l) => l.text), ["from yesterday"]);
  sent.length = 0;
  core.connectionLost("x");
  core.connectionMade();
  core.receiveLine(":s CAP * LS :");
  core.receiveLine(":s 001 alice :hi");
  assert.ok(!sent.some((l) => l.startsWith("CHATHISTORY")), "asked once, not after every reconnect");
});
