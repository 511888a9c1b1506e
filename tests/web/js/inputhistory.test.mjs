// Up/Down recall of the composer against the shared cases (the Python clients run the same).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { InputHistory } from "../../../src/socketchat/web/static/inputhistory.js";

const { cases } = JSON.parse(readFileSync(new URL("../../fixtures/inputhistory.json", import.meta.url), "utf8"));

for (const c of cases) {
  test(`input history: ${c.name}`, () => {
    const history = new InputHistory(c.limit);
    for (const [op, ...args] of c.steps) {
      if (op === "add") history.add(args[0]);
      else assert.equal(history[op](args[0]), args[1], `${op}(${args[0]})`);
    }
  });
}
