// Nick colours: one of 16 hues from a stable hash of the nick, the same hue as the terminal
// and desktop clients give it (socketchat/client/helpers.py: CRC-32 of the folded nick, UTF-8),
// checked against tests/fixtures/nick_colors.json by both languages. style.css holds each hue
// twice, for the light and for the dark theme (.nick-c0 … .nick-c15).

export const NICK_COLOR_COUNT = 16;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (zlib's) of some bytes. */
export function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The colour index of a nick, in 0…15 (case-insensitive). */
export function nickColorIndex(nick) {
  const folded = /^[\x00-\x7f]*$/.test(nick) ? nick.toLowerCase() : nick.normalize("NFC").toLowerCase();
  return crc32(new TextEncoder().encode(folded)) % NICK_COLOR_COUNT;
}

/** The CSS class that colours a nick. */
export function nickClass(nick) {
  return `nick-c${nickColorIndex(nick)}`;
}
