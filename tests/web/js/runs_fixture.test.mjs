// The browser's runs.js against the cases the Python clients' client/runs.py runs too
// (tests/fixtures/runs.json): which lines fold, and the summary in English and Persian.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { MESSAGES } from "../../../src/socketchat/web/static/i18n.js";
import { inRun, runSummary } from "../../../src/socketchat/web/static/runs.js";

const { cases } = JSON.parse(readFileSync(new URL("../../fixtures/runs.json", import.meta.url), "utf8"));

const translator = (lang) => (key, params = {}) =>
  MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name) => String(params[name]));

/** What app.js draws: a line's index, or a run (two or more inRun lines in a row) as its summary. */
function fold(lines, lang) {
  const out = [];
  let run = [];
  const end = () => {
    if (run.length >= 2) out.push(runSummary(run.map((i) => lines[i]), translator(lang)));
    else out.push(...run);
    run = [];
  };
  lines.forEach((line, index) => {
    if (inRun(line)) run.push(index);
    else {
      end();
      out.push(index);
    }
  });
  end();
  return out;
}

for (const c of cases) {
  for (const lang of ["en", "fa"]) {
    test(`runs (${lang}): ${c.name}`, () => {
      const lines = c.lines.map(([kind, nick, self]) => ({ kind, nick, self }));
      const want = c.folded.map((item) => (typeof item === "number" ? item : item[lang]));
      assert.deepEqual(fold(lines, lang), want);
    });
  }
}
