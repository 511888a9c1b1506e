// The page's settings, kept in localStorage (one JSON object) and applied at once: the theme
// (as the system, light or dark: <html data-theme>, read by style.css) and whether others see
// that we are typing. Unknown or broken values fall back to the defaults.

const SETTINGS_KEY = "socketchat.settings";
export const DEFAULTS = Object.freeze({ theme: "system", typing: true });
const THEMES = new Set(["system", "light", "dark"]);

/** The saved settings, each checked, the defaults for the rest. */
export function loadSettings(storage = globalThis.localStorage) {
  let saved = {};
  try {
    saved = JSON.parse((storage && storage.getItem(SETTINGS_KEY)) || "{}") || {};
  } catch {
    saved = {};
  }
  return {
    theme: THEMES.has(saved.theme) ? saved.theme : DEFAULTS.theme,
    typing: typeof saved.typing === "boolean" ? saved.typing : DEFAULTS.typing,
  };
}

export function saveSettings(settings, storage = globalThis.localStorage) {
  if (storage) storage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

/** <html data-theme="light|dark"> (none: as the system) and the matching color-scheme. */
export function applyTheme(theme, doc = globalThis.document) {
  if (!doc) return;
  const root = doc.documentElement;
  if (theme === "light" || theme === "dark") {
    root.dataset.theme = theme;
    root.style.colorScheme = theme;
  } else {
    delete root.dataset.theme;
    root.style.colorScheme = "";
  }
}

/** `entries` ({name, users, topic}) of a /list that match `filter` (in the name or the topic,
 * case-insensitive), sorted by `key` (name, users, topic), `descending` or not. */
export function sortedChannels(entries, { filter = "", key = "users", descending = true } = {}) {
  const needle = filter.trim().toLocaleLowerCase();
  const shown = needle ? entries.filter((e) => e.name.toLocaleLowerCase().includes(needle) || e.topic.toLocaleLowerCase().includes(needle)) : [...entries];
  const compare = key === "users"
    ? (a, b) => a.users - b.users || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
    : (a, b) => (a[key].toLocaleLowerCase() < b[key].toLocaleLowerCase() ? -1 : a[key].toLocaleLowerCase() > b[key].toLocaleLowerCase() ? 1 : 0);
  shown.sort(compare);
  return descending ? shown.reverse() : shown;
}
