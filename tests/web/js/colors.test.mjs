// Nick colours: the browser picks the hue the terminal and desktop clients pick (shared cases).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { NICK_COLOR_COUNT, crc32, nickColorIndex } from "../../../src/socketchat/web/static/colors.js";

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/nick_colors.json", import.meta.url), "utf8"));
const css = readFileSync(new URL("../../../src/socketchat/web/static/style.css", import.meta.url), "utf8");

test("crc32 is zlib's", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

for (const c of fixtures.cases) {
  test(`nick colour of ${c.nick}`, () => assert.equal(nickColorIndex(c.nick), c.index));
}

test("every hue is in the stylesheet, for the light and the dark theme", () => {
  assert.equal(NICK_COLOR_COUNT, fixtures.colors);
  for (let i = 0; i < NICK_COLOR_COUNT; i++) {
    assert.ok(css.includes(`--nick-c${i}: ${fixtures.light[i]};`), `light ${i}`);
    assert.ok(css.includes(`--nick-c${i}: ${fixtures.dark[i]};`), `dark ${i}`);
  }
});
