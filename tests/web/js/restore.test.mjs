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

test("logged in: conversations with lines newer than their read marker are opened, with their latest lines", () => {
  // the server replays missed private messages only to clients without draft/chathistory
  const core = new ChatCore("alice", { channels: [] });
  core.clock = () => Date.parse("2026-12-02T12:00:00.000Z");
  const sent = [];
  core.transmit = (line) => sent.push(line);
  core.connecting("x");
  core.connectionMade();
  core.receiveLine(":s CAP * LS :batch draft/chathistory draft/read-marker");
  core.receiveLine(":s CAP * ACK :batch draft/chathistory draft/read-marker");
  core.receiveLine(":s 900 alice alice!a@h alice :You are now logged in as alice");
  sent.length = 0;
  core.receiveLine(":s 001 alice :hi");
  assert.deepEqual(sent, ["CHATHISTORY TARGETS timestamp=2026-11-25T12:00:00.000Z timestamp=2026-12-02T12:01:00.000Z 50"]);
  sent.length = 0;
  core.receiveLine(":s BATCH +t draft/chathistory-targets");
  core.receiveLine("@batch=t :s CHATHISTORY TARGETS dave 2026-12-01T09:00:00.000Z");
  core.receiveLine("@batch=t :s CHATHISTORY TARGETS #class 2026-12-02T10:00:00.000Z");
  core.receiveLine("@batch=t :s CHATHISTORY TARGETS bob 2026-12-02T11:00:00.000Z");
  core.receiveLine(":s BATCH -t");
  assert.deepEqual(sent, ["MARKREAD dave", "MARKREAD bob"]); // channels: their history comes with JOIN
  sent.length = 0;
  core.receiveLine(":s MARKREAD dave timestamp=2026-12-01T09:00:00.000Z"); // read already
  core.receiveLine(":s MARKREAD bob *"); // never read
  assert.equal(core.buf("dave"), undefined);
  assert.deepEqual(sent, ["CHATHISTORY LATEST bob * 50"]);
  core.receiveLine(":s BATCH +h chathistory bob");
  core.receiveLine("@batch=h;time=2026-12-02T11:00:00.000Z;msgid=p1 :bob!b@h PRIVMSG alice :homework is page 12");
  core.receiveLine(":s BATCH -h");
  assert.deepEqual(core.buf("bob").lines.filter((l) => l.kind === "message").map((l) => l.text), ["homework is page 12"]);
  assert.equal(core.current, "*status*"); // opened, not switched to
});

test("not logged in: no TARGETS (an account's missed messages are all there is to find)", () => {
  const core = new ChatCore("guest", { channels: [] });
  const sent = [];
  core.transmit = (line) => sent.push(line);
  core.connecting("x");
  core.connectionMade();
  core.receiveLine(":s CAP * LS :batch draft/chathistory");
  core.receiveLine(":s CAP * ACK :batch draft/chathistory");
  sent.length = 0;
  core.receiveLine(":s 001 guest :hi");
  assert.ok(!sent.some((l) => l.startsWith("CHATHISTORY")), sent.join("\n"));
});
