// IRC message syntax for the browser: parse and format lines, tags, nick rules, casemapping.
// Mirrors socketchat/irc/message.py and casemap.py. No DOM, no network.

const TAG_ESCAPES = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

function unescapeTag(value) {
  return value.replace(/\\(.?)/g, (_, c) => (c in TAG_ESCAPES ? TAG_ESCAPES[c] : c));
}

export function escapeTag(value) {
  return value.replace(/[\\; \r\n]/g, (c) => ({ "\\": "\\\\", ";": "\\:", " ": "\\s", "\r": "\\r", "\n": "\\n" })[c]);
}

/** One line (without CRLF) → {tags, source, nick, command, params}; null if it is not IRC. */
export function parseMessage(line) {
  let rest = line.replace(/[\r\n]+$/, "");
  const tags = {};
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    for (const item of rest.slice(1, space).split(";")) {
      if (!item) continue;
      const eq = item.indexOf("=");
      if (eq < 0) tags[item] = "";
      else tags[item.slice(0, eq)] = unescapeTag(item.slice(eq + 1));
    }
    rest = rest.slice(space + 1).trimStart();
  }
  let source = null;
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    if (space < 0) return null;
    source = rest.slice(1, space);
    rest = rest.slice(space + 1).trimStart();
  }
  const params = [];
  let command = null;
  while (rest) {
    if (command !== null && rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const space = rest.indexOf(" ");
    const word = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? "" : rest.slice(space + 1).replace(/^ +/, "");
    if (command === null) command = word.toUpperCase();
    else params.push(word);
  }
  if (!command) return null;
  const nick = source ? source.split("!")[0] : "";
  return { tags, source, nick, command, params };
}

/** command + params (+ optional tags) → one line without CRLF; the last param is trailing if needed. */
export function formatLine(command, params = [], tags = null) {
  const parts = [];
  if (tags && Object.keys(tags).length) {
    parts.push("@" + Object.entries(tags).map(([k, v]) => (v ? `${k}=${escapeTag(v)}` : k)).join(";"));
  }
  parts.push(command);
  params.forEach((p, i) => {
    const clean = String(p).replace(/[\r\n\0]/g, " ");
    const last = i === params.length - 1;
    if (last && (clean === "" || clean.includes(" ") || clean.startsWith(":"))) parts.push(":" + clean);
    else parts.push(clean);
  });
  return parts.join(" ");
}

/** ascii casemapping (what socketchat announces), the identity of nicks and channels. */
export function fold(name) {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// Letters of any script (a Persian مهسا), or an ASCII special, first; then also digits, combining
// marks, "-" and the zero-width non-joiner (Persian می‌نا). A loose check: the server (PRECIS and
// UTS #39 in socketchat.irc.casemap) is the judge and says why in 432.
const NICK_RE = /^[\p{L}[\]\\`_^{|}][\p{L}\p{M}\p{Nd}[\]\\`_^{|}\u200c-]*$/u;

/** IRC nick rules, loosely (socketchat.irc.casemap.nick_problem decides): letter or special first, then also digits and "-". */
export function validNick(nick, maxLength = 30) {
  return typeof nick === "string" && nick.length > 0 && nick.length <= maxLength && NICK_RE.test(nick);
}

export function isChannel(name, chantypes = "#&") {
  return Boolean(name) && chantypes.includes(name[0]);
}

/** An IPv4 or IPv6 address in its usual text form (for /pm <ip>), else null. */
export function parseIp(text) {
  const t = text.replace(/^\[|\]$/g, "");
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(t) && t.split(".").every((n) => Number(n) <= 255)) return t;
  if (t.includes(":") && /^[0-9A-Fa-f:.]+$/.test(t) && t.split("::").length <= 2) return t.toLowerCase();
  return null;
}

/** Same address? (IPv6 written differently, and the "0::1" form socketchat uses for "::1".) */
export function sameIp(a, b) {
  const norm = (ip) => (ip.startsWith("0:") ? ip.slice(1) : ip).toLowerCase();
  return expandIp(norm(a)) === expandIp(norm(b));
}

function expandIp(ip) {
  if (!ip.includes(":")) return ip;
  const [head, tail = null] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

/** Split text into pieces of at most `limit` UTF-8 bytes, preferring to cut at spaces. */
export function splitUtf8(text, limit) {
  const enc = new TextEncoder();
  const out = [];
  let rest = text;
  while (enc.encode(rest).length > limit) {
    let cut = 0;
    let bytes = 0;
    for (const ch of rest) {
      const n = enc.encode(ch).length;
      if (bytes + n > limit) break;
      bytes += n;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(" ", cut);
    if (space > cut / 2) cut = space;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ +/, "");
  }
  if (rest) out.push(rest);
  return out;
}

/** SASL PLAIN (RFC 4616) as AUTHENTICATE arguments: base64 of "authzid\0authcid\0password" in
 * 400-byte pieces, then "+" when the last piece was a full one (or there was nothing to send). */
export function saslPlain(account, password) {
  const bytes = new TextEncoder().encode(`${account}\0${account}\0${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const encoded = btoa(binary);
  const chunks = [];
  for (let i = 0; i < encoded.length; i += 400) chunks.push(encoded.slice(i, i + 400));
  if (!chunks.length || chunks[chunks.length - 1].length === 400) chunks.push("+");
  return chunks;
}
