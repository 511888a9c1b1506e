// The browser's formatting parser against the shared fixtures (the Python one runs the same).
// Run by tests/web/test_js.py (pytest) as `node --test tests/web/js/`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { MIRC_COLORS, parseFormatting, stripFormatting } from "../../../src/socketchat/web/static/format.js";

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/formatting.json", import.meta.url), "utf8"));

for (const c of fixtures.cases) {
  test(`formatting: ${c.name}`, () => {
    assert.deepEqual(parseFormatting(c.input), c.spans);
  });
}

test("99 colours", () => {
  assert.equal(MIRC_COLORS.length, 99);
  assert.equal(MIRC_COLORS[4], "#ff0000");
});

test("italic and strike keep what follows", () => {
  assert.equal(stripFormatting("a \x1di\x1d b \x1es\x1e c"), "a i b s c");
});
