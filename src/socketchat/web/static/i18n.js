// The page's interface language: a message table (English and Persian), chosen from the saved
// choice or navigator.language, switchable, remembered in localStorage. Persian turns the whole
// page right-to-left (<html dir="rtl">). The lines the chat core writes itself (joins, parts,
// modes, errors: a line's `said`, from state.js's tr) are translated by `saidText` through
// coremessages.js, made from the Python clients' catalog, so both cores' lines read the same.

import { CORE_MESSAGES } from "./coremessages.js";
import { fill, tr } from "./state.js";

const LANG_KEY = "socketchat.lang";

export const MESSAGES = {
  en: {
    "skip": "Skip to the message box",
    "login.lead": "Pick a nickname to join #lobby.",
    "login.nick": "Nickname",
    "login.nickHelp": "A letter first (Persian or any one script, e.g. مهسا or sara), then letters, digits or - _ [ ] { } | ^ ` \\ — up to 30 characters.",
    "login.password": "Password",
    "login.optional": "(if you have an account)",
    "login.passwordHelp": "Leave it empty to chat as a guest. Register later with /register.",
    "login.join": "Join the chat",
    "login.badNick": "A nick starts with a letter (of one script: Persian, Latin…) or one of [ ] \\ ` _ ^ { | }, then letters, digits or -, up to 30 characters.",
    "login.noNick": "Please choose a nickname.",
    "login.nickRefused": "The server refused {nick}: {reason}. Please choose another nickname.",
    "status.connected": "Connected as {nick}",
    "status.registering": "Signing in…",
    "status.connecting": "Connecting…",
    "status.reconnecting": "Disconnected — reconnecting in {seconds} s…",
    "status.left": "You left the chat",
    "status.disconnected": "Disconnected",
    "status.account": " · account {account}",
    "status.queued": " · {count} queued",
    "status.away": " · away",
    "people": "People",
    "runs.join": "{names} joined",
    "runs.part": "{names} left",
    "runs.quit": "{names} quit",
    "runs.more": "{names} and {count} others",
    "people.count": "People ({count})",
    "people.close": "Close the list of people",
    "people.open": "Open a private conversation with {nick}",
    "people.away": " (away)",
    "people.awaySuffix": " — away",
    "tabs": "Conversations",
    "tab.status": "status",
    "tab.search": "search results",
    "topic.search": "Search results: click one to see it in its conversation",
    "input.search": "Type /search words [in:#channel] [from:nick] to search again",
    "search.jump": "Show it in {name}",
    "notify.enable": "Enable notifications",
    "notify.on": "Notifications on",
    "notify.blocked": "Notifications blocked",
    "notify.push": "Mentions and private messages reach this device even when the chat is closed. Click to switch off.",
    "notify.tabOnly.pending": "Registering this device for push notifications…",
    "notify.tabOnly.no-account": "Notifications while this tab is open; log in to an account to get them when it is closed too.",
    "notify.tabOnly.no-server": "Notifications while this tab is open; this server does not push.",
    "notify.tabOnly.unsupported": "Notifications while this tab is open; this browser cannot receive pushes here (it needs https).",
    "notify.tabOnly.failed": "Notifications while this tab is open; the browser's push service could not be reached.",
    "notify.tabOnly.unknown": "Notifications while this tab is open.",
    "tab.unread": "{count} unread",
    "conversation": "Conversation",
    "messages": "Messages",
    "messages.in": "Messages in {name}",
    "topic.query": "Private conversation with {name}",
    "topic.status": "Server messages",
    "input.message": "Message {name}",
    "input.status": "Type /join #channel, /pm nick message or /help",
    "input.label": "Message",
    "send": "Send",
    "left": "You left the chat.",
    "reconnect": "Reconnect",
    "loading": "Loading older messages…",
    "language": "فارسی",
    "language.label": "نمایش به فارسی",
    "typing.one": "{nick} is typing…",
    "typing.two": "{a} and {b} are typing…",
    "typing.many": "{count} people are typing…",
    "line.actions": "Actions on this message",
    "line.reply": "Reply",
    "line.react": "React",
    "line.remove": "Remove",
    "line.removed": "message removed",
    "reply.to": "Replying to {nick}:",
    "reply.cancel": "Cancel the reply",
    "reply.unknown": "an earlier message",
    "reply.quote": "In reply to {nick}",
    "reaction.by": "{nicks}: {emoji}",
    "reaction.pick": "Pick a reaction",
    "marker.unread": "new since you last read",
    "presence.online": "online",
    "presence.offline": "offline",
    "channels": "Channels",
    "channels.title": "Channels on this server",
    "channels.filter": "Filter by name or topic",
    "channels.name": "Channel",
    "channels.users": "People",
    "channels.topic": "Topic",
    "channels.join": "Join",
    "channels.close": "Close the list of channels",
    "channels.count": "{shown} of {count} channels",
    "channels.loading": "Asking the server…",
    "settings": "Settings",
    "settings.theme": "Theme",
    "settings.theme.system": "As the system",
    "settings.theme.light": "Light",
    "settings.theme.dark": "Dark",
    "settings.typing": "Let others see when I am typing",
    "settings.close": "Close the settings",
    "input.hint": "Enter sends; Shift+Enter starts a new line",
  },
  fa: {
    "skip": "رفتن به جعبهٔ پیام",
    "login.lead": "برای ورود به #lobby یک نام مستعار انتخاب کنید.",
    "login.nick": "نام مستعار",
    "login.nickHelp": "اول یک حرف (فارسی یا هر خط دیگری، اما فقط از یک خط؛ مثلاً مهسا یا sara)، سپس حرف، رقم یا - _ [ ] { } | ^ ` \\ — حداکثر ۳۰ نویسه.",
    "login.password": "گذرواژه",
    "login.optional": "(اگر حساب دارید)",
    "login.passwordHelp": "برای گفت‌وگو به‌عنوان مهمان خالی بگذارید. بعداً با /register ثبت‌نام کنید.",
    "login.join": "ورود به گفت‌وگو",
    "login.badNick": "نام مستعار با یک حرف (فارسی، لاتین یا خطی دیگر، فقط از یک خط) یا یکی از [ ] \\ ` _ ^ { | } شروع می‌شود و پس از آن حرف، رقم یا - می‌آید؛ حداکثر ۳۰ نویسه.",
    "login.noNick": "لطفاً یک نام مستعار انتخاب کنید.",
    "login.nickRefused": "سرور {nick} را نپذیرفت: {reason}. لطفاً نام مستعار دیگری برگزینید.",
    "status.connected": "وصل شدید با نام {nick}",
    "status.registering": "در حال ورود…",
    "status.connecting": "در حال اتصال…",
    "status.reconnecting": "اتصال قطع شد — اتصال دوباره تا {seconds} ثانیهٔ دیگر…",
    "status.left": "از گفت‌وگو خارج شدید",
    "status.disconnected": "قطع",
    "status.account": " · حساب {account}",
    "status.queued": " · {count} پیام در صف",
    "status.away": " · غایب",
    "people": "افراد",
    "runs.join": "{names} پیوستند",
    "runs.part": "{names} رفتند",
    "runs.quit": "{names} خارج شدند",
    "runs.more": "{names} و {count} نفر دیگر",
    "people.count": "افراد ({count})",
    "people.close": "بستن فهرست افراد",
    "people.open": "گفت‌وگوی خصوصی با {nick}",
    "people.away": " (غایب)",
    "people.awaySuffix": " — غایب",
    "tabs": "گفت‌وگوها",
    "tab.status": "وضعیت",
    "tab.search": "نتایج جستجو",
    "topic.search": "نتایج جستجو: روی هر کدام بزنید تا در گفت‌وگوی خودش دیده شود",
    "input.search": "برای جستجوی دوباره بنویسید ‎/search words [in:#channel] [from:nick]‎",
    "search.jump": "نمایش در {name}",
    "notify.enable": "روشن کردن اعلان‌ها",
    "notify.on": "اعلان‌ها روشن است",
    "notify.blocked": "اعلان‌ها مسدود است",
    "notify.push": "نام بردن از شما و پیام‌های خصوصی حتی وقتی گفتگو بسته است به این دستگاه می‌رسد. برای خاموش کردن کلیک کنید.",
    "notify.tabOnly.pending": "در حال ثبت این دستگاه برای اعلان‌ها…",
    "notify.tabOnly.no-account": "اعلان‌ها تا وقتی این زبانه باز است؛ برای دریافت آن‌ها پس از بستن، با یک حساب وارد شوید.",
    "notify.tabOnly.no-server": "اعلان‌ها تا وقتی این زبانه باز است؛ این سرور اعلان نمی‌فرستد.",
    "notify.tabOnly.unsupported": "اعلان‌ها تا وقتی این زبانه باز است؛ این مرورگر اینجا اعلان دریافت نمی‌کند (https لازم است).",
    "notify.tabOnly.failed": "اعلان‌ها تا وقتی این زبانه باز است؛ سرویس اعلان مرورگر در دسترس نبود.",
    "notify.tabOnly.unknown": "اعلان‌ها تا وقتی این زبانه باز است.",
    "tab.unread": "{count} خوانده‌نشده",
    "conversation": "گفت‌وگو",
    "messages": "پیام‌ها",
    "messages.in": "پیام‌های {name}",
    "topic.query": "گفت‌وگوی خصوصی با {name}",
    "topic.status": "پیام‌های سرور",
    "input.message": "پیام به {name}",
    "input.status": "بنویسید ‎/join #channel‎، ‎/pm nick message‎ یا ‎/help‎",
    "input.label": "پیام",
    "send": "ارسال",
    "left": "از گفت‌وگو خارج شدید.",
    "reconnect": "اتصال دوباره",
    "loading": "در حال بارگیری پیام‌های قدیمی‌تر…",
    "language": "English",
    "language.label": "Show in English",
    "typing.one": "{nick} در حال نوشتن است…",
    "typing.two": "{a} و {b} در حال نوشتن‌اند…",
    "typing.many": "{count} نفر در حال نوشتن‌اند…",
    "line.actions": "کارهای این پیام",
    "line.reply": "پاسخ",
    "line.react": "واکنش",
    "line.remove": "حذف",
    "line.removed": "پیام حذف شد",
    "reply.to": "پاسخ به {nick}:",
    "reply.cancel": "لغو پاسخ",
    "reply.unknown": "پیامی پیش‌تر",
    "reply.quote": "در پاسخ به {nick}",
    "reaction.by": "{nicks}: {emoji}",
    "reaction.pick": "یک واکنش برگزینید",
    "marker.unread": "تازه، از آخرین باری که خواندید",
    "presence.online": "برخط",
    "presence.offline": "برون‌خط",
    "channels": "کانال‌ها",
    "channels.title": "کانال‌های این سرور",
    "channels.filter": "پالایش با نام یا موضوع",
    "channels.name": "کانال",
    "channels.users": "افراد",
    "channels.topic": "موضوع",
    "channels.join": "پیوستن",
    "channels.close": "بستن فهرست کانال‌ها",
    "channels.count": "{shown} از {count} کانال",
    "channels.loading": "در حال پرسیدن از سرور…",
    "settings": "تنظیمات",
    "settings.theme": "پوسته",
    "settings.theme.system": "مانند سیستم",
    "settings.theme.light": "روشن",
    "settings.theme.dark": "تیره",
    "settings.typing": "دیگران ببینند که در حال نوشتن هستم",
    "settings.close": "بستن تنظیمات",
    "input.hint": "Enter می‌فرستد؛ Shift+Enter خط تازه می‌آورد",
  },
};

