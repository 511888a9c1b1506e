// The shared client-core scenarios (tests/fixtures/client/*.json) against the browser's core.
// tests/client/test_core_fixtures.py runs the same files against the Python core; both runners
// map their core's lines and events to the neutral vocabulary of tests/fixtures/client/README.md.
// Run by tests/web/test_js.py (pytest) as `node --test`.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { ChatCore } from "../../../src/socketchat/web/static/client.js";
import { parseMessage } from "../../../src/socketchat/web/static/irc.js";
import { fill } from "../../../src/socketchat/web/static/state.js";

const DIR = new URL("../../fixtures/client/", import.meta.url);

const NOW = 1_700_000_000;

/** Command and parameters; tags first (`@k=v;…`, sorted) when the line has any. */
function parsed(line) {
  const msg = parseMessage(line);
  const tags = Object.entries(msg.tags).map(([k, v]) => `${k}=${v}`).sort();
  return [...(tags.length ? ["@" + tags.join(";")] : []), msg.command, ...msg.params];
}

function neutralLine(line) {
  return { buffer: line.buffer, kind: line.kind, nick: line.nick, text: line.text, self: Boolean(line.self), highlight: Boolean(line.highlight), history: Boolean(line.history), msgid: line.msgid || null, reply: line.reply ? line.reply.msgid : null, quote_nick: line.reply ? line.reply.nick : null, quote_text: line.reply ? line.reply.text : null, redacted: Boolean(line.redacted), template: line.said ? line.said.template : null, args: line.said ? Object.fromEntries(Object.entries(line.said.args).map(([k, v]) => [k, typeof v === "object" ? fill(v) : v])) : null };
}

/** A line's `args` (or a spec's) as text, whatever the order of its keys. */
function canonical(args) {
  return args ? JSON.stringify(Object.entries(args).sort()) : String(args);
}

function lineMatches(spec, line) {
  return Object.entries(spec).every(([key, want]) => (key === "contains" ? line.text.includes(want) : key === "args" ? canonical(line.args) === canonical(want) : line[key] === want));
}

function containsInOrder(specs, lines) {
  let i = 0;
  for (const spec of specs) {
    while (i < lines.length && !lineMatches(spec, lines[i])) i++;
    if (i >= lines.length) return false;
    i++;
  }
  return true;
}

class Runner {
  constructor(scenario) {
    const c = scenario.config || {};
    this.scenario = scenario;
    this.out = [];
    this.newLines = [];
    this.allLines = []; // every line, as the core made it
    this.events = [];
    this.core = new ChatCore(c.nick || "alice", {
      channels: c.channels || ["#lobby"],
      realname: c.realname || "socketchat user",
      account: c.account || null,
      password: c.account_password || null,
      historyLines: c.history_lines ?? 50,
      askNick: c.ask_nick || false,
    });
    this.known = this.names();
    this.now = NOW;
    this.core.clock = () => this.now * 1000;
    this.core.transmit = (line) => this.out.push(parsed(line));
    this.core.onEvent = (event) => this.event(event);
  }

  names() {
    return [...this.core.buffers.values()].map((b) => b.name);
  }

  event(event) {
    if (event.type === "line") {
      this.newLines.push(neutralLine(event.line));
      this.allLines.push(event.line);
    }
    else if (event.type === "exit") this.events.push("exit");
    else if (event.type === "nick-refused") this.events.push(`nick-refused ${event.nick}`);
    else if (event.type === "channel-list") this.events.push(`channel-list ${event.entries.length}`);
    else if (event.type === "search-results") this.events.push(`search-results ${event.results.length}`);
    else if (event.type === "jump") this.events.push(`jump ${event.buffer} ${event.msgid}`);
    else if (event.type === "current") this.events.push(`focus ${event.buffer}`);
    else if (event.type === "buffers") {
      const now = this.names();
      for (const n of now) if (!this.known.includes(n)) this.events.push(`open ${n}`);
      for (const n of this.known) if (!now.includes(n)) this.events.push(`close ${n}`);
      this.known = now;
    }
  }

  run() {
    this.scenario.steps.forEach((step, index) => {
      this.now += 1;
      try {
        this.step(step);
      } catch (err) {
        err.message = `step ${index} ${JSON.stringify(step)}: ${err.message}`;
        throw err;
      }
    });
  }

