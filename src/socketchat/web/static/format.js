// IRC formatting codes -> styled spans, and spans -> DOM nodes (textContent only, never HTML).
// The same parser as the Python client core's (src/socketchat/client/formatting.py): both are
// checked against tests/fixtures/formatting.json, so keep the two in step.
// Codes: bold \x02, italic \x1d, underline \x1f, strike \x1e, monospace \x11, reverse \x16 toggle;
// \x0f resets; \x03NN[,MM] mIRC colours (99 = default; a bare \x03 resets both); \x04RRGGBB[,RRGGBB].
// A comma is only part of a colour code when a digit follows it; any other C0 control character is
// shown as its Control Pictures symbol, so no text is ever lost.

export const MIRC_COLORS = (
  "ffffff 000000 00007f 009300 ff0000 7f0000 9c009c fc7f00 " +
  "ffff00 00fc00 009393 00ffff 0000fc ff00ff 7f7f7f d2d2d2 " +
  "470000 472100 474700 324700 004700 00472c 004747 002747 000047 2e0047 470047 47002a " +
  "740000 743a00 747400 517400 007400 007449 007474 004074 000074 4b0074 740074 740045 " +
  "b50000 b56300 b5b500 7db500 00b500 00b571 00b5b5 0063b5 0000b5 7500b5 b500b5 b5006b " +
  "ff0000 ff8c00 ffff00 b2ff00 00ff00 00ffa0 00ffff 008cff 0000ff a500ff ff00ff ff0098 " +
  "ff5959 ffb459 ffff71 cfff60 6fff6f 65ffc9 6dffff 59b4ff 5959ff c459ff ff66ff ff59bc " +
  "ff9c9c ffd39c ffff9c e2ff9c 9cff9c 9cffdb 9cffff 9cd3ff 9c9cff dc9cff ff9cff ff94d3 " +
  "000000 131313 282828 363636 4d4d4d 656565 818181 9f9f9f bcbcbc e2e2e2 ffffff"
).split(" ").map((c) => "#" + c);

const TOGGLES = { "\x02": "bold", "\x1d": "italic", "\x1f": "underline", "\x1e": "strike", "\x11": "monospace", "\x16": "reverse" };
const FLAGS = ["bold", "italic", "underline", "strike", "monospace", "reverse"];
const CODES = new Set([...Object.keys(TOGGLES), "\x03", "\x04", "\x0f"]);
const HEX6 = /^[0-9A-Fa-f]{6}/;
const URL = /https?:\/\/[^\s<>"'\u00ab\u00bb\u200c\u200f\u200e]+/gi;
const TRAILING = ".,;:!?'\"،؛؟…";

const isDigit = (c) => c >= "0" && c <= "9";
const plain = () => ({ bold: false, italic: false, underline: false, strike: false, monospace: false, reverse: false, fg: null, bg: null });

function visible(text) {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === "\x7f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

function digits(line, start) {
  let end = start;
  while (end < line.length && end - start < 2 && isDigit(line[end])) end += 1;
  return [end > start ? Number(line.slice(start, end)) : null, end];
}

const mirc = (n) => (n < MIRC_COLORS.length ? MIRC_COLORS[n] : null);

function spanOf(text, style, link) {
  const span = { text };
  for (const f of FLAGS) if (style[f]) span[f] = true;
  if (style.fg !== null) span.fg = style.fg;
  if (style.bg !== null) span.bg = style.bg;
  if (link) span.link = link;
  return span;
}

function sameStyle(a, b) {
  return FLAGS.every((f) => Boolean(a[f]) === Boolean(b[f])) && (a.fg ?? null) === (b.fg ?? null) && (a.bg ?? null) === (b.bg ?? null);
}

function trimUrl(url) {
  let end = url.length;
  while (end > 0 && TRAILING.includes(url[end - 1])) end -= 1;
  url = url.slice(0, end);
  const opens = url.split("(").length - 1;
  const closes = url.split(")").length - 1;
  if (url.endsWith(")") && opens < closes) url = url.slice(0, -1);
  return url;
}

function splitLinks(text, style, out) {
  text = visible(text);
  let at = 0;
  for (const match of text.matchAll(URL)) {
    const url = trimUrl(match[0]);
    if (url.length <= "https://".length || !url.slice(0, 8).includes("://") || url.endsWith("://")) continue;
    if (match.index > at) out.push(spanOf(text.slice(at, match.index), style));
    out.push(spanOf(url, style, url));
    at = match.index + url.length;
  }
  if (at < text.length) out.push(spanOf(text.slice(at), style));
}

/** The spans of `line` with the codes taken out: [{text, bold?, italic?, …, fg?, bg?, link?}]. */
export function parseFormatting(line) {
  const runs = [];
  let style = plain();
  let text = "";
  const flush = () => {
    if (text) runs.push([text, { ...style }]);
    text = "";
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (!CODES.has(c)) {
      text += c;
      i += 1;
      continue;
    }
    flush();
    i += 1;
    if (c in TOGGLES) {
      style[TOGGLES[c]] = !style[TOGGLES[c]];
    } else if (c === "\x0f") {
      style = plain();
    } else if (c === "\x03") {
      const [fg, next] = digits(line, i);
      i = next;
      if (fg === null) {
        style.fg = style.bg = null;
        continue;
      }
      style.fg = mirc(fg);
      if (i + 1 < line.length && line[i] === "," && isDigit(line[i + 1])) {
        const [bg, after] = digits(line, i + 1);
        style.bg = mirc(bg);
        i = after;
      }
    } else {
      if (!HEX6.test(line.slice(i, i + 6))) {
        style.fg = style.bg = null;
        continue;
      }
      style.fg = "#" + line.slice(i, i + 6).toLowerCase();
      i += 6;
      if (line[i] === "," && HEX6.test(line.slice(i + 1, i + 7))) {
        style.bg = "#" + line.slice(i + 1, i + 7).toLowerCase();
        i += 7;
      }
    }
  }
  flush();
  const pieces = [];
  for (const [t, s] of runs) splitLinks(t, s, pieces);
  const out = [];
  for (const span of pieces) {
    if (!span.text) continue;
    const last = out[out.length - 1];
    if (last && !last.link && !span.link && sameStyle(last, span)) last.text += span.text;
    else out.push(span);
  }
  return out;
}

/** `line` as plain text (what the spans show). */
export function stripFormatting(line) {
  return parseFormatting(line).map((s) => s.text).join("");
}

/** DOM nodes for `line`: styled spans (classes fmt-*, inline colours) and <a> for links. */
export function formattedNodes(line, doc = globalThis.document) {
  return parseFormatting(line).map((span) => {
    const node = doc.createElement(span.link ? "a" : "span");
    node.textContent = span.text;
    if (span.link) {
      node.href = span.link;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
    const classes = FLAGS.filter((f) => span[f]).map((f) => `fmt-${f}`);
    if (classes.length) node.className = classes.join(" ");
    let fg = span.fg;
    let bg = span.bg;
    if (span.reverse) [fg, bg] = [bg || "var(--panel)", fg || "var(--text)"];
    if (fg) node.style.color = fg;
    if (bg) node.style.backgroundColor = bg;
    return node;
  });
}