export const RTL_LANGUAGES = new Set(["fa"]);

let current = "en";

/** The language to start in: the saved choice, else the browser's (fa-IR → fa), else English. */
export function initialLanguage(storage = globalThis.localStorage, languages = globalThis.navigator?.languages) {
  const saved = storage && storage.getItem(LANG_KEY);
  if (saved && saved in MESSAGES) return saved;
  for (const tag of languages || []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in MESSAGES) return base;
  }
  return "en";
}

export function language() {
  return current;
}

/** The message `key` in the current language, with {name} placeholders filled in. */
export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// socketchat's reasons for refusing a nick (irc/casemap.py, its 432), as the Python prompts say
// them (client/nickrules.py): the same templates, so the same translations.
const NICK_REASONS = [
  [/^empty$/, () => tr("it is empty")],
  [/^longer than (\d+) characters$/, (m) => tr("longer than {max} characters", { max: m[1] })],
  [/^must start with a letter or one of /, () => tr("it must start with a letter")],
  [/^letters, digits and .* only$/, () => tr("only letters, digits and _-[]{{}}|^` may follow")],
  [/^this server allows ASCII nicknames only/, () => tr("this server allows only a-z, 0-9, _-[]{{}}|^`")],
  [/^(.+) is not allowed in a nickname$/, (m) => tr("{char} is not allowed in a nickname", { char: m[1] })],
  [/^must not start with a digit, '-' or a combining mark$/, () => tr("it must not start with a digit, - or a mark")],
  [/^digits of one kind only/, () => tr("digits of one kind only (not ۱ with 1)")],
  [/^letters and digits of one script only/, () => tr("letters of one script only (not Persian with Latin letters)")],
  [/^repeated or invisible combining marks$/, () => tr("repeated or invisible marks")],
  [/^(.+) is not allowed \(letters and digits only\)$/, (m) => tr("{char} is not allowed (letters and digits only)", { char: m[1] })],
  [/^a right-to-left nickname must start and end /, () => tr("a right-to-left nickname must start and end with a letter or digit, without Latin letters")],
  [/^the zero-width non-joiner is allowed only /, () => tr("the zero-width non-joiner may only stand between joining letters")],
];