  step(step) {
    const core = this.core;
    if ("connect" in step) {
      core.connecting("irc.test:6667");
      core.connectionMade();
    } else if ("server" in step) {
      for (const line of step.server) core.receiveLine(line);
    } else if ("input" in step) {
      core.handleInput(step.input, step.buffer || core.current);
    } else if ("current" in step) {
      core.setCurrent(step.current);
    } else if ("close" in step) {
      core.closeBuffer(step.close);
    } else if ("older" in step) {
      core.requestOlder(step.older, step.limit || undefined);
    } else if ("disconnect" in step) {
      core.connectionLost(step.disconnect);
    } else if ("composing" in step) {
      core.composing(step.composing, step.buffer || core.current);
    } else if ("tick" in step) {
      this.now += step.tick;
      core.tick();
    } else if ("react" in step) {
      core.react(step.react.buffer || core.current, step.react.msgid, step.react.emoji);
    } else if ("redact" in step) {
      core.redact(step.redact.buffer || core.current, step.redact.msgid, step.redact.reason || "");
    } else if ("jump" in step) {
      core.jump(step.jump.buffer, step.jump.msgid);
    } else if ("reply_to" in step) {
      core.reply(step.reply_to.buffer || core.current, step.reply_to.msgid, step.reply_to.text);
    }
    if ("sent" in step) {
      const got = this.out;
      this.out = [];
      assert.deepEqual(got, step.sent.map(parsed));
    }
    if ("lines" in step) {
      const got = this.newLines;
      this.newLines = [];
      assert.ok(containsInOrder(step.lines, got), `lines ${JSON.stringify(got)}`);
    }
    if ("no_lines" in step) {
      const got = this.newLines;
      this.newLines = [];
      const bad = got.filter((g) => step.no_lines.some((s) => lineMatches(s, g)));
      assert.deepEqual(bad, [], "unexpected lines");
    }
    if ("events" in step) {
      const got = this.events;
      this.events = [];
      let i = 0;
      for (const e of step.events) {
        while (i < got.length && got[i] !== e) i++;
        assert.ok(i < got.length, `event ${e} not in ${JSON.stringify(got)}`);
        i++;
      }
    }
    if ("buffer_lines" in step) {
      for (const [name, specs] of Object.entries(step.buffer_lines)) {
        const buf = core.buf(name);
        const lines = (buf ? buf.lines : []).map(neutralLine).filter((l) => !["info", "error", "divider"].includes(l.kind));
        assert.ok(lines.length === specs.length && specs.every((s, i) => lineMatches(s, lines[i])), `${name}: ${JSON.stringify(lines)}`);
      }
    }
    if ("state" in step) this.checkState(step.state);
  }

  checkState(want) {
    const core = this.core;
    const got = {};
    for (const [key, value] of Object.entries(want)) {
      if (key === "nick") got[key] = core.nick;
      else if (key === "registered") got[key] = core.registered;
      else if (key === "current") got[key] = core.current;
      else if (key === "buffers") got[key] = this.names();
      else if (key === "caps") got[key] = [...core.caps].sort();
      else if (key === "account") got[key] = core.account;
      else if (key === "queued") got[key] = core.queue.length;
      else if (key === "members") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.members(b).map((m) => m.prefixes + m.nick)]));
      else if (key === "topic") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.buf(b) ? core.buf(b).topic : ""]));
      else if (key === "modes") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.modeString(b)]));
      else if (key === "unread") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.buf(b) ? core.buf(b).unread : 0]));
      else if (key === "highlight") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, Boolean(core.buf(b) && core.buf(b).highlight)]));
      else if (key === "marker") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.markerLine(b) ? core.markerLine(b).text : null]));
      else if (key === "presence") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.presenceOf(b)]));
      else if (key === "channel_list") got[key] = core.channelsListed.map((e) => [e.name, e.users, e.topic]);
      else if (key === "search_results") got[key] = core.searchHits.map((r) => [r.buffer, r.nick, r.text, r.msgid]);
      else if (key === "typing") got[key] = Object.fromEntries(Object.keys(value).map((b) => [b, core.typingIn(b)]));
      else if (key === "reactions") got[key] = Object.fromEntries(Object.entries(value).map(([b, ids]) => [b, Object.fromEntries(Object.keys(ids).map((id) => [id, Object.fromEntries(core.reactionsOf(b, id).map((r) => [r.emoji, r.nicks]))]))]));
      else throw new Error(`unknown state key ${key}`);
    }
    assert.deepEqual(got, want);
  }
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
let count = 0;
for (const file of files) {
  for (const scenario of JSON.parse(readFileSync(new URL(file, DIR), "utf8"))) {
    count++;
    const skip = scenario.skip && scenario.skip.js;
    test(`client core: ${file.replace(/\.json$/, "")}:${scenario.name}`, { skip }, () => new Runner(scenario).run());
  }
}

test("there are scenarios", () => assert.ok(count >= 20));

// As tests/client/test_i18n.py for the Python core: every line the core writes itself carries
// its template (`said`, translated by the page), so only the server's and the user's own words
// are left untranslated.
const WORD = /[A-Za-z]{3,}/g;
for (const file of files) {
  for (const scenario of JSON.parse(readFileSync(new URL(file, DIR), "utf8"))) {
    test(`no untranslated words of the core: ${file.replace(/\.json$/, "")}:${scenario.name}`, () => {
      const runner = new Runner(scenario);
      try {
        runner.run();
      } catch {
        // the scenario's own checks are the other test's
      }
      const theirs = new Set(scenario.steps.flatMap((s) => [...(s.server || []), s.input || ""]).flatMap((t) => t.match(WORD) || []));
      const left = runner.allLines
        .filter((l) => !["message", "action", "notice"].includes(l.kind) && !l.said && !l.origin)
        .filter((l) => (l.text.match(WORD) || []).some((w) => !theirs.has(w)))
        .map((l) => l.text);
      assert.deepEqual(left, []);
    });
  }
}