/** Why the server refused a nick, in the interface language when the words are socketchat's
 * (another server's are shown as they are). */
export function nickReason(reason) {
  const why = (reason || "").replace(/^Erroneous nickname: /, "");
  for (const [pattern, said] of NICK_REASONS) {
    const m = pattern.exec(why);
    if (m) return saidText(said(m));
  }
  return why;
}

/** A core line's own words (`line.said`) in the interface language (else in English). */
export function saidText(said) {
  const table = CORE_MESSAGES[current] || {};
  return fill(RTL_LANGUAGES.has(current) ? isolated(said) : said, (template) => table[template] || template);
}

/** A core line's own words as parts for the page: the sentence's strings in the interface
 * language and, for each value, `{ value }` (its text), so the view puts each value in its own
 * <bdi> and the sentence in the page's direction: a Persian nick first does not turn an English
 * line right-to-left ("سارا (~u@host) joined" with the host scrambled), nor the reverse. */
export function saidParts(said) {
  const table = CORE_MESSAGES[current] || {};
  const keys = Object.keys(said.args);
  const marks = { template: said.template, args: Object.fromEntries(keys.map((k, i) => [k, `\u0000${i}\u0000`])) };
  const values = keys.map((k) => (typeof said.args[k] === "object" ? saidText(said.args[k]) : String(said.args[k])));
  const text = fill(marks, (template) => table[template] || template);
  return text.split("\u0000").map((part, i) => (i % 2 ? { value: values[Number(part)] } : part)).filter((p) => p !== "");
}

/** `said` with each value in a directional isolate (FSI … PDI): put into a right-to-left
 * sentence, "#lobby" or "bob (see you!)" keep their own order (as viewstate.py does). */
function isolated(said) {
  const wrap = (v) => (typeof v === "object" ? isolated(v) : v ? `\u2068${v}\u2069` : v);
  return { template: said.template, args: Object.fromEntries(Object.entries(said.args).map(([k, v]) => [k, wrap(v)])) };
}

/** Switch to `lang`: remember it, set <html lang dir>, translate every [data-i18n*] element. */
export function setLanguage(lang, doc = globalThis.document, storage = globalThis.localStorage) {
  current = lang in MESSAGES ? lang : "en";
  if (storage) storage.setItem(LANG_KEY, current);
  if (!doc) return current;
  doc.documentElement.lang = current;
  doc.documentElement.dir = RTL_LANGUAGES.has(current) ? "rtl" : "ltr";
  for (const node of doc.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of doc.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of doc.querySelectorAll("[data-i18n-aria-label]")) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  for (const node of doc.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  return current;
}
